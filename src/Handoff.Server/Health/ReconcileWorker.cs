using Handoff.Data.Workspace;

namespace Handoff.Server.Health;

/// <summary>Scheduled reconciliation: once a minute, every target whose <c>reconcile:</c> cron came due is
/// reconciled — once, for the latest occurrence, however long the server was down (the last scheduled
/// report of each system marks how far the schedule has run).</summary>
/// <remarks>With several nodes on one PostgreSQL only the holder of the <see cref="Cluster.ClusterJobs.Reconcile"/>
/// lease looks for due reconciliations; should a paused holder wake after a takeover, the repairs are
/// idempotent updates, so the cost is a second read of the target, not a wrong write.</remarks>
public sealed class ReconcileWorker(HandoffRuntime runtime, Cluster.ClusterJobs jobs, ILogger<ReconcileWorker> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reconciler = runtime.NewReconciler();
        // A system never reconciled on schedule starts counting from now: no run for occurrences before the server started.
        var since = runtime.Clock.GetUtcNow();
        using var timer = new PeriodicTimer(jobs.PollFor(Interval));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await jobs.RunIfDueAsync(Cluster.ClusterJobs.Reconcile, Interval, async ct =>
                {
                    foreach (var done in await reconciler.RunDueAsync(since, ct))
                    {
                        var r = done.Report;
                        log.LogInformation("reconciled {System}: {Accounts} accounts, {Drifted} drifted, {Orphan} orphan, {Unmanaged} unmanaged, {Missing} missing, {Repaired} repaired, {Held} held",
                            r.System, r.Accounts, r.Drifted, r.Orphan, r.Unmanaged, r.Missing, r.Repaired, r.Held);
                    }
                }, stoppingToken);
            }
            catch (WorkspaceStateException e)
            {
                Logging.HandoffLog.TickSkipped(log, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "scheduled reconciliation failed");
            }
        }
    }
}
