using Handoff.Data.Workspace;
using Handoff.Server.Cluster;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Health;

/// <summary>
/// The governance calendar: the 30/60/90-day KPI snapshots when they come due (hourly look) and the
/// monthly review on its cron (by default 06:00 UTC on the 1st, for the month before). Each job runs
/// under its own <see cref="ClusterJobs"/> lease, so with several nodes it fires once, not once per node.
/// </summary>
/// <remarks>
/// A review occurrence missed while every node was down fires once at the next start: the look begins at
/// the last scheduled review, or — before the first one — at the time the job last ran anywhere in the
/// cluster (its lease row), or at start-up on a new installation. Both jobs are idempotent: a stored
/// snapshot is never recomputed and a scheduled review is found again by its occurrence.
/// </remarks>
public sealed class GovernanceScheduleWorker(HandoffRuntime runtime, ClusterJobs jobs, IConfiguration configuration, ILogger<GovernanceScheduleWorker> log) : BackgroundService
{
    public static readonly TimeSpan ReviewInterval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan SnapshotInterval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Handoff:Governance:Schedules", true))
            return;
        // A short grace after start-up: the first minutes belong to migrations, syncs and the web app.
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, configuration.GetValue("Handoff:Governance:StartDelaySeconds", 60))), stoppingToken);
        // Read inside the loop: the database may be down at start-up (a PostgreSQL outage), and an
        // exception escaping ExecuteAsync would stop the whole node.
        DateTimeOffset? since = null;
        using var timer = new PeriodicTimer(jobs.PollFor(ReviewInterval));
        do
        {
            try
            {
                if (since is null)
                {
                    await using var db = runtime.Database.CreateContext();
                    since = await db.JobLeases.AsNoTracking().Where(l => l.Name == ClusterJobs.MonthlyReview).Select(l => l.LastRunAt).FirstOrDefaultAsync(stoppingToken)
                        ?? runtime.Clock.GetUtcNow();
                }
                var from = since.Value;
                await jobs.RunIfDueAsync(ClusterJobs.KpiSnapshots, SnapshotInterval, async ct =>
                {
                    var added = await runtime.Kpis.SnapshotAsync("schedule:kpi-snapshots", ct);
                    if (added.Count > 0)
                        log.LogInformation("KPI snapshots: {Count} checkpoint value(s) frozen", added.Count);
                }, stoppingToken);
                await jobs.RunIfDueAsync(ClusterJobs.MonthlyReview, ReviewInterval, async ct =>
                {
                    if (await runtime.Reviews.GenerateDueAsync(from, ct) is { } row)
                        log.LogInformation("monthly review {Month} generated on schedule (version {Version})", row.Month, row.Version);
                }, stoppingToken);
            }
            catch (WorkspaceStateException e)
            {
                Logging.HandoffLog.TickSkipped(log, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "scheduled governance job failed; trying again at its next interval");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
