using Handoff.Data.Workspace;
using Handoff.Server.Cluster;

namespace Handoff.Server.Health;

/// <summary>Runs the daily clock of the data spine (future-dated changes, start and termination
/// dates) every few minutes while the server runs; a missed day is caught up at the next tick. With
/// several nodes only the holder of the <see cref="ClusterJobs.Schedule"/> lease ticks.</summary>
public sealed class ScheduleWorker(HandoffRuntime runtime, ClusterJobs jobs, ILogger<ScheduleWorker> log) : BackgroundService
{
    /// <summary>Every 5 minutes across the cluster; <c>HANDOFF_SCHEDULE_INTERVAL</c> overrides it.</summary>
    public static TimeSpan Interval => HandoffRuntime.DurationFromEnvironment("HANDOFF_SCHEDULE_INTERVAL", TimeSpan.FromMinutes(5));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval;
        using var timer = new PeriodicTimer(jobs.PollFor(interval));
        do
        {
            try
            {
                await jobs.RunIfDueAsync(ClusterJobs.Schedule, interval, async ct =>
                {
                    var workspace = await runtime.Workspace.LoadActiveAsync(ct);
                    var report = await runtime.Scheduled.RunAsync(workspace.Definition, ct);
                    if (report.ChangesApplied + report.Transitions > 0)
                        log.LogInformation("tick: {Changes} future-dated changes applied, {Transitions} lifecycle transitions", report.ChangesApplied, report.Transitions);
                }, stoppingToken);
            }
            catch (WorkspaceStateException e)
            {
                Logging.HandoffLog.TickSkipped(log, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "tick failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
