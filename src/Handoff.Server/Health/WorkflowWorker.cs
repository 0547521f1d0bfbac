using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Handoff.Server.Cluster;

namespace Handoff.Server.Health;

/// <summary>Runs the workflow engine while the server runs: events become runs, date and schedule
/// triggers fire, due runs execute. Woken early by <see cref="WorkflowSignal"/> after a sync or a decision.
/// Every node dispatches events and executes runs (shared through row leases); the trigger scan is a
/// cluster job (<see cref="ClusterJobs.TriggerScan"/>) run by one node at a time.</summary>
public sealed class WorkflowWorker(HandoffRuntime runtime, WorkflowSignal signal, ClusterJobs jobs, ILogger<WorkflowWorker> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>Date and schedule triggers are scanned this often across the cluster (they read every
    /// person); <c>HANDOFF_SCAN_INTERVAL</c> overrides the minute.</summary>
    public static TimeSpan DateScanInterval => HandoffRuntime.DurationFromEnvironment("HANDOFF_SCAN_INTERVAL", TimeSpan.FromMinutes(1));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var scanInterval = DateScanInterval;
        var poll = jobs.PollFor(scanInterval);
        var lastAsked = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The scan lease is asked for every poll, not every tick: a cheap upsert, but not every 2 s per node.
                var now = runtime.Clock.GetUtcNow();
                var scannedQueued = 0;
                if (now - lastAsked >= poll)
                {
                    lastAsked = now;
                    await jobs.RunIfDueAsync(ClusterJobs.TriggerScan, scanInterval, async ct => scannedQueued = await runtime.Engine.ScanTriggersAsync(ct), stoppingToken);
                }
                var tick = await runtime.Engine.TickAsync(stoppingToken, scanDates: false);
                var report = tick with { Queued = tick.Queued + scannedQueued };
                if (report.Queued + report.Executed > 0)
                    log.LogInformation("workflows: {Queued} runs queued, {Executed} executed", report.Queued, report.Executed);
            }
            catch (Exception e) when (e is WorkspaceStateException or WorkflowStateException)
            {
                Logging.HandoffLog.TickSkipped(log, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "workflow tick failed; retrying shortly");
            }
            try
            {
                await signal.WaitAsync(Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>Wakes the workflow worker before its next interval.</summary>
public sealed class WorkflowSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}
