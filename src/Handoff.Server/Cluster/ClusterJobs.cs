using Handoff.Data.Cluster;

namespace Handoff.Server.Cluster;

/// <summary>
/// Runs a periodic job only on the node holding its lease and only when its interval has passed since
/// it last ran anywhere in the cluster (<see cref="JobLease"/>), so three nodes fire it once, not three
/// times; when the holder dies its lease runs out and the next node to poll takes it over.
/// </summary>
public sealed class ClusterJobs(HandoffRuntime runtime, ILogger<ClusterJobs> log)
{
    /// <summary>The schedule tick (future-dated changes, start and termination dates).</summary>
    public const string Schedule = "schedule";

    /// <summary>The scan of date and schedule triggers.</summary>
    public const string TriggerScan = "trigger-scan";

    /// <summary>The look at the CSV systems' drop folders.</summary>
    public const string DropFolders = "drop-folders";

    /// <summary>Scheduled reconciliation.</summary>
    public const string Reconcile = "reconcile";

    /// <summary>The 30/60/90-day KPI snapshots.</summary>
    public const string KpiSnapshots = "kpi-snapshots";

    /// <summary>The scheduled monthly review.</summary>
    public const string MonthlyReview = "monthly-review";

    /// <summary>How often a node asks for a job's lease: often enough that the holder renews well
    /// before its lease runs out, never more often than the job's own interval.</summary>
    public TimeSpan PollFor(TimeSpan interval) => Min(interval, Min(TimeSpan.FromSeconds(15), runtime.Jobs.Lease / 3));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Runs <paramref name="job"/> when this node holds the lease of <paramref name="name"/> and the
    /// job is due; false when it was not this node's turn. The run is recorded (fenced by the lease's
    /// token) even when the job failed, so a failing job is retried after its interval, not at every poll.</summary>
    public async Task<bool> RunIfDueAsync(string name, TimeSpan interval, Func<CancellationToken, Task> job, CancellationToken ct)
    {
        var held = await runtime.Jobs.AcquireDueAsync(name, interval, ct);
        if (held is null)
            return false;
        try
        {
            await job(ct);
            Logging.HandoffLog.JobRan(log, name, runtime.NodeId, held.FencingToken);
        }
        finally
        {
            if (!await runtime.Jobs.MarkRunAsync(held, CancellationToken.None))
                Logging.HandoffLog.JobLeaseLost(log, name, runtime.NodeId);
        }
        return true;
    }
}
