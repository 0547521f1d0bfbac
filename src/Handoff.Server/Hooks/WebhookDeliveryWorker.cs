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
public sealed class WebhookDeliveryWorker(HandoffRuntime runtime, WebhookSignal signal, ILogger<WebhookDeliveryWorker> log) : BackgroundService
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

    /// <summary>Processes one pending delivery; false when there is none.</summary>
    public async Task<bool> ProcessNextAsync(CancellationToken ct)
    {
        Guid id;
        string system;
        string body;
        await using (var db = runtime.Database.CreateContext())
        {
            var next = await db.WebhookDeliveries.AsNoTracking().Where(d => d.Status == "pending")
                .OrderBy(d => d.ReceivedAt).Select(d => new { d.Id, d.System, d.Body }).FirstOrDefaultAsync(ct);
            if (next is null)
                return false;
            (id, system, body) = (next.Id, next.System, next.Body);
        }

        string status;
        long? syncId = null;
        string? error = null;
        try
        {
            var workspace = await runtime.Workspace.LoadActiveAsync(ct);
            var items = JsonRecordReader.Read(Encoding.UTF8.GetBytes(body), $"delivery {id}");
            var report = await runtime.Sync.RunAsync(workspace.Definition, system, ToAsync(items), "webhook", ct);
            syncId = report.SyncId;
            status = "processed";
        }
        catch (Exception e) when (e is SourceFormatException or InvalidOperationException or Data.Workspace.WorkspaceStateException)
        {
            status = "failed";
            error = e.Message;
            log.LogWarning("webhook delivery {Id} for {System} failed: {Error}", id, system, e.Message);
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
