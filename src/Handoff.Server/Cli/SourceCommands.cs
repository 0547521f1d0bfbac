using System.ComponentModel;
using Handoff.Data.Sources;
using Handoff.Server.Sources;
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

    public static Task<SyncReport> Run(HandoffRuntime runtime, string system, string? file, CancellationToken ct) =>
        SourceRuns.SyncAsync(runtime, system, file, ct);

    public static void Print(IAnsiConsole console, SyncReport r)
    {
        foreach (var d in r.Deliveries.Where(d => d.Status != "applied"))
            console.MarkupLine($"[{(d.Status == "held" ? "yellow" : "grey")}]{Markup.Escape(d.Message)}[/]");
        if (r.Deliveries.Count > 0 && r.Deliveries.All(d => d.Status != "applied"))
            return;
        console.MarkupLineInterpolated(
            $"[bold]{r.System}[/]: read {r.Read}, created {r.Created}, updated {r.Updated}, unchanged {r.Unchanged}, rejected {r.Rejected}, held for review {r.Held}, future-dated {r.Scheduled}{(r.Stale > 0 ? $", older than the facts in force {r.Stale}" : "")} ({r.Duration.TotalSeconds:0.00} s, sync #{r.SyncId})");
    }
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

/// <summary>Retries a system's quarantined rows (see <see cref="SourceRuns.RetryQuarantineAsync"/>).</summary>
public sealed class QuarantineRetryCommand : HandoffCommand<QuarantineRetrySettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, QuarantineRetrySettings settings, CancellationToken ct)
    {
        var report = await SourceRuns.RetryQuarantineAsync(runtime, settings.System, ct);
        if (report.Retried == 0)
            Console.MarkupLineInterpolated($"nothing to retry for {settings.System}");
        foreach (var sync in report.Syncs)
            SyncCommand.Print(Console, sync);
        if (report.LeftUnreadable > 0)
            Console.MarkupLineInterpolated($"{report.LeftUnreadable} unreadable record(s) stay quarantined: the sender must send them again");
        return 0;
    }
}
