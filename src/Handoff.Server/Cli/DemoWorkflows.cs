using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;

namespace Handoff.Server.Cli;

/// <summary>The demo's workflow part: the shipped templates proposed, signed and activated before the
/// HR data flows in, then the engine run on what the data started.</summary>
internal static class DemoWorkflows
{
    /// <summary>Date triggers that came due this long before the demo started fire too, so recent
    /// joiners and leavers show up (like running a new lifecycle workflow on existing workers).</summary>
    public static readonly TimeSpan Backfill = TimeSpan.FromDays(30);

    public const string Baseline = "directory-baseline";

    /// <summary>The day's HRIS delta the demo reads once the workflows are active.</summary>
    public const string ChangesFile = "data/changes/hris-2026-11-27.csv";

    /// <summary>Signs and activates the shipped workflows, gives the existing workforce its directory
    /// accounts (the baseline workflow), then reads the day's HR changes so the lifecycle workflows run.</summary>
    public static async Task RunAsync(IAnsiConsole console, HandoffRuntime runtime, string workspaceDir, CancellationToken ct)
    {
        var folder = Path.Combine(workspaceDir, "workflows");
        if (!Directory.Exists(folder))
            return;
        console.Write(new Rule("workflows").LeftJustified());
        var files = Directory.EnumerateFiles(folder, "*.yaml").Order(StringComparer.Ordinal).ToList();
        var baseline = files.FirstOrDefault(f => Path.GetFileNameWithoutExtension(f) == Baseline);
        if (baseline is not null)
        {
            await ActivateAsync(runtime, baseline, ct);
            var ids = await runtime.Engine.StartManualAsync(Baseline, null, null, 10_000, "tara", ct);
            await runtime.Engine.RunDueAsync(int.MaxValue, ct);
            console.MarkupLineInterpolated($"  {Baseline}: run on demand for the {ids.Count} current workers, so the sandbox directory starts like Acme's real one");
        }
        foreach (var file in files.Where(f => f != baseline))
            console.MarkupLineInterpolated($"  {await ActivateAsync(runtime, file, ct)} active");
        console.MarkupLineInterpolated($"[yellow]demo:[/] each proposed as alice, signed by hector (HR) and ivan (IT), activated by tara (date triggers with a {Backfill.TotalDays:0}-day backfill); in a real workspace each signs with `handoff workflow approve ID --as NAME`");
        var first = await runtime.Engine.TickAsync(ct);

        var changes = Path.Combine(workspaceDir, ChangesFile);
        if (File.Exists(changes))
        {
            console.MarkupLineInterpolated($"the day's HR changes: {ChangesFile} (a mover, a leaver, a late new hire)");
            SyncCommand.Print(console, await SyncCommand.Run(runtime, "hris", changes, ct));
            var workspace = await runtime.Workspace.LoadActiveAsync(ct);
            await runtime.Scheduled.RunAsync(workspace.Definition, ct);
        }
        var second = await runtime.Engine.TickAsync(ct);
        await PrintAsync(console, runtime, first.Executed + second.Executed, ct);
    }

    private static async Task<string> ActivateAsync(HandoffRuntime runtime, string file, CancellationToken ct)
    {
        var proposal = await runtime.Workflows.ProposeAsync(await File.ReadAllTextAsync(file, ct), file, "alice", ct);
        var reference = $"{proposal.WorkflowId}@v{proposal.Version}";
        await runtime.Workflows.ApproveAsync(reference, "hector", ct);
        if (proposal.Widens.Count > 0)
            await runtime.Workflows.ApproveAsync(reference, "ivan", ct);
        await runtime.Workflows.ActivateAsync(reference, "tara", ct, Backfill);
        return reference;
    }

    private static async Task PrintAsync(IAnsiConsole console, HandoffRuntime runtime, int executed, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        console.Write(new Rule("workflow runs (sandbox targets)").LeftJustified());
        console.MarkupLineInterpolated($"engine: {executed} lifecycle run(s) executed after the baseline");
        var runs = await db.Runs.AsNoTracking().GroupBy(r => new { r.WorkflowId, r.Status }).Select(g => new { g.Key.WorkflowId, g.Key.Status, N = g.Count() }).ToListAsync(ct);
        var table = new Table().AddColumns("workflow", "runs", "by status");
        foreach (var wf in runs.GroupBy(r => r.WorkflowId).OrderBy(g => g.Key))
            table.AddRow(wf.Key, wf.Sum(r => r.N).ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(", ", wf.OrderBy(r => r.Status).Select(r => $"{r.Status} {r.N}")));
        console.Write(table);
        var accounts = await db.SandboxObjects.CountAsync(o => o.SystemId == "directory" && o.ObjectClass == "account", ct);
        var tickets = await db.SandboxObjects.CountAsync(o => o.ObjectClass == "ticket", ct);
        var mails = await db.SandboxObjects.CountAsync(o => o.ObjectClass == "message", ct);
        console.MarkupLineInterpolated($"sandbox directory accounts: {accounts}; tickets: {tickets}; mails: {mails}; approvals waiting: {await db.HumanTasks.CountAsync(t => t.Status == "open", ct)}; writes held by a threshold: {await db.StagedWrites.CountAsync(s => s.Status == "held", ct)}");
        var failed = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Failed).OrderBy(r => r.CreatedAt).FirstOrDefaultAsync(ct);
        if (failed is not null)
            console.MarkupLineInterpolated($"a failed run, to look at: handoff runs show {failed.Id.ToString("N")[..8]}  ({failed.Error})");
    }
}
