using System.ComponentModel;
using Handoff.Core.Demo;
using Handoff.Core.People;
using Handoff.Data;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public class DemoSettings : HandoffSettings
{
    [CommandOption("--workspace <DIR>")]
    [Description("The demo workspace. Default: samples/acme (found from the current folder upwards).")]
    public string? Workspace { get; init; }

    [CommandOption("--keep")]
    [Description("Keep the existing demo database instead of starting fresh.")]
    public bool? Keep { get; init; }

    // bool? on purpose: a plain bool flag on this branch's settings is never set by Spectre.Console.Cli 0.57.
    [CommandOption("--print-only")]
    [Description("Print what happened and stop, instead of serving the web app afterwards.")]
    public bool? PrintOnly { get; set; }

    [CommandOption("--urls <URLS>")]
    [Description("Where the web app listens. Default: http://127.0.0.1:5080")]
    public string Urls { get; init; } = "http://127.0.0.1:5080";
}

/// <summary>
/// The main job: a fresh SQLite database under ./data, the Acme workspace applied (the dictionary
/// signed by the charter's demo approvers, and the demo says so), the three HR sources ingested, the
/// daily tick run, and a summary of what happened and where to look.
/// </summary>
public sealed class DemoCommand : AsyncCommand<DemoSettings>
{
    public const string DemoDatabase = "data/handoff.db";

    public override async Task<int> ExecuteAsync(CommandContext context, DemoSettings settings, CancellationToken ct)
    {
        var console = AnsiConsole.Console;
        var workspaceDir = settings.Workspace ?? FindSamples() ?? throw new HandoffCliException("samples/acme not found; pass --workspace DIR");
        var dbPath = settings.Database ?? DemoDatabase;
        if (settings.Keep != true && settings.Database is null)
        {
            foreach (var f in new[] { dbPath, dbPath + "-wal", dbPath + "-shm" })
                if (File.Exists(f))
                    File.Delete(f);
        }
        TimeProvider clock = settings.Today is null ? TimeProvider.System : new PinnedClock(DateOnly.Parse(settings.Today, System.Globalization.CultureInfo.InvariantCulture));
        var runtime = await HandoffRuntime.OpenAsync(Data.DatabaseOptions.Parse(dbPath), clock, settings.KeysDir,
            m => console.MarkupLineInterpolated($"[yellow]{m}[/]"), ct);

        console.Write(new Rule("[bold]Handoff demo: Acme Corp[/]").LeftJustified());
        console.MarkupLineInterpolated($"database: {dbPath} (SQLite); workspace: {workspaceDir}; today: {clock.GetUtcNow():yyyy-MM-dd}");

        var applied = await ApplyCommand.Apply(runtime, workspaceDir, "demo", ct);
        ApplyCommand.Print(console, applied);
        if (applied.ProposedDictionaryVersion is { } v)
        {
            // The demo signs for its charter's approvers; in a real workspace they sign themselves.
            await runtime.Workspace.ApproveAsync(v, "alice", ct);
            await runtime.Workspace.ApproveAsync(v, "ivan", ct);
            console.MarkupLineInterpolated($"[yellow]demo:[/] dictionary v{v} auto-approved as alice (HR) and ivan (IT); in a real workspace each signs with `handoff dictionary approve {v} --as NAME`");
        }

        console.Write(new Rule("ingest").LeftJustified());
        foreach (var system in new[] { "ats", "hris", "payroll" })
            SyncCommand.Print(console, await SyncCommand.Run(runtime, system, null, ct));
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var tick = await runtime.Scheduled.RunAsync(workspace.Definition, ct);
        console.MarkupLineInterpolated($"tick: {tick.ChangesApplied} future-dated change(s) due, {tick.Transitions} lifecycle transition(s)");
        await DemoWorkflows.RunAsync(console, runtime, workspaceDir, ct);
        await ProcessImportCommand.ImportWorkspaceProcessesAsync(console, runtime, workspaceDir, ct);
        await DemoGovernance.RunAsync(console, runtime, workspaceDir, ct);
        // The KPIs from the demo's real runs, quarantine and audit rows (handoff kpi list, /Kpis).
        console.Write(new Rule("KPIs (last 30 days)").LeftJustified());
        console.Write(await KpiListCommand.KpiTableAsync(runtime, ct));

        await PrintSummaryAsync(console, runtime, dbPath, ct);

        var app = ServeCommand.BuildApp(runtime, settings.Urls);
        await PrintAccountsAsync(console, app, workspace.Definition.Charter, settings.Urls, ct);
        if (settings.PrintOnly == true)
            return 0;
        console.MarkupLineInterpolated($"[bold]serving on {settings.Urls}[/] (Ctrl-C stops)");
        await app.RunAsync(ct);
        return 0;
    }

    /// <summary>The demo's accounts: admin plus one per charter member (user name = member id, roles from
    /// the charter), each with a one-time password printed once.</summary>
    private static async Task PrintAccountsAsync(IAnsiConsole console, WebApplication app, Core.Workspace.Charter charter, string urls, CancellationToken ct)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<Web.Account.UserAccounts>();
        var created = new List<(string User, string Roles, string Password)>();
        var admin = await accounts.EnsureFirstAdminAsync(ct);
        if (admin is not null)
            created.Add((Web.Account.UserAccounts.AdminUserName, "hr_admin, it_admin", admin));
        var existing = (await accounts.ListAsync(ct)).Select(u => u.UserName).ToHashSet();
        foreach (var member in charter.Members.Where(m => !existing.Contains(m.Id)))
        {
            var roles = member.Roles.Where(Data.Accounts.HandoffRoles.All.Contains).ToList();
            var (_, password) = await accounts.CreateAsync(member.Id, member.Name, roles, "demo", ct);
            created.Add((member.Id, string.Join(", ", roles), password));
        }
        console.Write(new Rule("sign in to the web app").LeftJustified());
        console.MarkupLineInterpolated($"open {urls.Split(';')[0]}/ and sign in as one of these (one-time passwords, shown once; each is changed at the first sign-in):");
        var table = new Table().AddColumns("user", "roles", "one-time password");
        foreach (var (user, roles, password) in created)
            table.AddRow(user, roles, password);
        console.Write(table);
        if (created.Count == 0)
            console.MarkupLine("(the accounts exist already; `handoff users reset-password NAME` gives one a new one-time password)");
        console.MarkupLine("A dictionary change: propose it as hector (Dictionary → Propose), then sign it as alice (HR) and as ivan or tara (IT); an author never signs for his own side.");
    }

    private static async Task PrintSummaryAsync(IAnsiConsole console, HandoffRuntime runtime, string dbPath, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        console.Write(new Rule("what happened").LeftJustified());
        var states = await db.People.GroupBy(p => p.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        console.MarkupLineInterpolated($"people: {states.Sum(s => s.Count)} — {string.Join(", ", states.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Count}"))}");
        console.MarkupLineInterpolated($"findings (sources disagree): {await db.Findings.CountAsync(f => f.Status == "open", ct)}");
        console.MarkupLineInterpolated($"review queue (not guessed): {await db.ReviewItems.CountAsync(r => r.Status == "open", ct)}");
        console.MarkupLineInterpolated($"quarantined rows: {await db.Quarantine.CountAsync(q => q.Status == "open", ct)}");
        console.MarkupLineInterpolated($"future-dated changes held: {await db.PendingChanges.CountAsync(p => p.AppliedAt == null, ct)}");
        console.MarkupLineInterpolated($"events in the outbox: {await db.OutboxEvents.CountAsync(ct)}");
        var audit = await runtime.Audit.VerifyAsync(ct);
        console.MarkupLineInterpolated($"audit log: {audit.Entries} entries, {(audit.Intact ? "chain intact" : "BROKEN: " + audit.Problem!.Message)} (handoff audit verify)");

        // The seed's own example: the pre-hire whose start date the ATS and the HRIS disagree on.
        var finding = await db.Findings.AsNoTracking().Where(f => f.Field == "start_date" && f.Status == "open").OrderBy(f => f.Id).FirstOrDefaultAsync(ct);
        if (finding is not null)
        {
            var person = await db.People.AsNoTracking().FirstAsync(p => p.Id == finding.PersonId, ct);
            var values = JsonDefaults.Deserialize<Dictionary<string, ResolvedValue>>(person.ValuesJson);
            var start = values["start_date"];
            console.Write(new Rule("example: one start date, two sources").LeftJustified());
            var said = System.Text.Json.JsonDocument.Parse(finding.DetailJson).RootElement.EnumerateArray()
                .Select(d => $"{d.GetProperty("system").GetString()} says {d.GetProperty("value").GetString()} (record {d.GetProperty("key").GetString()})");
            console.MarkupLineInterpolated($"{person.DisplayName} ({person.State}): the sources disagree on start_date: {string.Join("; ", said)}");
            console.MarkupLineInterpolated($"the dictionary's rule (system_of_record: hris) keeps {start.Value}, from {start.System} record {start.NativeKey}, observed {start.ObservedAt:u}");
            console.MarkupLineInterpolated($"see it all: dotnet run --project src/Handoff.Server -- people show {values.GetValueOrDefault("employee_id")?.Value ?? person.Id.ToString()}");
        }

        console.Write(new Rule("where to look").LeftJustified());
        var db_ = dbPath == DemoDatabase ? "" : $" --db {dbPath}";
        foreach (var line in new[]
        {
            $"handoff people list{db_}", $"handoff findings{db_}", $"handoff review list{db_}", $"handoff quarantine list{db_}",
            $"handoff syncs{db_}", $"handoff runs list{db_}", $"handoff approvals list{db_}", $"handoff staged list{db_}", $"handoff sandbox list directory{db_}",
            $"handoff simulate pre-hire --generated 50 --failures-only{db_}", $"handoff dictionary versions{db_}", $"handoff audit verify{db_}", $"handoff retention run --dry-run --today 2028-11-01{db_}", $"handoff serve{db_}   (web app, API and webhooks on http://127.0.0.1:5080)",
        })
            console.MarkupLineInterpolated($"  dotnet run --project src/Handoff.Server -- {line[8..]}");
    }

    /// <summary>samples/acme from the current folder or any parent (the demo runs from the repository).</summary>
    public static string? FindSamples()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "acme");
            if (Directory.Exists(candidate))
                return candidate;
        }
        return null;
    }
}

public sealed class GenerateSettings : DemoSettings
{
    [CommandOption("--people <N>")]
    public int People { get; init; } = 1000;

    [CommandOption("--seed <S>")]
    public int Seed { get; init; } = 42;

    [CommandOption("--defects <RATE>")]
    [Description("Share of people with a planted defect (0–1). Default 0.02.")]
    public double Defects { get; init; } = 0.02;

    [CommandOption("-o|--out <DIR>")]
    [Description("Where to write data/{ats,hris,payroll}. Default: ./generated")]
    public string Out { get; init; } = "generated";
}

public sealed class GenerateCommand : AsyncCommand<GenerateSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, GenerateSettings settings, CancellationToken ct)
    {
        var report = AcmeDataGenerator.Generate(settings.Out, settings.People, settings.Seed, settings.Defects);
        AnsiConsole.MarkupLineInterpolated($"generated {settings.People} people into {settings.Out} (seed {settings.Seed}): {report}");
        return Task.FromResult(0);
    }
}
