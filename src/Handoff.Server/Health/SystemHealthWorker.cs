using Handoff.Data.Workspace;
using Handoff.Server.Cli;

namespace Handoff.Server.Health;

/// <summary>Every few minutes: the health rules (error spikes, sync age, credentials, quarantine of failing
/// targets) run over what is recorded; once an hour the targets' schemas are read again for drift.
/// Sources need no polling: their schema and size are recorded at each full sync.</summary>
/// <remarks>Several nodes would each run the rules; findings are deduplicated while open, so the cost is
/// a few queries, not a double finding.</remarks>
public sealed class SystemHealthWorker(HandoffRuntime runtime, ILogger<SystemHealthWorker> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan SchemaInterval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastSchema = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var workspace = (await runtime.Workspace.LoadActiveAsync(stoppingToken)).Definition;
                var now = runtime.Clock.GetUtcNow();
                if (now - lastSchema >= SchemaInterval)
                {
                    lastSchema = now;
                    await DriftServices.CheckAsync(runtime, workspace, null, stoppingToken);
                }
                else
                {
                    await DriftServices.For(runtime).Health.RunAsync(workspace, stoppingToken);
                }
            }
            catch (WorkspaceStateException e)
            {
                Logging.HandoffLog.TickSkipped(log, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "system health check failed");
            }
        }
    }
}
