using System.Text;
using Handoff.Connectors.Webhook;
using Handoff.Core.Sources;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Hooks;

/// <summary>Wakes the delivery worker when a delivery was stored, so it need not poll fast.</summary>
public sealed class WebhookSignal
{
    private readonly SemaphoreSlim _signal = new(0);

    public void Notify()
    {
        if (_signal.CurrentCount == 0)
            _signal.Release();
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

/// <summary>
/// Takes stored webhook deliveries through the source pipeline, oldest first. A delivery is marked
/// processed with its sync id once the sync finished; a crash in between leaves it
/// pending and it is processed again, which the record hashes make harmless.
/// </summary>
public sealed class WebhookDeliveryWorker(HandoffRuntime runtime, WebhookSignal signal, ILogger<WebhookDeliveryWorker> log,
    Health.WorkflowSignal? workflows = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await ProcessNextAsync(stoppingToken))
                {
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "webhook delivery processing failed; retrying shortly");
            }
            try
            {
                await signal.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<DateTimeOffset> ReceivedAtAsync(Guid id, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        return await db.WebhookDeliveries.AsNoTracking().Where(d => d.Id == id).Select(d => d.ReceivedAt).SingleAsync(ct);
    }

    /// <summary>A claim older than this belongs to a worker that died; the delivery is taken over.</summary>
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Processes one pending delivery; false when there is none. A delivery is claimed with
    /// a conditional update first, so two workers (or two nodes) never process the same one.</summary>
    public async Task<bool> ProcessNextAsync(CancellationToken ct)
    {
        Guid id;
        string system;
        string body;
        while (true)
        {
            var now = runtime.Clock.GetUtcNow();
            var stale = now - ClaimTimeout;
            await using var db = runtime.Database.CreateContext();
            var next = await db.WebhookDeliveries.AsNoTracking()
                .Where(d => d.Status == "pending" || (d.Status == "processing" && d.ClaimedAt < stale))
                .OrderBy(d => d.ReceivedAt).Select(d => new { d.Id, d.System, d.Body, d.Status, d.ClaimedAt }).FirstOrDefaultAsync(ct);
            if (next is null)
                return false;
            var claimed = await db.WebhookDeliveries
                .Where(d => d.Id == next.Id && d.Status == next.Status && d.ClaimedAt == next.ClaimedAt)
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, "processing").SetProperty(d => d.ClaimedAt, now), ct);
            if (claimed == 1)
            {
                (id, system, body) = (next.Id, next.System, next.Body);
                break;
            }
        }

        string status;
        long? syncId = null;
        string? error = null;
        try
        {
            var workspace = await runtime.Workspace.LoadActiveAsync(ct);
            var items = JsonRecordReader.Read(Encoding.UTF8.GetBytes(WebhookBody.Open(runtime.Keys, body)), $"delivery {id}");
            // The body's facts are as of its arrival (the signed timestamp is within minutes of it), and
            // deliveries are taken oldest first: a resent older body never outranks a newer one.
            var receivedAt = await ReceivedAtAsync(id, ct);
            var report = await runtime.Sync.RunAsync(workspace.Definition, system, ToAsync(items), "webhook", ct,
                delivery: new Data.Sources.SyncDelivery(AsOf: receivedAt, Name: $"webhook:{id}"));
            syncId = report.SyncId;
            status = "processed";
            // The sync's events are in the outbox: the workflow worker need not wait for its next round.
            workflows?.Wake();
        }
        catch (Exception e) when (e is SourceFormatException or InvalidOperationException or Data.Workspace.WorkspaceStateException)
        {
            status = "failed";
            error = e.Message;
            Logging.HandoffLog.DeliveryFailed(log, id, system, e.Message);
        }

        await using (var db = runtime.Database.CreateContext())
        {
            var delivery = await db.WebhookDeliveries.SingleAsync(d => d.Id == id, ct);
            delivery.Status = status;
            delivery.SyncId = syncId;
            delivery.Error = error;
            delivery.ProcessedAt = runtime.Clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
        }
        return true;
    }

    private static async IAsyncEnumerable<SourceItem> ToAsync(IReadOnlyList<SourceItem> items)
    {
        foreach (var item in items)
            yield return item;
        await Task.CompletedTask;
    }
}
