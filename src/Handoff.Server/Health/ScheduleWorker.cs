using Handoff.Data.Workspace;

namespace Handoff.Server.Health;

/// <summary>Runs the daily clock of the data spine (future-dated changes, start and termination
/// dates) every few minutes while the server runs; a missed day is caught up at the next tick.</summary>
public sealed class ScheduleWorker(HandoffRuntime runtime, ILogger<ScheduleWorker> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var workspace = await runtime.Workspace.LoadActiveAsync(stoppingToken);
                var report = await runtime.Scheduled.RunAsync(workspace.Definition, stoppingToken);
                if (report.ChangesApplied + report.Transitions > 0)
                    log.LogInformation("tick: {Changes} future-dated changes applied, {Transitions} lifecycle transitions", report.ChangesApplied, report.Transitions);
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
