using Handoff.Data.Workflows;
using Handoff.Data.Workspace;

namespace Handoff.Server.Health;

/// <summary>Runs the workflow engine while the server runs: events become runs, date and schedule
/// triggers fire, due runs execute. Woken early by <see cref="WorkflowSignal"/> after a sync or a decision.</summary>
public sealed class WorkflowWorker(HandoffRuntime runtime, WorkflowSignal signal, ILogger<WorkflowWorker> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>Date and schedule triggers are scanned this often (they read every person).</summary>
    public static readonly TimeSpan DateScanInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastScan = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = runtime.Clock.GetUtcNow();
                var scan = now - lastScan >= DateScanInterval;
                var report = await runtime.Engine.TickAsync(stoppingToken, scan);
                if (scan)
                    lastScan = now;
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
