using System.Diagnostics;
using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Dictionary;
using Handoff.Core.People;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.People;
using Handoff.Data.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Sources;

/// <summary>The counts of one sync, as recorded in its <see cref="SyncRow"/>.</summary>
public sealed record SyncReport(long SyncId, string System, int Read, int Created, int Updated, int Unchanged, int Rejected, int Held, int Scheduled, TimeSpan Duration)
{
    /// <summary>Records that carried values older than the ones in force: those values were not applied
    /// (the record's newer values were).</summary>
    public int Stale { get; init; }

    /// <summary>What became of each delivery (file) the sync looked at: applied, already applied, held.</summary>
    public IReadOnlyList<DeliveryOutcome> Deliveries { get; init; } = [];

    /// <summary>One report for the files of one sync: the counts of what applied, and each file's fate.</summary>
    public static SyncReport Combine(string system, IReadOnlyList<DeliveryOutcome> outcomes)
    {
        var syncs = outcomes.Select(o => o.Sync).OfType<SyncReport>().ToList();
        return new SyncReport(syncs.LastOrDefault()?.SyncId ?? 0, system, syncs.Sum(s => s.Read), syncs.Sum(s => s.Created), syncs.Sum(s => s.Updated),
            syncs.Sum(s => s.Unchanged), syncs.Sum(s => s.Rejected), syncs.Sum(s => s.Held), syncs.Sum(s => s.Scheduled),
            TimeSpan.FromTicks(syncs.Sum(s => s.Duration.Ticks)))
        {
            Stale = syncs.Sum(s => s.Stale),
            Deliveries = outcomes,
        };
    }
}

/// <summary>The delivery a sync belongs to: an existing one (a file, a held delivery now accepted, a
/// quarantine retry keeping its original place in time), or a new one of <see cref="Name"/>.</summary>
/// <param name="File">For a file: its name, so rows the same file already stated are recognised.</param>
public sealed record SyncDelivery(long? Id = null, DateTimeOffset? AsOf = null, string? File = null, string? Name = null);

/// <summary>
/// Takes a source's records through the data spine: dictionary mapping and conversion, quarantine of
/// bad rows, correlation, conflict rules, findings, lifecycle, events. Records are handled in batches,
/// each batch in one transaction that holds every record's whole effect (person, keys, findings,
/// events, quarantine) — a crash loses at most the open batch, and running the sync again redoes it
/// without doubling anything because an applied record's hash makes it "unchanged".
/// </summary>
public sealed class SourceSync(DatabaseOptions database, TimeProvider clock, KeyMaterial keys, AuditLog audit)
{
    public int BatchSize { get; init; } = 1000;

    /// <param name="fullSnapshot">The items are the source's whole content (a CSV drop), so rows
    /// quarantined by earlier snapshots are closed: this read quarantines again what is still bad.</param>
    /// <param name="onlyKeys">When the caller knows every native key the items carry (a SCIM request),
    /// only those keys' earlier state is loaded instead of the whole system's — a request for one
    /// worker then costs the same with 100 or 100,000 workers known.</param>
    /// <param name="delivery">The delivery these items are; null: a new one named after the channel,
    /// as of now.</param>
    public async Task<SyncReport> RunAsync(WorkspaceDefinition workspace, string systemId, IAsyncEnumerable<SourceItem> items, string channel, CancellationToken ct,
        bool fullSnapshot = false, IReadOnlyCollection<string>? onlyKeys = null, SyncDelivery? delivery = null)
    {
        var system = workspace.FindSystem(systemId) ?? throw new InvalidOperationException($"unknown system '{systemId}'");
        var mapper = new RecordMapper(workspace.Dictionary, system) { KeyedHash = keys.ContentHash };
        delivery ??= new SyncDelivery();
        var stamp = await StampAsync(systemId, delivery, channel, fullSnapshot, ct);
        mapper.Delivery = stamp;
        var file = delivery.File;
        var protection = new FieldProtection(workspace.Dictionary, keys);
        var started = Stopwatch.StartNew();
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);

        var sync = new SyncRow { System = systemId, Channel = channel, StartedAt = now };
        // A full export shows the source's schema and size: watched for drift and volume (docs/governance.md).
        var drift = fullSnapshot ? new Systems.DriftSampler() : null;
        if (drift is not null)
            items = drift.WatchAsync(items, ct);
        Dictionary<string, (string Hash, DateOnly? Effective)> known;
        HashSet<(string, DateOnly, string)> pending;
        Dictionary<string, string> stated = [];
        await using (var db = database.CreateContext())
        {
            db.Syncs.Add(sync);
            await db.SaveChangesAsync(ct);
            if (file is not null)
            {
                stated = await db.DeliveredRows.AsNoTracking().Where(r => r.System == systemId && r.File == file)
                    .ToDictionaryAsync(r => r.NativeKey, r => r.Hash, StringComparer.Ordinal, ct);
            }
            if (fullSnapshot)
            {
                await db.Quarantine.Where(q => q.System == systemId && q.Status == "open" && q.Pointer == null && (file == null || q.File == file))
                    .ExecuteUpdateAsync(u => u.SetProperty(q => q.Status, "superseded").SetProperty(q => q.ClosedAt, now), ct);
            }
            if (onlyKeys is null)
            {
                known = await db.SourceRecords.AsNoTracking().Where(s => s.System == systemId)
                    .Select(s => new { s.NativeKey, s.Hash, s.EffectiveFrom })
                    .ToDictionaryAsync(s => s.NativeKey, s => (s.Hash, s.EffectiveFrom), ct);
                pending = (await db.PendingChanges.AsNoTracking().Where(p => p.System == systemId && p.AppliedAt == null)
                    .Select(p => new { p.NativeKey, p.EffectiveFrom, p.Hash }).ToListAsync(ct))
                    .Select(p => (p.NativeKey, p.EffectiveFrom, p.Hash)).ToHashSet();
            }
            else
            {
                known = [];
                pending = [];
                foreach (var chunk in onlyKeys.Distinct().Chunk(500))
                {
                    foreach (var s in await db.SourceRecords.AsNoTracking().Where(s => s.System == systemId && chunk.Contains(s.NativeKey))
                        .Select(s => new { s.NativeKey, s.Hash, s.EffectiveFrom }).ToListAsync(ct))
                        known[s.NativeKey] = (s.Hash, s.EffectiveFrom);
                    foreach (var p in await db.PendingChanges.AsNoTracking().Where(p => p.System == systemId && p.AppliedAt == null && chunk.Contains(p.NativeKey))
                        .Select(p => new { p.NativeKey, p.EffectiveFrom, p.Hash }).ToListAsync(ct))
                        pending.Add((p.NativeKey, p.EffectiveFrom, p.Hash));
                }
            }
        }

        var counts = new Counts();
        // A batch holds the records that do something (apply, quarantine, schedule): a record whose
        // content was already applied is counted as read and unchanged without taking a place in a
        // batch, so a re-sync pays per change, not per batch of 1000 rows read. A record whose key is
        // already in the open batch goes in too, so that it is decided after that row.
        var batch = new List<Entry>(BatchSize);
        var keysInBatch = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var item in items.WithCancellation(ct))
            {
                var entry = Map(mapper, item);
                // A row this file already stated, unchanged, is not a new fact: re-reading an old
                // export (or fixing another of its rows) never brings its old values back.
                if (entry.Record is { } said && !keysInBatch.Contains(said.NativeKey)
                    && stated.TryGetValue(said.NativeKey, out var saidBefore) && saidBefore == said.Hash)
                {
                    counts.Read++;
                    counts.Unchanged++;
                    continue;
                }
                if (entry.Record is { } record && !keysInBatch.Contains(record.NativeKey)
                    && !(record.EffectiveFrom is { } eff && eff > today) && IsUnchanged(known, record))
                {
                    counts.Read++;
                    counts.Unchanged++;
                    continue;
                }
                batch.Add(entry);
                if (entry.Record is not null)
                    keysInBatch.Add(entry.Record.NativeKey);
                if (batch.Count >= BatchSize)
                {
                    await ProcessBatchAsync(workspace.Dictionary, protection, system, mapper, sync.Id, batch, known, pending, today, counts, ct, file, stated);
                    batch.Clear();
                    keysInBatch.Clear();
                }
            }
            if (batch.Count > 0)
                await ProcessBatchAsync(workspace.Dictionary, protection, system, mapper, sync.Id, batch, known, pending, today, counts, ct, file, stated);
            sync.Status = "completed";
        }
        catch (SourceFormatException e)
        {
            sync.Status = "refused";
            sync.Error = e.Message;
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            sync.Status = "failed";
            sync.Error = e.Message;
            throw;
        }
        finally
        {
            await using var db = database.CreateContext();
            db.Entry(sync).State = EntityState.Modified; // status and error were set before this context saw it
            sync.FinishedAt = clock.GetUtcNow();
            sync.DurationMs = started.ElapsedMilliseconds;
            (sync.Read, sync.Created, sync.Updated, sync.Unchanged, sync.Rejected, sync.Held, sync.Scheduled) =
                (counts.Read, counts.Created, counts.Updated, counts.Unchanged, counts.Rejected, counts.Held, counts.Scheduled);
            await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
            await audit.AppendAsync(db, new AuditDraft($"system:{systemId}", "sync.completed", "sync", sync.Id.ToString(CultureInfo.InvariantCulture),
                [new("status", null, sync.Status), new("counts", null, $"read {sync.Read}, created {sync.Created}, updated {sync.Updated}, unchanged {sync.Unchanged}, rejected {sync.Rejected}, held {sync.Held}, future-dated {sync.Scheduled}, older than in force {counts.Stale}"),
                    new("delivery", null, stamp.Sequence.ToString(CultureInfo.InvariantCulture))],
                systemId, $"sync:{sync.Id}", sync.FinishedAt), CancellationToken.None);
            await db.Deliveries.Where(d => d.Id == stamp.Sequence && (d.Status == "applying" || d.Status == "accepted"))
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, sync.Status == "completed" ? "applied" : "failed").SetProperty(d => d.SyncId, sync.Id)
                    .SetProperty(d => d.Reason, sync.Error), CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
            if (drift is not null)
                await drift.RecordAsync(new Systems.DriftMonitor(database, clock, audit), workspace, systemId, sync.Id, sync.Status, sync.Read, keys.ContentHash, CancellationToken.None);
        }

        return new SyncReport(sync.Id, systemId, counts.Read, counts.Created, counts.Updated, counts.Unchanged, counts.Rejected, counts.Held, counts.Scheduled, started.Elapsed)
        {
            Stale = counts.Stale,
        };
    }

    /// <summary>The delivery's sequence and as-of time: the existing delivery's, or a new delivery row's.</summary>
    private async Task<DeliveryStamp> StampAsync(string systemId, SyncDelivery delivery, string channel, bool fullSnapshot, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        if (delivery.Id is { } id)
        {
            var row = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == id, ct);
            return new DeliveryStamp(row.Id, delivery.AsOf ?? row.AsOf);
        }
        var now = clock.GetUtcNow();
        var fresh = new DeliveryRow
        {
            System = systemId,
            Name = delivery.Name ?? delivery.File ?? channel,
            Kind = fullSnapshot ? "snapshot" : "changes",
            AsOf = delivery.AsOf ?? now,
            ReceivedAt = now,
            Status = "applying",
        };
        db.Deliveries.Add(fresh);
        await db.SaveChangesAsync(ct);
        return new DeliveryStamp(fresh.Id, fresh.AsOf);
    }

    /// <summary>A record read and mapped (or why it cannot be used).</summary>
    private readonly record struct Entry(SourceItem Item, MappedRecord? Record, RecordProblem? Problem);

    private static Entry Map(RecordMapper mapper, SourceItem item)
    {
        if (item is not NativeRecord native)
            return new Entry(item, null, null);
        mapper.TryMap(native, out var record, out var problem);
        return new Entry(item, record, problem);
    }

    private async Task ProcessBatchAsync(
        DictionaryDefinition dictionary, FieldProtection protection, SystemDefinition system, RecordMapper mapper, long syncId, List<Entry> items,
        Dictionary<string, (string Hash, DateOnly? Effective)> known, HashSet<(string, DateOnly, string)> pending,
        DateOnly today, Counts counts, CancellationToken ct, string? file, Dictionary<string, string> stated)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var inserts = new List<object>(items.Count * 8);
        var toApply = new List<MappedRecord>();
        var deliveryId = mapper.Delivery?.Sequence;
        var remembered = new Dictionary<string, DeliveredRowRow>(StringComparer.Ordinal);
        foreach (var (item, mapped, problem) in items)
        {
            counts.Read++;
            if (file is not null && mapped is { } said)
                Remember(db, inserts, remembered, mapper.System, file, said, stated);
            if (item is UnreadableRow bad)
            {
                counts.Rejected++;
                inserts.Add(new QuarantineRow
                {
                    SyncId = syncId,
                    System = mapper.System,
                    File = bad.File,
                    Line = bad.Line,
                    Pointer = bad.Pointer,
                    Reason = bad.Reason,
                    Raw = JsonDefaults.Serialize(new { raw = keys.Cipher.Encrypt(bad.Raw, "raw") }),
                    CreatedAt = now,
                    DeliveryId = deliveryId,
                });
                continue;
            }
            var native = (NativeRecord)item;
            if (mapped is not { } record)
            {
                counts.Rejected++;
                inserts.Add(new QuarantineRow
                {
                    SyncId = syncId,
                    System = mapper.System,
                    File = native.File,
                    Line = native.Line,
                    Pointer = native.Pointer,
                    Field = problem!.Field,
                    Reason = problem.Reason,
                    Raw = protection.SerializeNative(system, native.Values),
                    CreatedAt = now,
                    DeliveryId = deliveryId,
                });
                continue;
            }

            if (record.EffectiveFrom is { } eff && eff > today)
            {
                // Future-dated: held until its day; the same row seen again is not stored twice.
                counts.Scheduled++;
                if (pending.Add((record.NativeKey, eff, record.Hash)))
                {
                    var existing = await db.PendingChanges.FirstOrDefaultAsync(
                        p => p.System == record.System && p.NativeKey == record.NativeKey && p.EffectiveFrom == eff && p.AppliedAt == null, ct);
                    if (existing is null)
                    {
                        inserts.Add(new PendingChangeRow
                        {
                            System = record.System,
                            NativeKey = record.NativeKey,
                            EffectiveFrom = eff,
                            Hash = record.Hash,
                            ValuesJson = protection.SerializeValues(record.Values),
                            Location = record.Location,
                            ObservedAt = now,
                            Order = record.Order,
                        });
                    }
                    else if (RecordOrder.IsNotOlder(record.Order, existing.Order))
                    {
                        existing.Hash = record.Hash;
                        existing.ValuesJson = protection.SerializeValues(record.Values);
                        existing.Location = record.Location;
                        existing.ObservedAt = now;
                        existing.Order = record.Order;
                        db.Entry(existing).State = EntityState.Modified;
                    }
                }
                continue;
            }

            if (IsUnchanged(known, record))
            {
                counts.Unchanged++;
                continue;
            }
            toApply.Add(record);
        }

        await SupersedeQuarantinedAsync(db, mapper.System, inserts.OfType<QuarantineRow>().Where(q => q.Pointer is null).ToList(), now, ct);

        PersonBatch? people = null;
        if (toApply.Count > 0)
        {
            people = new PersonBatch(db, dictionary, protection, now, inserts) { CorrelationId = $"sync:{syncId}" };
            await people.LoadAsync(mapper.System, toApply, ct);
            foreach (var record in toApply)
            {
                // Checked again: an earlier record of this batch may have been the same worker's newer row.
                if (IsUnchanged(known, record))
                {
                    counts.Unchanged++;
                    continue;
                }
                var staleBefore = people.StaleRecords;
                var outcome = ApplyOne(people, dictionary, record, now, system.CreatesPeople);
                counts.Add(outcome);
                counts.Stale += people.StaleRecords - staleBefore;
                if (outcome != ApplyOutcome.Held && people.Link(record.System, record.NativeKey) is { } link)
                    known[record.NativeKey] = (link.Hash, link.EffectiveFrom);
            }
        }

        await BatchWriter.SaveAsync(db, inserts, ct, people is { AuditDrafts.Count: > 0 } ? () => audit.AppendAsync(db, people.AuditDrafts, ct) : null);
    }

    /// <summary>Notes what this file said about the record, so the same row read again is not a new fact.</summary>
    private static void Remember(HandoffDbContext db, List<object> inserts, Dictionary<string, DeliveredRowRow> remembered,
        string system, string file, MappedRecord record, Dictionary<string, string> stated)
    {
        if (remembered.TryGetValue(record.NativeKey, out var inBatch))
        {
            // The same key twice in one batch: one row, written once, with the later content.
            inBatch.Hash = record.Hash;
            if (db.Entry(inBatch).State == EntityState.Unchanged)
                db.Entry(inBatch).Property(r => r.Hash).IsModified = true;
        }
        else if (!stated.TryGetValue(record.NativeKey, out var before))
        {
            var row = new DeliveredRowRow { System = system, File = file, NativeKey = record.NativeKey, Hash = record.Hash };
            inserts.Add(row);
            remembered[record.NativeKey] = row;
        }
        else if (before != record.Hash)
        {
            var row = new DeliveredRowRow { System = system, File = file, NativeKey = record.NativeKey, Hash = before };
            db.DeliveredRows.Attach(row);
            row.Hash = record.Hash;
            db.Entry(row).Property(r => r.Hash).IsModified = true;
            remembered[record.NativeKey] = row;
        }
        stated[record.NativeKey] = record.Hash;
    }

    /// <summary>A row quarantined again (the same file and line read once more, e.g. a re-run of
    /// <c>sync --file</c>) replaces its earlier entry instead of listing the problem twice.</summary>
    private static async Task SupersedeQuarantinedAsync(HandoffDbContext db, string system, List<QuarantineRow> fresh, DateTimeOffset now, CancellationToken ct)
    {
        if (fresh.Count == 0)
            return;
        var files = fresh.Select(q => q.File).Distinct().ToList();
        var places = fresh.Select(q => (q.File, q.Line)).ToHashSet();
        var open = await db.Quarantine.Where(q => q.System == system && q.Status == "open" && q.Pointer == null && files.Contains(q.File)).ToListAsync(ct);
        foreach (var old in open.Where(q => places.Contains((q.File, q.Line))))
        {
            old.Status = "superseded";
            old.ClosedAt = now;
            db.Entry(old).State = EntityState.Modified;
        }
    }

    /// <summary>Same content as what was applied, or an older effective row than the one applied
    /// (the base row of a worker whose transfer took effect): nothing to do.</summary>
    private static bool IsUnchanged(Dictionary<string, (string Hash, DateOnly? Effective)> known, MappedRecord record) =>
        known.TryGetValue(record.NativeKey, out var seen)
        && (seen.Hash == record.Hash || (seen.Effective ?? DateOnly.MinValue) > (record.EffectiveFrom ?? DateOnly.MinValue));

    internal static ApplyOutcome ApplyOne(PersonBatch people, DictionaryDefinition dictionary, MappedRecord record, DateTimeOffset now, bool createsPeople)
    {
        if (people.IsHeld(record, out var waiting))
        {
            // Still waiting for a decision: keep the newest content, decide nothing.
            waiting!.RecordJson = people.Protection.SerializeHeld(HeldRecord.From(record));
            return ApplyOutcome.Held;
        }
        var decision = Correlator.Decide(dictionary.Correlation, record.System, record.NativeKey, people.Protection.ForCorrelation(record.Values), people);
        switch (decision)
        {
            case CorrelationDecision.Match m:
                return people.Apply(record, m.PersonId, now);
            case CorrelationDecision.NoMatch when createsPeople:
                return people.Apply(record, null, now);
            case CorrelationDecision.NoMatch:
                people.Hold(record, "unmatched", [], $"{record.System} record {record.NativeKey} matches no person, and {record.System} does not create people");
                return ApplyOutcome.Held;
            case CorrelationDecision.Review r:
                people.Hold(record, r.Kind, r.Candidates, r.Reason);
                return ApplyOutcome.Held;
            default:
                throw new InvalidOperationException($"unexpected decision {decision}");
        }
    }

    private sealed class Counts
    {
        public int Read, Created, Updated, Unchanged, Rejected, Held, Scheduled, Stale;

        public void Add(ApplyOutcome outcome)
        {
            switch (outcome)
            {
                case ApplyOutcome.Created: Created++; break;
                case ApplyOutcome.Updated: Updated++; break;
                case ApplyOutcome.Unchanged: Unchanged++; break;
                case ApplyOutcome.Held: Held++; break;
            }
        }
    }
}
