using System.Reflection;
using Handoff.Data.Cluster;
using Handoff.Data.Workflows;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Cluster;

/// <summary>
/// This node's heartbeat in the <c>nodes</c> table (every <see cref="NodeRegistry.HeartbeatInterval"/>),
/// and the queue depths the metrics report (read with the heartbeat, so a scrape never queries the
/// database). On a clean shutdown the node gives up its job leases and marks itself gone, so another
/// node takes the jobs at once.
/// </summary>
public sealed class NodeWorker(HandoffRuntime runtime, QueueDepth depth, IServer server, ILogger<NodeWorker> log) : BackgroundService
{
    public static string Version { get; } =
        typeof(NodeWorker).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private readonly DateTimeOffset _started = runtime.Clock.GetUtcNow();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(NodeRegistry.HeartbeatInterval);
        do
        {
            try
            {
                var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
                await runtime.Nodes.BeatAsync(runtime.NodeId, _started, Version, address, stoppingToken);
                await depth.RefreshAsync(runtime, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Logging.HandoffLog.HeartbeatFailed(log, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await runtime.Jobs.ReleaseAllAsync(cancellationToken);
            await runtime.Nodes.LeaveAsync(runtime.NodeId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logging.HandoffLog.HeartbeatFailed(log, e.Message);
        }
    }
}

/// <summary>The queue depths of the last heartbeat: queued or due runs and unprocessed outbox events.</summary>
public sealed class QueueDepth
{
    public long QueuedRuns { get; private set; }
    public long Outbox { get; private set; }

    public async Task RefreshAsync(HandoffRuntime runtime, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        QueuedRuns = await db.Runs.LongCountAsync(r => r.Status == RunStatus.Queued, ct);
        Outbox = await db.OutboxEvents.LongCountAsync(e => e.ProcessedAt == null, ct);
    }
}
