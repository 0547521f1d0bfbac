using System.ComponentModel;
using Handoff.Core.Workflows;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class WorkflowFilesSettings : HandoffSettings
{
    [CommandArgument(0, "<PATH>")]
    [Description("A workflow YAML file, or a folder of them (*.yaml, *.yml).")]
    public string Path { get; init; } = "";

    [CommandOption("--as <MEMBER>")]
    [Description("Who proposes (an id in the charter).")]
    public string Actor { get; init; } = Environment.UserName;

    internal IReadOnlyList<string> Files()
    {
        if (Directory.Exists(Path))
            return Directory.EnumerateFiles(Path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (File.Exists(Path))
            return [Path];
        throw new HandoffCliException($"{Path}: no such file or folder");
    }
}

public sealed class WorkflowValidateCommand : HandoffCommand<WorkflowFilesSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkflowFilesSettings settings, CancellationToken ct)
    {
        var failed = 0;
        foreach (var file in settings.Files())
        {
            var result = await runtime.Workflows.ValidateAsync(await File.ReadAllTextAsync(file, ct), file, ct);
            if (result.Succeeded)
            {
                Console.MarkupLineInterpolated($"[green]ok[/] {file}: {result.Workflow!.Id} ({result.Workflow.Trigger}, {result.Workflow.Steps.Count} steps)");
                continue;
            }
            failed++;
            foreach (var error in result.Errors)
                Console.MarkupLineInterpolated($"[red]{error}[/]");
        }
        return failed == 0 ? 0 : 1;
    }
}

public sealed class WorkflowProposeCommand : HandoffCommand<WorkflowFilesSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkflowFilesSettings settings, CancellationToken ct)
    {
        foreach (var file in settings.Files())
        {
            try
            {
                var p = await runtime.Workflows.ProposeAsync(await File.ReadAllTextAsync(file, ct), file, settings.Actor, ct);
                var needs = p.Widens.Count == 0 ? "logic only — needs an HR approver" : $"widens permissions ({string.Join("; ", p.Widens)}) — needs an HR and an IT approver";
                Console.MarkupLineInterpolated($"proposed [bold]{p.WorkflowId}@v{p.Version}[/] by {settings.Actor}: {needs}");
            }
            catch (WorkflowStateException e)
            {
                Console.MarkupLineInterpolated($"[yellow]{file}: {e.Message}[/]");
            }
        }
        return 0;
    }
}

public sealed class WorkflowRefSettings : HandoffSettings
{
    [CommandArgument(0, "<WORKFLOW>")]
    [Description("WORKFLOW (its latest version) or WORKFLOW@vN.")]
    public string Reference { get; init; } = "";

    [CommandOption("--as <MEMBER>")]
    [Description("Who acts (an id in the charter).")]
    public string Actor { get; init; } = Environment.UserName;

    [CommandOption("--backfill <DURATION>")]
    [Description("activate: also fire date and schedule triggers that came due this long before now (e.g. 30d, at most 180d).")]
    public string? Backfill { get; init; }

    public override ValidationResult Validate() =>
        Backfill is not null && !WorkflowTime.TryParseDuration(Backfill, out _)
            ? ValidationResult.Error($"--backfill: \"{Backfill}\" is not a duration such as 30d")
            : base.Validate();
}

public sealed class WorkflowApproveCommand : HandoffCommand<WorkflowRefSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkflowRefSettings settings, CancellationToken ct)
    {
        var report = await runtime.Workflows.ApproveAsync(settings.Reference, settings.Actor, ct);
        Console.MarkupLineInterpolated($"{settings.Reference}: {report.Status}; signed by {string.Join(", ", report.SignedBy)}");
        if (report.StillNeeded is not null)
            Console.MarkupLineInterpolated($"still needs {report.StillNeeded}");
        return 0;
    }
}

public sealed class WorkflowActivateCommand : HandoffCommand<WorkflowRefSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkflowRefSettings settings, CancellationToken ct)
    {
        TimeSpan? backfill = settings.Backfill is null ? null : WorkflowTime.TryParseDuration(settings.Backfill, out var b) ? b : null;
        var v = await runtime.Workflows.ActivateAsync(settings.Reference, settings.Actor, ct, backfill);
        Console.MarkupLineInterpolated($"[green]{WorkflowStore.Label(v)} is active[/] (activated by {settings.Actor}); the version it replaces is retired, running runs keep their version");
        return 0;
    }
}

public sealed class WorkflowRetireCommand : HandoffCommand<WorkflowRefSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkflowRefSettings settings, CancellationToken ct)
    {
        var v = await runtime.Workflows.RetireAsync(settings.Reference, settings.Actor, ct);
        Console.MarkupLineInterpolated($"{WorkflowStore.Label(v)} retired: it starts no new runs");
        return 0;
    }
}

public sealed class WorkflowShowCommand : HandoffCommand<WorkflowRefSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkflowRefSettings settings, CancellationToken ct)
    {
        var v = await runtime.Workflows.GetAsync(settings.Reference, ct);
        Console.MarkupLineInterpolated($"[bold]{WorkflowStore.Label(v)}[/] {v.Status}, proposed by {v.Author} {v.ProposedAt:yyyy-MM-dd HH:mm}; approvals: {string.Join(", ", v.Approvals.Select(a => $"{a.Member} ({a.Side})").DefaultIfEmpty("none"))}");
        Console.WriteLine(v.Yaml);
        return 0;
    }
}

public sealed class WorkflowDiffSettings : HandoffSettings
{
    [CommandArgument(0, "<FROM>")]
    public string From { get; init; } = "";

    [CommandArgument(1, "<TO>")]
    public string To { get; init; } = "";
}

public sealed class WorkflowDiffCommand : HandoffCommand<WorkflowDiffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkflowDiffSettings settings, CancellationToken ct)
    {
        Console.WriteLine(await runtime.Workflows.DiffAsync(settings.From, settings.To, ct));
        return 0;
    }
}

public sealed class WorkflowListCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var table = new Table().AddColumns("workflow", "version", "status", "name", "author", "approvals", "widens");
        foreach (var v in await runtime.Workflows.ListAsync(ct))
        {
            var widens = Data.JsonDefaults.Deserialize<List<string>>(v.WidensJson);
            table.AddRow(Markup.Escape(v.WorkflowId), $"v{v.Version}", v.Status, Markup.Escape(v.Name), Markup.Escape(v.Author),
                Markup.Escape(string.Join(", ", v.Approvals.Select(a => $"{a.Member} ({a.Side})"))), Markup.Escape(widens.Count == 0 ? "-" : string.Join("; ", widens)));
        }
        Console.Write(table);
        return 0;
    }
}

public sealed class WorkflowRunSettings : HandoffSettings
{
    [CommandArgument(0, "<WORKFLOW>")]
    public string Workflow { get; init; } = "";

    [CommandOption("--person <ID>")]
    [Description("Run for one person (id or unique id prefix).")]
    public string? Person { get; init; }

    [CommandOption("--filter <FILTER>")]
    [Description("Run for everyone this SCIM filter matches (and the workflow's scope), e.g. 'department eq \"Sales\"'.")]
    public string? Filter { get; init; }

    [CommandOption("--max <N>")]
    [Description("Refuse when more people match (default 100).")]
    public int Max { get; init; } = 100;

    [CommandOption("--as <MEMBER>")]
    public string Actor { get; init; } = Environment.UserName;

    public override ValidationResult Validate() =>
        (Person is null) == (Filter is null) ? ValidationResult.Error("give exactly one of --person and --filter") : base.Validate();
}

public sealed class WorkflowRunCommand : HandoffCommand<WorkflowRunSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkflowRunSettings settings, CancellationToken ct)
    {
        Guid? person = settings.Person is null ? null : await CliLookup.PersonAsync(runtime, settings.Person, ct);
        var ids = await runtime.Engine.StartManualAsync(settings.Workflow, person, settings.Filter, settings.Max, settings.Actor, ct);
        Console.MarkupLineInterpolated($"queued {ids.Count} run(s) of {settings.Workflow}");
        await runtime.Engine.RunDueAsync(int.MaxValue, ct);
        foreach (var id in ids)
        {
            var detail = await runtime.Engine.GetRunAsync(id.ToString(), ct);
            RunsShowCommand.PrintSummary(Console, detail.Run);
        }
        return 0;
    }
}

public sealed class WorkflowCatalogCommand : Command<HandoffSettings>
{
    public override int Execute(CommandContext context, HandoffSettings settings, CancellationToken cancellationToken)
    {
        var table = new Table().AddColumns("step", "writes to", "permission", "inputs", "what it does");
        foreach (var s in StepCatalog.Steps)
        {
            table.AddRow(s.Type, s.TargetKind?.ToString().ToLowerInvariant() ?? "-", s.Operation ?? "-",
                Markup.Escape(string.Join(", ", s.Inputs.Select(i => i.Required ? i.Name + "*" : i.Name))), Markup.Escape(s.Description));
        }
        AnsiConsole.Write(table);
        return 0;
    }
}

public sealed class WorkflowSchemaCommand : Command<HandoffSettings>
{
    public override int Execute(CommandContext context, HandoffSettings settings, CancellationToken cancellationToken)
    {
        System.Console.Out.Write(WorkflowJsonSchema.Generate());
        return 0;
    }
}

public sealed class SimulateSettings : HandoffSettings
{
    [CommandArgument(0, "<WORKFLOW>")]
    [Description("A workflow YAML file (not yet proposed) or WORKFLOW / WORKFLOW@vN.")]
    public string Workflow { get; init; } = "";

    [CommandOption("--person <ID>")]
    public string? Person { get; init; }

    [CommandOption("--filter <FILTER>")]
    public string? Filter { get; init; }

    [CommandOption("--generated <N>")]
    [Description("Simulate on N generated people (realistic, with deliberate defects).")]
    public int? Generated { get; init; }

    [CommandOption("--seed <N>")]
    public int Seed { get; init; } = 1;

    [CommandOption("--max <N>")]
    public int Max { get; init; } = 1000;

    [CommandOption("--failures-only")]
    [Description("Print only the people for whom a step would fail.")]
    public bool FailuresOnly { get; init; }

    public override ValidationResult Validate() =>
        new[] { Person is not null, Filter is not null, Generated is not null }.Count(x => x) != 1
            ? ValidationResult.Error("give exactly one of --person, --filter and --generated")
            : base.Validate();
}

public sealed class SimulateCommand : HandoffCommand<SimulateSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, SimulateSettings settings, CancellationToken ct)
    {
        WorkflowDefinition definition;
        if (File.Exists(settings.Workflow))
        {
            var loaded = await runtime.Workflows.ValidateAsync(await File.ReadAllTextAsync(settings.Workflow, ct), settings.Workflow, ct);
            if (!loaded.Succeeded)
                throw new WorkspaceValidationException(loaded.Errors);
            definition = loaded.Workflow!;
        }
        else
        {
            definition = runtime.Workflows.Parse(await runtime.Workflows.GetAsync(settings.Workflow, ct));
        }
        Guid? person = settings.Person is null ? null : await CliLookup.PersonAsync(runtime, settings.Person, ct);
        var report = settings.Generated is { } n
            ? await runtime.Simulator.ForGeneratedAsync(definition, n, settings.Seed, ct)
            : await runtime.Simulator.ForPeopleAsync(definition, person, settings.Filter, settings.Max, ct);
        Print(Console, report, settings.FailuresOnly);
        return 0;
    }

    public static void Print(IAnsiConsole console, SimulationReport report, bool failuresOnly)
    {
        console.MarkupLineInterpolated($"[bold]simulation of {report.Workflow}[/] — nothing was written");
        foreach (var run in report.Runs.Where(r => !failuresOnly || r.WouldFail))
        {
            var defect = (run.Generated ? " [generated]" : "") + (run.Defect is null ? "" : $" [defect: {run.Defect}]");
            if (!run.InScope)
            {
                console.MarkupLineInterpolated($"[grey]{run.PersonName}{defect}: not in scope[/]");
                continue;
            }
            console.MarkupLineInterpolated($"[bold]{run.PersonName}[/]{defect}");
            if (run.Accounts.Count > 0)
                console.MarkupLineInterpolated($"  [grey]accounts: {string.Join(", ", run.Accounts.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key} {a.Value}"))}[/]");
            foreach (var step in run.Steps)
            {
                var colour = step.Outcome switch { "fail" => "red", "write" => "green", "wait" => "yellow", _ => "grey" };
                console.MarkupLineInterpolated($"  [{colour}]{step.Outcome,-5}[/] {step.StepId} ({step.Uses}{(step.System is null ? "" : " → " + step.System)}): {step.Detail}");
            }
        }
        var inScope = report.Runs.Count(r => r.InScope);
        console.MarkupLineInterpolated($"{report.Runs.Count} people, {inScope} in scope; {report.Writes} write(s) would be made; {report.Failures} run(s) would fail");
    }
}

internal static class CliLookup
{
    public static async Task<Guid> PersonAsync(HandoffRuntime runtime, string text, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        return (await PersonLookup.FindAsync(db, text, ct)).Id;
    }
}
