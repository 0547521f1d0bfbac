using Handoff.Data.Workspace;

namespace Handoff.Server.Health;

/// <summary>Checks the feedback reports' SLA clocks every minute: reminders at the charter's share of
/// the SLA, the breach, and each step of the escalation path (see <c>FeedbackStore.CheckSlasAsync</c>).</summary>
public sealed class FeedbackSlaWorker(HandoffRuntime runtime, ILogger<FeedbackSlaWorker> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var report = await runtime.Feedback.CheckSlasAsync(stoppingToken);
                if (report.Reminders + report.Breaches + report.Escalations > 0)
                    log.LogInformation("feedback SLA: {Reminders} reminder(s), {Breaches} breach(es), {Escalations} escalation(s)", report.Reminders, report.Breaches, report.Escalations);
                foreach (var problem in report.MailProblems)
                    log.LogWarning("feedback SLA mail: {Problem}", problem);
            }
            catch (WorkspaceStateException e)
            {
                Logging.HandoffLog.TickSkipped(log, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "feedback SLA check failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
