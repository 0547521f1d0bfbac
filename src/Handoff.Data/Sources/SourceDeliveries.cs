using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Sources;

/// <summary>What became of one delivery: applied (with its sync), already applied before (the same
/// file, same content), held by the guard for a person to decide, or rejected earlier.</summary>
public sealed record DeliveryOutcome(long DeliveryId, string System, string Name, string Status, string Message, SyncReport? Sync = null);

/// <summary>
/// The files of a source as deliveries. A file already applied (same name, same bytes) is not read
/// again: "Sync now", a new file beside it or a quarantine retry never replays it. A new file passes
/// the <see cref="DeliveryGuard"/> before anything of it applies; a suspicious one (columns changed,
/// too many people changed, cleared or terminated, a snapshot missing too much of the population) is
/// held whole until a person accepts it (then it applies, with its original place in time) or
/// rejects it (then it never applies).
/// </summary>
public sealed class SourceDeliveries(DatabaseOptions database, TimeProvider clock, KeyMaterial keys, AuditLog audit, SourceSync sync)
{
    private static readonly string[] Settled = ["applied", "held", "rejected", "accepted"];

    /// <summary>Reads one file of a source as a delivery.</summary>
    /// <param name="read">Opens the file's records (called once for the guard, once to apply).</param>
    /// <param name="contentHash">SHA-256 of the file's bytes.</param>
    /// <param name="snapshot">The file is the source's whole population (its <c>delivery: snapshot</c>).</param>
    /// <param name="asOf">What the file's facts are as of (its export time); null: now.</param>
    public async Task<DeliveryOutcome> ReceiveFileAsync(WorkspaceDefinition workspace, string systemId, string name, string contentHash,
        Func<IAsyncEnumerable<SourceItem>> read, bool snapshot, DateTimeOffset? asOf, CancellationToken ct, bool guard = true, string? path = null)
    {
        await using (var db = database.CreateContext())
        {
            var seen = await db.Deliveries.AsNoTracking()
                .Where(d => d.System == systemId && d.Name == name && d.ContentHash == contentHash && Settled.Contains(d.Status))
                .OrderByDescending(d => d.Id).FirstOrDefaultAsync(ct);
            if (seen is not null)
                return new DeliveryOutcome(seen.Id, systemId, name, seen.Status == "held" ? "held" : "seen", seen.Status switch
                {
                    "held" => $"{name}: held since {seen.ReceivedAt:yyyy-MM-dd HH:mm} (delivery {seen.Id}) and waiting for a decision: {seen.Reason}",
                    "rejected" => $"{name}: this content was rejected (delivery {seen.Id}); it is not read again",
                    _ => $"{name}: already applied (delivery {seen.Id}); the same file is not read again",
                });
        }

        var now = clock.GetUtcNow();
        await using (var db = database.CreateContext())
        {
            // The same file left half-read by a crash: its committed batches stand (and are remembered
            // row by row), this reading finishes the rest.
            await db.Deliveries.Where(d => d.System == systemId && d.Name == name && d.ContentHash == contentHash && d.Status == "applying")
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, "interrupted"), ct);
        }
        var delivery = new DeliveryRow
        {
            System = systemId,
            Name = name,
            ContentHash = contentHash,
            Kind = snapshot ? "snapshot" : "changes",
            AsOf = asOf ?? now,
            ReceivedAt = now,
            Status = "applying",
        };
        await using (var db = database.CreateContext())
        {
            db.Deliveries.Add(delivery);
            await db.SaveChangesAsync(ct);
        }

        var system = workspace.FindSystem(systemId) ?? throw new InvalidOperationException($"unknown system '{systemId}'");
        // The schema is watched on every file, held or not: a renamed column is a drift finding for
        // the system's owners even though the guard keeps the file from applying.
        var drift = new Systems.DriftSampler();
        DeliveryInspection inspection;
        try
        {
            inspection = await new DeliveryGuard(database, keys).InspectAsync(workspace, system, drift.WatchAsync(read(), ct), snapshot, clock.GetUtcNow(), ct);
        }
        catch (SourceFormatException)
        {
            // Not this system's export at all: the sync records the refusal as it always did (its row,
            // its audit entry, the schema drift of a snapshot) and marks the delivery failed, so the file
            // is refused again, not skipped, when it is read again.
            await sync.RunAsync(workspace, systemId, read(), "csv", ct, fullSnapshot: snapshot, delivery: new SyncDelivery(delivery.Id, File: name));
            throw;
        }
        delivery.ColumnsJson = JsonDefaults.Serialize(inspection.Columns);
        inspection.Path = path;
        if (guard && inspection.HoldReasons.Count > 0)
        {
            var reason = string.Join("; ", inspection.HoldReasons);
            await using var db = database.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Deliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(u => u
                .SetProperty(d => d.Status, "held").SetProperty(d => d.Reason, reason)
                .SetProperty(d => d.ReportJson, JsonDefaults.Serialize(inspection))
                .SetProperty(d => d.ColumnsJson, delivery.ColumnsJson), ct);
            await audit.AppendAsync(db, new AuditDraft($"system:{systemId}", "delivery.held", "delivery", delivery.Id.ToString(CultureInfo.InvariantCulture),
                [new("file", null, name), new("reason", null, reason)], systemId, $"delivery:{delivery.Id}", clock.GetUtcNow()), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            await drift.RecordAsync(new Systems.DriftMonitor(database, clock, audit), workspace, systemId, 0, "held", inspection.Records, keys.ContentHash, CancellationToken.None);
            return new DeliveryOutcome(delivery.Id, systemId, name, "held",
                $"{name}: held whole, nothing applied (delivery {delivery.Id}): {reason}. Accept or reject it: `handoff deliveries accept {delivery.Id} --as NAME` / `reject`, or Review → Deliveries");
        }

        await using (var db = database.CreateContext())
        {
            await db.Deliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.ColumnsJson, delivery.ColumnsJson), ct);
        }
        var report = await sync.RunAsync(workspace, systemId, read(), "csv", ct, fullSnapshot: snapshot,
            delivery: new SyncDelivery(delivery.Id, File: name));
        return new DeliveryOutcome(delivery.Id, systemId, name, "applied", $"{name}: applied (delivery {delivery.Id})", report);
    }

    /// <summary>The held delivery, for the decision (null when there is none by that id).</summary>
    public async Task<DeliveryRow?> FindAsync(long id, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.Deliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct);
    }

    /// <summary>Applies a held delivery a person accepted, as of its own time and sequence (a later
    /// delivery already applied stays in force where it is newer). The file must still have the bytes
    /// that were held.</summary>
    public async Task<DeliveryOutcome> AcceptAsync(WorkspaceDefinition workspace, long id, string actor, string contentHash,
        Func<IAsyncEnumerable<SourceItem>> read, CancellationToken ct)
    {
        var delivery = await DecideAsync(id, actor, "accepted", null, ct, expectedHash: contentHash);
        var report = await sync.RunAsync(workspace, delivery.System, read(), "csv", ct, fullSnapshot: delivery.Kind == "snapshot",
            delivery: new SyncDelivery(delivery.Id, File: delivery.Name));
        return new DeliveryOutcome(delivery.Id, delivery.System, delivery.Name, "applied", $"{delivery.Name}: accepted by {actor} and applied (delivery {delivery.Id})", report);
    }

    /// <summary>Rejects a held delivery: it never applies, and the same content is not read again.</summary>
    public async Task<DeliveryOutcome> RejectAsync(long id, string actor, string? reason, CancellationToken ct)
    {
        var delivery = await DecideAsync(id, actor, "rejected", reason, ct);
        return new DeliveryOutcome(delivery.Id, delivery.System, delivery.Name, "rejected", $"{delivery.Name}: rejected by {actor} (delivery {delivery.Id}); nothing of it applies");
    }

    private async Task<DeliveryRow> DecideAsync(long id, string actor, string status, string? reason, CancellationToken ct, string? expectedHash = null)
    {
        await using var db = database.CreateContext();
        var delivery = await db.Deliveries.FirstOrDefaultAsync(d => d.Id == id, ct)
            ?? throw new DeliveryDecisionException($"there is no delivery {id}");
        if (delivery.Status != "held")
            throw new DeliveryDecisionException($"delivery {id} ({delivery.Name}) is {delivery.Status}, not held: there is nothing to decide");
        if (expectedHash is not null && delivery.ContentHash != expectedHash)
            throw new DeliveryDecisionException($"{delivery.Name} has changed since delivery {id} was held; sync again to have the new content checked");
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.Deliveries.Where(d => d.Id == id && d.Status == "held")
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, status).SetProperty(d => d.DecidedBy, actor).SetProperty(d => d.DecidedAt, now)
                .SetProperty(d => d.Reason, reason ?? delivery.Reason), ct);
        if (claimed != 1)
            throw new DeliveryDecisionException($"delivery {id} was decided by someone else meanwhile");
        await audit.AppendAsync(db, new AuditDraft(actor, $"delivery.{status}", "delivery", id.ToString(CultureInfo.InvariantCulture),
            [new("file", null, delivery.Name), new("held because", null, delivery.Reason), .. reason is null ? Array.Empty<AuditFieldChange>() : [new("reason", null, reason)]],
            delivery.System, $"delivery:{id}", now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        delivery.Status = status;
        return delivery;
    }

    /// <summary>The latest delivery of a file name (for a quarantine retry: the fixed file keeps the
    /// original file's as-of time, so a fix never outranks a newer fact).</summary>
    public async Task<DeliveryRow?> LatestOfFileAsync(string system, string name, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.Deliveries.AsNoTracking().Where(d => d.System == system && d.Name == name && d.ContentHash != "")
            .OrderByDescending(d => d.Id).FirstOrDefaultAsync(ct);
    }

    public async Task<List<DeliveryRow>> ListAsync(string? system, string? status, int limit, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var q = db.Deliveries.AsNoTracking().AsQueryable();
        if (system is not null)
            q = q.Where(d => d.System == system);
        if (status is not null)
            q = q.Where(d => d.Status == status);
        return await q.OrderByDescending(d => d.Id).Take(limit).ToListAsync(ct);
    }
}

/// <summary>A decision on a delivery that cannot be taken (unknown, not held, changed since).</summary>
public sealed class DeliveryDecisionException(string message) : Exception(message);
