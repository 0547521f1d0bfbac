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

    public static async Task ActivateAsync(IAnsiConsole console, HandoffRuntime runtime, string workspaceDir, CancellationToken ct)
    {
        var folder = Path.Combine(workspaceDir, "workflows");
        if (!Directory.Exists(folder))
            return;
        console.Write(new Rule("workflows").LeftJustified());
        foreach (var file in Directory.EnumerateFiles(folder, "*.yaml").Order(StringComparer.Ordinal))
        {
            var proposal = await runtime.Workflows.ProposeAsync(await File.ReadAllTextAsync(file, ct), file, "alice", ct);
            var reference = $"{proposal.WorkflowId}@v{proposal.Version}";
            await runtime.Workflows.ApproveAsync(reference, "hector", ct);
            if (proposal.Widens.Count > 0)
                await runtime.Workflows.ApproveAsync(reference, "ivan", ct);
            await runtime.Workflows.ActivateAsync(reference, "tara", ct, Backfill);
            console.MarkupLineInterpolated($"  {reference} active: {Path.GetFileName(file)}");
        }
        console.MarkupLineInterpolated($"[yellow]demo:[/] proposed as alice, signed by hector (HR) and ivan (IT), activated by tara with a {Backfill.TotalDays:0}-day backfill; in a real workspace each signs with `handoff workflow approve ID --as NAME`");
    }

    public static async Task RunAsync(IAnsiConsole console, HandoffRuntime runtime, CancellationToken ct)
    {
        var report = await runtime.Engine.TickAsync(ct);
        await using var db = runtime.Database.CreateContext();
        if (!await db.WorkflowVersions.AnyAsync(ct))
            return;
        console.Write(new Rule("workflow runs (sandbox targets)").LeftJustified());
        console.MarkupLineInterpolated($"engine: {report.Queued} run(s) queued, {report.Executed} executed");
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
