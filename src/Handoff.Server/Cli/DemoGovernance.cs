using Handoff.Data.Workflows;
using Handoff.Server.Sources;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;

namespace Handoff.Server.Cli;

/// <summary>The demo's governance part: what the KPIs and the drift monitor need to have something real
/// to show — two day-one help requests run through the service-desk workflow, and today's payroll export,
/// whose vendor renamed a column, read as a full export so the drift monitor raises its finding.</summary>
internal static class DemoGovernance
{
    /// <summary>Today's complete payroll export: the same rows, the Name column now called Employee_Name.</summary>
    public const string PayrollExport = "data/changes/payroll-2026-11-27.csv";

    public const string DayOneWorkflow = "day-one-help";

    public static async Task RunAsync(IAnsiConsole console, HandoffRuntime runtime, string workspaceDir, CancellationToken ct)
    {
        console.Write(new Rule("governance: day-one tickets and drift").LeftJustified());
        List<Guid> joiners;
        await using (var db = runtime.Database.CreateContext())
        {
            var active = await db.WorkflowVersions.AsNoTracking().AnyAsync(v => v.WorkflowId == DayOneWorkflow && v.Status == "active", ct);
            joiners = !active ? [] : await db.Runs.AsNoTracking().Where(r => r.WorkflowId == "new-hire" && r.Status == RunStatus.Completed)
                .OrderBy(r => r.CreatedAt).Select(r => r.PersonId).Distinct().Take(2).ToListAsync(ct);
        }
        foreach (var person in joiners)
            await runtime.Engine.StartManualAsync(DayOneWorkflow, person, null, 1, "hector", ct);
        if (joiners.Count > 0)
        {
            await runtime.Engine.RunDueAsync(int.MaxValue, ct);
            console.MarkupLineInterpolated($"[yellow]demo:[/] {joiners.Count} new hire(s) asked the service desk for help on day one; {DayOneWorkflow} opened their tickets (category day_one: the day-one tickets KPI counts them)");
        }

        var export = Path.Combine(workspaceDir, PayrollExport);
        if (File.Exists(export))
        {
            var report = await SourceRuns.SyncAsync(runtime, "payroll", export, ct, fullExport: true);
            if (report.Deliveries.FirstOrDefault(d => d.Status == "held") is { } held)
                console.MarkupLineInterpolated($"today's payroll export {PayrollExport}: held whole by the delivery guard, nothing applied (delivery {held.DeliveryId}) — see `deliveries show {held.DeliveryId}`, accept or reject it on Review → Deliveries");
            else
                console.MarkupLineInterpolated($"today's payroll export {PayrollExport}: {report.Read} rows read as a full export (sync #{report.SyncId})");
            await using var db = runtime.Database.CreateContext();
            foreach (var f in await db.SystemFindings.AsNoTracking().Where(f => f.Kind == "drift" && f.ResolvedAt == null).OrderBy(f => f.Id).ToListAsync(ct))
                console.MarkupLineInterpolated($"  drift finding #{f.Id} ({f.System}, {f.Severity}): {f.Detail} — acknowledge on /Systems or with handoff system ack {f.Id}");
        }
    }
}
