using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Handoff.Core.Audit;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Handoff.Data.Audit;

public enum AuditExportFormat { Csv, Jsonl }

/// <summary>What to export: entries with <c>From ≤ At &lt; To</c>, optionally only one person's
/// (object type <c>person</c>) or one system's.</summary>
public sealed record AuditExportQuery(DateTimeOffset? From = null, DateTimeOffset? To = null, string? PersonId = null, string? System = null);

/// <summary>The result of walking the whole chain.</summary>
public sealed record AuditVerification(long Entries, int Checkpoints, AuditProblem? Problem)
{
    public bool Intact => Problem is null;
}

/// <summary>What changed in a period against what was logged.</summary>
public sealed record AuditCompleteness(long Expected, long Logged, IReadOnlyList<string> Missing)
{
    public double Percent => Expected == 0 ? 100 : 100.0 * Logged / Expected;
}

/// <summary>
/// The audit log: appends entries inside the caller's transaction, verifies the chain, exports it and
/// checks its completeness.
/// <para>Concurrency rule: <see cref="AppendAsync(HandoffDbContext, IEnumerable{AuditDraft}, CancellationToken)"/>
/// is called after <c>BeginTransactionAsync</c> and before <c>SaveChangesAsync</c>. Its first call in a
/// transaction locks the <c>audit_head</c> row with an UPDATE (a row lock held to commit on
/// PostgreSQL; on SQLite EF's <c>BeginTransaction</c> is already <c>BEGIN IMMEDIATE</c>, and the
/// UPDATE would take the write lock anyway) and reads the head in the same statement, so two
/// appenders never see the same head: the second waits for the first to commit or roll back. Later
/// calls in the same transaction continue from memory — one round-trip per transaction, whatever the
/// batch size. A rolled-back transaction takes its entries and its head update with it: no gap.</para>
/// </summary>
public sealed class AuditLog(DatabaseOptions database, IAuditSigningKey key, TimeProvider clock, int checkpointEvery = 1000)
{
    private static readonly ConditionalWeakTable<HandoffDbContext, AppendState> States = [];

    public int CheckpointEvery { get; } = checkpointEvery > 0 ? checkpointEvery : throw new ArgumentOutOfRangeException(nameof(checkpointEvery));
    public IAuditSigningKey Key { get; } = key;

    /// <summary>Adds one entry to <paramref name="db"/>; it is written by the caller's <c>SaveChangesAsync</c>
    /// and committed (or rolled back) with the caller's transaction.</summary>
    public async Task<AuditEntry> AppendAsync(HandoffDbContext db, AuditDraft draft, CancellationToken ct = default) =>
        (await AppendAsync(db, [draft], ct))[0];

    /// <summary>Adds entries to <paramref name="db"/> in order (see the class summary for the rule).
    /// Every <see cref="CheckpointEvery"/>th entry also gets a signed checkpoint.</summary>
    public async Task<IReadOnlyList<AuditEntry>> AppendAsync(HandoffDbContext db, IEnumerable<AuditDraft> drafts, CancellationToken ct = default)
    {
        var tx = db.Database.CurrentTransaction
            ?? throw new InvalidOperationException("AuditLog.AppendAsync must run inside the transaction of the change it logs: call db.Database.BeginTransactionAsync() first, SaveChangesAsync() and CommitAsync() after");
        if (!States.TryGetValue(db, out var state) || state.TransactionId != tx.TransactionId)
        {
            foreach (var tracked in db.ChangeTracker.Entries<AuditHeadRow>().ToList())
                tracked.State = EntityState.Detached;
            var head = await LockHeadAsync(db, tx, ct);
            db.AuditHead.Attach(head);
            state = new AppendState(tx.TransactionId, head);
            States.AddOrUpdate(db, state);
        }

        var now = clock.GetUtcNow();
        var entries = new List<AuditEntry>();
        foreach (var draft in drafts)
        {
            var entry = AuditChain.Seal(draft, state.Head.Sequence + 1, state.Head.Hash, now);
            db.AuditEntries.Add(AuditEntryRow.From(entry));
            state.Head.Sequence = entry.Sequence;
            state.Head.Hash = entry.Hash;
            if (entry.Sequence % CheckpointEvery == 0)
                db.AuditCheckpoints.Add(ToRow(AuditChain.SignCheckpoint(entry.Sequence, entry.Hash, Key, now)));
            entries.Add(entry);
        }
        // Marked explicitly: callers may save with automatic change detection off.
        db.Entry(state.Head).State = EntityState.Modified;
        return entries;
    }

    /// <summary>Signs a checkpoint at the current head now (on demand), in its own transaction.
    /// Null when the log is empty or the head already has one.</summary>
    public async Task<AuditCheckpoint?> CheckpointAsync(CancellationToken ct = default)
    {
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var head = await LockHeadAsync(db, tx, ct);
        if (head.Sequence == 0 || await db.AuditCheckpoints.AnyAsync(c => c.Sequence == head.Sequence, ct))
            return null;
        var checkpoint = AuditChain.SignCheckpoint(head.Sequence, head.Hash, Key, clock.GetUtcNow());
        db.AuditCheckpoints.Add(ToRow(checkpoint));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return checkpoint;
    }

    /// <summary>Walks the whole chain in sequence order, streamed, in one consistent snapshot.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken ct = default)
    {
        await using var db = database.CreateContext();
        await using var tx = await BeginSnapshotAsync(db, ct);
        var checkpoints = await db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.Sequence).ToListAsync(ct);
        var head = await db.AuditHead.AsNoTracking().SingleAsync(h => h.Id == 1, ct);
        var verifier = new AuditVerifier(checkpoints.Select(c => c.ToCheckpoint()), KeyFor);
        await foreach (var row in db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ThenBy(e => e.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (row.Sequence > head.Sequence && verifier.Problem is null)
                return new(verifier.Entries, verifier.CheckpointsVerified, new(AuditProblemKind.Inserted, row.Sequence,
                    $"entry {row.Sequence} was inserted: the log's head is entry {head.Sequence}, nothing was appended after it"));
            if (!verifier.Add(row.ToEntry()))
                break;
        }
        var problem = verifier.Complete(head.Sequence);
        return new(verifier.Entries, verifier.CheckpointsVerified, problem);
    }

    /// <summary>Verifies a JSON-lines export. A contiguous export (the whole log or a period) is checked
    /// as a chain from its first entry, against the checkpoints it crosses; an export filtered by person
    /// or system (<paramref name="chained"/> false) entry by entry, each against its own hash.</summary>
    public static async Task<AuditVerification> VerifyExportAsync(Stream jsonl, IEnumerable<AuditCheckpoint> checkpoints, Func<string, byte[]?> keys, CancellationToken ct = default, bool chained = true)
    {
        long alone = 0;
        using var reader = new StreamReader(jsonl, Encoding.UTF8);
        AuditVerifier? verifier = null;
        long line = 0;
        while (await reader.ReadLineAsync(ct) is { } text)
        {
            line++;
            if (text.Length == 0)
                continue;
            AuditEntry entry;
            try
            {
                entry = ParseJsonLine(text);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return new(verifier?.Entries ?? 0, verifier?.CheckpointsVerified ?? 0,
                    new(AuditProblemKind.Edited, 0, $"line {line} is not an audit entry: {e.Message}"));
            }
            if (!chained)
            {
                if (AuditVerifier.CheckAlone(entry) is { } problem)
                    return new(alone, 0, problem);
                alone++;
                continue;
            }
            verifier ??= new AuditVerifier(checkpoints, keys, entry.Sequence, entry.Sequence == 1 ? AuditChain.GenesisHash : entry.PreviousHash);
            if (!verifier.Add(entry))
                break;
        }
        if (verifier is null)
            return new(alone, 0, null);
        return new(verifier.Entries, verifier.CheckpointsVerified, verifier.Problem);
    }

    /// <summary>The checkpoints, for verifying an export against this database.</summary>
    public async Task<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken ct = default)
    {
        await using var db = database.CreateContext();
        return (await db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.Sequence).ToListAsync(ct)).Select(c => c.ToCheckpoint()).ToList();
    }

    /// <summary>The signing key for a key id, or null. Today only the current key is known.</summary>
    public byte[]? KeyFor(string keyId) => keyId == Key.KeyId ? Key.Key : null;

    /// <summary>Writes the selected entries to <paramref name="output"/>, streamed from the database
    /// (no tracking, one entry in memory at a time). Returns how many were written.</summary>
    /// <param name="progress">told the number of entries written so far, after each one (a background job's progress bar)</param>
    public async Task<long> ExportAsync(AuditExportQuery query, AuditExportFormat format, Stream output, CancellationToken ct = default, IProgress<long>? progress = null)
    {
        await using var db = database.CreateContext();
        var rows = db.AuditEntries.AsNoTracking();
        if (query.From is { } from)
            rows = rows.Where(e => e.At >= from);
        if (query.To is { } to)
            rows = rows.Where(e => e.At < to);
        if (query.PersonId is { } person)
            rows = rows.Where(e => e.ObjectType == "person" && e.ObjectId == person);
        if (query.System is { } system)
            rows = rows.Where(e => e.System == system);

        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        if (format == AuditExportFormat.Csv)
            await writer.WriteLineAsync("sequence,at,actor,action,system,object_type,object_id,fields,correlation_id,previous_hash,hash");
        long count = 0;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        await foreach (var row in rows.OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            var e = row.ToEntry();
            if (format == AuditExportFormat.Jsonl)
            {
                buffer.ResetWrittenCount();
                WriteJsonLine(e, buffer);
                await writer.WriteLineAsync(Encoding.UTF8.GetString(buffer.WrittenSpan));
            }
            else
            {
                await writer.WriteLineAsync(string.Join(',',
                    e.Sequence.ToString(CultureInfo.InvariantCulture), Time(e.At), Csv(e.Actor), Csv(e.Action), Csv(e.System), Csv(e.ObjectType),
                    Csv(e.ObjectId), Csv(row.FieldsJson), Csv(e.CorrelationId), e.PreviousHash, e.Hash));
            }
            count++;
            progress?.Report(count);
        }
        await writer.FlushAsync(ct);
        return count;
    }

    /// <summary>
    /// Compares what changed in <c>[from, to)</c> with what was logged:
    /// <list type="bullet">
    /// <item>each <c>outbox_events</c> row of type <c>person.created</c> / <c>person.changed</c> needs an
    /// entry with the same action, object <c>person</c> / the person id, and <c>At</c> equal to the
    /// event's <c>OccurredAt</c> (to the microsecond) — the writer logs the change with the event's time,
    /// which needs no event id (ids are generated at save, after the entry is sealed);</item>
    /// <item>each finished sync (any status) needs a <c>sync.completed</c> entry with object <c>sync</c> /
    /// the sync id.</item>
    /// </list>
    /// </summary>
    public async Task<AuditCompleteness> CompletenessAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        await using var db = database.CreateContext();
        string[] personActions = ["person.created", "person.changed"];
        var logged = new Dictionary<(string Action, string ObjectId, DateTimeOffset At), int>();
        var loggedSyncs = new HashSet<string>();
        var entries = db.AuditEntries.AsNoTracking()
            .Where(e => (e.ObjectType == "person" && personActions.Contains(e.Action) && e.At >= from && e.At < to) || (e.ObjectType == "sync" && e.Action == "sync.completed"))
            .Select(e => new { e.Action, e.ObjectId, e.At });
        await foreach (var e in entries.AsAsyncEnumerable().WithCancellation(ct))
        {
            if (e.Action == "sync.completed")
            {
                loggedSyncs.Add(e.ObjectId);
                continue;
            }
            var k = (e.Action, e.ObjectId, AuditChain.Normalize(e.At));
            logged[k] = logged.GetValueOrDefault(k) + 1;
        }

        long expected = 0, found = 0;
        var missing = new List<string>();
        var events = db.OutboxEvents.AsNoTracking().Where(o => personActions.Contains(o.Type) && o.OccurredAt >= from && o.OccurredAt < to)
            .OrderBy(o => o.Id).Select(o => new { o.Id, o.Type, o.PersonId, o.OccurredAt });
        await foreach (var o in events.AsAsyncEnumerable().WithCancellation(ct))
        {
            expected++;
            var k = (o.Type, o.PersonId.ToString(), AuditChain.Normalize(o.OccurredAt));
            if (logged.TryGetValue(k, out var n) && n > 0)
            {
                logged[k] = n - 1;
                found++;
            }
            else if (missing.Count < 20)
            {
                missing.Add($"outbox event {o.Id}: {o.Type} of person {o.PersonId} at {Time(o.OccurredAt)} has no audit entry");
            }
        }
        var syncs = db.Syncs.AsNoTracking().Where(s => s.FinishedAt != null && s.FinishedAt >= from && s.FinishedAt < to)
            .OrderBy(s => s.Id).Select(s => new { s.Id, s.System, s.Status });
        await foreach (var s in syncs.AsAsyncEnumerable().WithCancellation(ct))
        {
            expected++;
            if (loggedSyncs.Contains(s.Id.ToString(CultureInfo.InvariantCulture)))
                found++;
            else if (missing.Count < 20)
                missing.Add($"sync {s.Id} ({s.System}, {s.Status}) has no sync.completed entry");
        }

        // Every step a workflow run committed has its audit entry (same transaction, same time, the run as correlation id).
        var stepActions = Handoff.Core.Workflows.StepCatalog.Steps.Select(d => d.Type)
            .Concat(["workflow.step_failed", "workflow.write_blocked", "workflow.write_staged", "workflow.step_waiting", "workflow.step_skipped", "workflow.step_retry"]).ToList();
        var loggedSteps = new Dictionary<(string, DateTimeOffset), int>();
        var stepEntries = db.AuditEntries.AsNoTracking()
            .Where(e => e.ObjectType == "person" && e.CorrelationId != null && stepActions.Contains(e.Action) && e.At >= from && e.At < to)
            .Select(e => new { e.CorrelationId, e.At });
        await foreach (var e in stepEntries.AsAsyncEnumerable().WithCancellation(ct))
        {
            var k = (e.CorrelationId!, AuditChain.Normalize(e.At));
            loggedSteps[k] = loggedSteps.GetValueOrDefault(k) + 1;
        }
        var steps = db.RunSteps.AsNoTracking().Where(x => x.FinishedAt >= from && x.FinishedAt < to).OrderBy(x => x.Id)
            .Select(x => new { x.Id, x.RunId, x.StepId, x.FinishedAt });
        await foreach (var x in steps.AsAsyncEnumerable().WithCancellation(ct))
        {
            expected++;
            var k = (x.RunId.ToString("N"), AuditChain.Normalize(x.FinishedAt));
            if (loggedSteps.TryGetValue(k, out var n) && n > 0)
            {
                loggedSteps[k] = n - 1;
                found++;
            }
            else if (missing.Count < 20)
            {
                missing.Add($"run {x.RunId:N} step {x.StepId} at {Time(x.FinishedAt)} has no audit entry");
            }
        }
        return new(expected, found, missing);
    }

    /// <summary>One line of a JSON-lines export: the entry with both hashes, snake_case names.</summary>
    public static void WriteJsonLine(AuditEntry e, System.Buffers.IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        AuditChain.WriteProperties(e, w);
        w.WriteString("previous_hash", e.PreviousHash);
        w.WriteString("hash", e.Hash);
        w.WriteEndObject();
    }

    public static AuditEntry ParseJsonLine(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        string? S(string name) => r.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetString() : null;
        var fields = r.GetProperty("fields").EnumerateArray()
            .Select(f => new AuditFieldChange(f.GetProperty("field").GetString()!,
                f.GetProperty("before").ValueKind == JsonValueKind.Null ? null : f.GetProperty("before").GetString(),
                f.GetProperty("after").ValueKind == JsonValueKind.Null ? null : f.GetProperty("after").GetString()))
            .ToList();
        return new AuditEntry(r.GetProperty("sequence").GetInt64(),
            DateTimeOffset.Parse(S("at")!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            S("actor")!, S("action")!, S("system"), S("object_type")!, S("object_id")!, fields, S("correlation_id"),
            S("previous_hash")!, S("hash")!);
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static string Csv(string? value) =>
        value is null ? "" : value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static AuditCheckpointRow ToRow(AuditCheckpoint c) =>
        new() { Sequence = c.Sequence, Hash = c.Hash, KeyId = c.KeyId, Signature = c.Signature, At = c.At };

    /// <summary>Locks the head row for the rest of the transaction and reads it, in one statement.</summary>
    private static async Task<AuditHeadRow> LockHeadAsync(HandoffDbContext db, IDbContextTransaction tx, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = tx.GetDbTransaction();
        command.CommandText = "UPDATE audit_head SET sequence = sequence WHERE id = 1 RETURNING sequence, hash";
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            throw new InvalidOperationException("audit_head has no row: the database was not migrated");
        return new AuditHeadRow { Id = 1, Sequence = reader.GetInt64(0), Hash = reader.GetString(1) };
    }

    /// <summary>A read-only snapshot: REPEATABLE READ on PostgreSQL, a deferred (reader) transaction on
    /// SQLite, so a verify running next to appenders sees one consistent chain and head.</summary>
    private static async Task<IDbContextTransaction> BeginSnapshotAsync(HandoffDbContext db, CancellationToken ct)
    {
        if (!db.Database.IsSqlite())
            return await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await db.Database.OpenConnectionAsync(ct);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        DbTransaction transaction = connection.BeginTransaction(deferred: true);
        return await db.Database.UseTransactionAsync(transaction, ct) ?? throw new InvalidOperationException("no transaction");
    }

    private sealed record AppendState(Guid TransactionId, AuditHeadRow Head);
}
