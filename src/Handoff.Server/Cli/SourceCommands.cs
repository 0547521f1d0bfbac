using System.ComponentModel;
using Handoff.Connectors;
using Handoff.Core.Sources;
using Handoff.Data.Sources;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class SyncSettings : HandoffSettings
{
    [CommandArgument(0, "<SYSTEM>")]
    [Description("The source system's id (ats, hris, payroll…).")]
    public string System { get; init; } = "";

    [CommandOption("--file <PATH>")]
    [Description("Read this file instead of the system's drop folder.")]
    public string? File { get; init; }
}

public sealed class SyncCommand : HandoffCommand<SyncSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, SyncSettings settings, CancellationToken ct)
    {
        var report = await Run(runtime, settings.System, settings.File, ct);
        Print(Console, report);
        return 0;
    }

    public static async Task<SyncReport> Run(HandoffRuntime runtime, string system, string? file, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var definition = workspace.Definition.FindSystem(system)
            ?? throw new HandoffCliException($"no system '{system}' in the workspace (known: {string.Join(", ", workspace.Definition.Systems.Select(s => s.Id))})");
        ISourceReader reader;
        try
        {
            reader = SourceReaders.Open(definition, workspace.Directory, file);
        }
        catch (InvalidOperationException e)
        {
            throw new HandoffCliException(e.Message);
        }
        return await runtime.Sync.RunAsync(workspace.Definition, system, reader.ReadAsync(ct), definition.Connector, ct, fullSnapshot: file is null);
    }

    public static void Print(IAnsiConsole console, SyncReport r) =>
        console.MarkupLineInterpolated(
            $"[bold]{r.System}[/]: read {r.Read}, created {r.Created}, updated {r.Updated}, unchanged {r.Unchanged}, rejected {r.Rejected}, held for review {r.Held}, future-dated {r.Scheduled} ({r.Duration.TotalSeconds:0.00} s, sync #{r.SyncId})");
}

public sealed class TickCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var report = await runtime.Scheduled.RunAsync(workspace.Definition, ct);
        Console.MarkupLineInterpolated($"future-dated changes applied: {report.ChangesApplied}; lifecycle transitions: {report.Transitions}");
        var engine = await runtime.Engine.TickAsync(ct);
        Console.MarkupLineInterpolated($"workflow runs queued: {engine.Queued}; runs executed: {engine.Executed}");
        return 0;
    }
}

public sealed class SyncsCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        var syncs = await db.Syncs.AsNoTracking().OrderByDescending(s => s.Id).Take(30).ToListAsync(ct);
        var table = new Table().AddColumns("#", "system", "channel", "started", "status", "read", "created", "updated", "unchanged", "rejected", "held", "future", "ms");
        foreach (var s in syncs)
        {
            table.AddRow(s.Id.ToString(), s.System, s.Channel, s.StartedAt.ToString("u"), Markup.Escape(s.Status + (s.Error is null ? "" : $": {s.Error}")),
                s.Read.ToString(), s.Created.ToString(), s.Updated.ToString(), s.Unchanged.ToString(), s.Rejected.ToString(), s.Held.ToString(), s.Scheduled.ToString(), s.DurationMs.ToString());
        }
        Console.Write(table);
        return 0;
    }
}

public sealed class QuarantineListSettings : HandoffSettings
{
    [CommandOption("--system <SYSTEM>")]
    public string? System { get; init; }

    [CommandOption("--all")]
    [Description("Include rows already retried or resolved.")]
    public bool All { get; init; }
}

public sealed class QuarantineListCommand : HandoffCommand<QuarantineListSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, QuarantineListSettings settings, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        var rows = await db.Quarantine.AsNoTracking()
            .Where(q => (settings.All || q.Status == "open") && (settings.System == null || q.System == settings.System))
            .OrderBy(q => q.Id).ToListAsync(ct);
        var table = new Table().AddColumns("#", "system", "place", "field", "reason", "status");
        foreach (var q in rows)
            table.AddRow(q.Id.ToString(), q.System, Markup.Escape(q.Pointer is null ? $"{q.File}:{q.Line}" : $"{q.File}#{q.Pointer}"), Markup.Escape(q.Field ?? ""), Markup.Escape(q.Reason), q.Status);
        Console.Write(table);
        Console.MarkupLineInterpolated($"{rows.Count} row(s)");
        return 0;
    }
}

public sealed class QuarantineRetrySettings : HandoffSettings
{
    [CommandArgument(0, "<SYSTEM>")]
    public string System { get; init; } = "";
}

/// <summary>Retries a system's quarantined rows: a CSV system's drop folder is read again (fixed rows
/// now pass; unchanged good rows cost nothing), webhook rows are re-run from their stored values. The
/// old entries close; rows that still fail are quarantined again with today's reason.</summary>
public sealed class QuarantineRetryCommand : HandoffCommand<QuarantineRetrySettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, QuarantineRetrySettings settings, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var system = workspace.Definition.FindSystem(settings.System) ?? throw new HandoffCliException($"no system '{settings.System}' in the workspace");
        // Rows of a CSV drop are retried by reading the drop again; records of a JSON delivery that
        // failed on a value are re-run from their stored (decrypted) native values; a JSON record that
        // could not be read at all stays quarantined: only its sender can send it again.
        List<QuarantineRow> fromFiles, fromJson;
        int left;
        await using (var db = runtime.Database.CreateContext())
        {
            var open = await db.Quarantine.Where(q => q.System == system.Id && q.Status == "open").ToListAsync(ct);
            fromFiles = system.Connector == "csv" ? open.Where(q => q.Pointer is null).ToList() : [];
            fromJson = open.Where(q => q.Pointer is not null && q.Field is not null).ToList();
            left = open.Count - fromFiles.Count - fromJson.Count;
            foreach (var q in fromFiles.Concat(fromJson))
            {
                q.Status = "retried";
                q.ClosedAt = runtime.Clock.GetUtcNow();
            }
            await db.SaveChangesAsync(ct);
        }
        if (fromFiles.Count + fromJson.Count == 0)
            Console.MarkupLineInterpolated($"nothing to retry for {system.Id}");

        if (fromJson.Count > 0)
        {
            var protection = new Data.Security.FieldProtection(workspace.Definition.Dictionary, runtime.Keys);
            var items = fromJson.Select(q => (SourceItem)new NativeRecord(q.File, q.Line, protection.DeserializeNative(q.Raw)) { Pointer = q.Pointer }).ToList();
            SyncCommand.Print(Console, await runtime.Sync.RunAsync(workspace.Definition, system.Id, ToAsync(items), "retry", ct));
        }
        if (fromFiles.Count > 0)
            SyncCommand.Print(Console, await SyncCommand.Run(runtime, system.Id, null, ct));
        if (left > 0)
            Console.MarkupLineInterpolated($"{left} unreadable record(s) stay quarantined: the sender must send them again");
        return 0;
    }

    private static async IAsyncEnumerable<SourceItem> ToAsync(IEnumerable<SourceItem> items)
    {
        foreach (var item in items)
            yield return item;
        await Task.CompletedTask;
    }
}
