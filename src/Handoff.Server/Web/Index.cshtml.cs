using Handoff.Data.People;
using Handoff.Data.Sources;
using Handoff.Data.Systems;
using Handoff.Data.Workflows;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Web;

/// <summary>The dashboard: people by lifecycle state, what needs action, recent syncs. Any signed-in user.</summary>
public sealed class DashboardModel(HandoffRuntime runtime) : PageModel
{
    private static readonly string[] StateOrder = ["candidate", "pre_hire", "active", "on_leave", "terminated", "purged"];

    public IReadOnlyDictionary<string, int> States { get; private set; } = new Dictionary<string, int>();
    public AttentionCounts Attention { get; private set; } = new(0, 0, 0, 0);
    public IReadOnlyList<SyncRow> Syncs { get; private set; } = [];
    public int ProposedVersions { get; private set; }
    public int ProposedWorkflows { get; private set; }
    /// <summary>Today's runs (UTC day) by status, in a fixed order for the chart.</summary>
    public IReadOnlyDictionary<string, int> RunsToday { get; private set; } = new Dictionary<string, int>();
    public string Today { get; private set; } = "";
    public int OpenApprovals { get; private set; }
    public int HeldWrites { get; private set; }
    /// <summary>Per system over the last 7 days: target writes that succeeded or failed, and sync errors.</summary>
    public IReadOnlyList<IntegrationHealth> Health { get; private set; } = [];
    /// <summary>Open system findings and quarantined systems (drift monitoring).</summary>
    public (int Open, int Critical, IReadOnlyList<string> Quarantined) SystemAlerts { get; private set; } = (0, 0, []);

    /// <summary>The stacked bar's series, in the order of <see cref="Health"/>.</summary>
    public static object[] HealthSeries(IReadOnlyList<IntegrationHealth> health) =>
    [
        new { label = "writes ok", values = health.Select(h => h.SucceededWrites) },
        new { label = "writes failed", values = health.Select(h => h.FailedWrites) },
        new { label = "sync errors", values = health.Select(h => h.SyncErrors) },
    ];

    /// <summary>completed (with or without errors), failed, waiting, and what is queued or running.</summary>
    public static async Task<IReadOnlyDictionary<string, int>> RunsTodayAsync(WorkflowOverview overview, DateTimeOffset since, CancellationToken ct)
    {
        var counts = await overview.RunCountsSinceAsync(since, ct);
        return new Dictionary<string, int>
        {
            ["completed"] = counts.Of(RunStatus.Completed) + counts.Of(RunStatus.CompletedWithErrors),
            ["failed"] = counts.Of(RunStatus.Failed),
            ["waiting"] = counts.Of(RunStatus.Waiting),
            ["in progress"] = counts.Of(RunStatus.Queued) + counts.Of(RunStatus.Running),
            ["canceled"] = counts.Of(RunStatus.Canceled),
        };
    }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var counts = await new PeopleDirectory(runtime.Database).CountByStateAsync(ct);
        States = StateOrder.Where(counts.ContainsKey).Concat(counts.Keys.Except(StateOrder)).ToDictionary(s => s, s => counts[s]);
        var sources = new SourceOverview(runtime.Database);
        Attention = await sources.AttentionAsync(ct);
        Syncs = await sources.RecentSyncsAsync(10, ct);
        await using var db = runtime.Database.CreateContext();
        ProposedVersions = await db.DictionaryVersions.CountAsync(v => v.Status == "proposed", ct);
        ProposedWorkflows = await db.WorkflowVersions.CountAsync(v => v.Status == WorkflowVersionStatus.Proposed || v.Status == WorkflowVersionStatus.Approved, ct);
        var overview = new WorkflowOverview(runtime.Database);
        var today = runtime.Clock.GetUtcNow().UtcDateTime.Date;
        Today = today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        RunsToday = await RunsTodayAsync(overview, new DateTimeOffset(today, TimeSpan.Zero), ct);
        (OpenApprovals, HeldWrites) = await overview.NeedsActionAsync(ct);
        Health = await new SystemHealth(runtime.Database).SinceAsync(runtime.Clock.GetUtcNow().AddDays(-7), ct);
        var (monitor, quarantine, _) = Cli.DriftServices.For(runtime);
        var open = await monitor.OpenAsync(null, ct);
        SystemAlerts = (open.Count, open.Count(f => f.Severity == "critical"), (await quarantine.QuarantinedAsync(ct)).Select(q => q.System).ToList());
        Kpis = [.. (await runtime.Kpis.OverviewAsync(ct, trendMonths: 0)).Where(k => !k.Kpi.Custom)];
    }

    /// <summary>The six KPI tiles: the last 30 days against the target (details on /Kpis).</summary>
    public IReadOnlyList<Handoff.Data.Governance.KpiOverview> Kpis { get; private set; } = [];
}
