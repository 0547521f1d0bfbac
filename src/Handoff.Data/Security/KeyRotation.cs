using Handoff.Core.Security;
using Handoff.Data.People;
using Handoff.Data.Sources;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Security;

/// <summary>What a rotation did.</summary>
/// <param name="NewKeyAdded">False when an unfinished earlier rotation was continued.</param>
/// <param name="StillInUse">Retired keys that some value still uses (written by a node with the old
/// ring while the rotation ran): run the rotation again once every node has the new ring.</param>
public sealed record RotationReport(string CurrentKeyId, bool NewKeyAdded, long RowsUpdated, long ValuesReEncrypted,
    IReadOnlyList<string> RemovedKeys, IReadOnlyDictionary<string, long> StillInUse);

/// <summary>Progress after one committed batch (for progress output, and for tests that interrupt).</summary>
public sealed record RotationBatch(string Column, int Rows, long RowsSoFar);

/// <summary>
/// <c>handoff keys rotate</c>: adds a new current key to the ring file and re-encrypts every value
/// under an older key in the JSON columns that hold ciphertexts, one transaction per batch. Resumable:
/// a ring holding more than one key is an unfinished rotation, so running it again continues it
/// (values already under the current key are not touched) instead of adding yet another key. When no
/// value uses an older key any more, that key leaves the ring — first its fingerprint leaves the
/// database, then the key leaves the file, so an interruption between the two is harmless.
/// </summary>
public sealed class KeyRotation(DatabaseOptions database, TimeProvider clock)
{
    public int BatchSize { get; init; } = 500;

    /// <summary>Called after each committed batch.</summary>
    public Func<RotationBatch, CancellationToken, Task>? AfterBatch { get; init; }

    /// <summary>The columns that hold ciphertexts. Connector secrets will join them.</summary>
    internal static readonly IReadOnlyList<IJsonColumn> Columns =
    [
        new JsonColumn<PersonRow, Guid>("people", "values_json", db => db.People, r => r.Id, r => r.ValuesJson, (r, v) => r.ValuesJson = v),
        new JsonColumn<SourceRecordRow, long>("source_records", "values_json", db => db.SourceRecords, r => r.Id, r => r.ValuesJson, (r, v) => r.ValuesJson = v),
        new JsonColumn<PendingChangeRow, long>("pending_changes", "values_json", db => db.PendingChanges, r => r.Id, r => r.ValuesJson, (r, v) => r.ValuesJson = v),
        new JsonColumn<ReviewItemRow, long>("review_items", "record_json", db => db.ReviewItems, r => r.Id, r => r.RecordJson, (r, v) => r.RecordJson = v),
    ];

    /// <summary>Rotates the ring in the file at <paramref name="ringPath"/> (or continues an unfinished rotation).</summary>
    public async Task<RotationReport> RotateAsync(string ringPath, CancellationToken ct)
    {
        var ring = KeyRingStore.Load(ringPath);
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, ring, ct, ringPath, clock);

        var added = false;
        if (ring.KeyIds.Count == 1)
        {
            ring = ring.WithNewCurrentKey();
            KeyRingStore.Save(ringPath, ring);
            added = true;
        }
        // Registers the new key's fingerprint (also after a crash between the file write and this).
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, ring, ct, ringPath, clock);

        var cipher = new FieldCipher(ring);
        var retired = ring.KeyIds.Where(k => k != ring.CurrentKeyId).ToList();
        long rows = 0, values = 0;
        foreach (var column in Columns)
        {
            var (r, v) = await column.ReEncryptAsync(database, cipher, retired, BatchSize, AfterBatch, ct);
            rows += r;
            values += v;
        }

        var inUse = await CountByKeyAsync(ct);
        var removed = new List<string>();
        foreach (var keyId in retired.Where(k => inUse.GetValueOrDefault(k) == 0))
        {
            await using (var db = database.CreateContext())
                await db.KeyChecks.Where(k => k.KeyId == keyId).ExecuteDeleteAsync(ct);
            ring = ring.WithoutKey(keyId);
            KeyRingStore.Save(ringPath, ring);
            removed.Add(keyId);
        }
        var still = retired.Except(removed).ToDictionary(k => k, k => inUse.GetValueOrDefault(k));
        return new RotationReport(ring.CurrentKeyId, added, rows, values, removed, still);
    }

    /// <summary>How many values each key id encrypts, over every column that holds ciphertexts.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByKeyAsync(CancellationToken ct)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var column in Columns)
        {
            await using var db = database.CreateContext();
            await foreach (var json in column.EncryptedJsonAsync(db).WithCancellation(ct))
                EncryptedJson.CountKeys(json, counts);
        }
        return counts;
    }

    internal interface IJsonColumn
    {
        string Name { get; }
        IAsyncEnumerable<string> EncryptedJsonAsync(HandoffDbContext db);
        Task<(long Rows, long Values)> ReEncryptAsync(DatabaseOptions database, FieldCipher cipher, IReadOnlyList<string> retired, int batchSize,
            Func<RotationBatch, CancellationToken, Task>? afterBatch, CancellationToken ct);
    }

    private sealed class JsonColumn<TRow, TKey>(string table, string column, Func<HandoffDbContext, DbSet<TRow>> set,
        Func<TRow, TKey> key, Func<TRow, string> get, Action<TRow, string> put) : IJsonColumn
        where TRow : class
        where TKey : struct
    {
        public string Name => $"{table}.{column}";

        // Table and column names are the constants above; values are always parameters.
        private readonly string _selectEncrypted = $"SELECT * FROM {table} WHERE {column} LIKE {{0}}";

        public IAsyncEnumerable<string> EncryptedJsonAsync(HandoffDbContext db) =>
            set(db).FromSqlRaw(_selectEncrypted, $"%\"{FieldCipher.Prefix}%").AsNoTracking().Select(r => get(r)).AsAsyncEnumerable();

        public async Task<(long Rows, long Values)> ReEncryptAsync(DatabaseOptions database, FieldCipher cipher, IReadOnlyList<string> retired, int batchSize,
            Func<RotationBatch, CancellationToken, Task>? afterBatch, CancellationToken ct)
        {
            if (retired.Count == 0)
                return (0, 0);
            // Only rows holding a retired key's ciphertext, in id order from a cursor: each batch starts
            // where the last one ended, and a rerun after an interruption finds only what is left.
            var parameters = retired.Select(k => (object)$"%\"{FieldCipher.Prefix}{k}:%").ToList();
            var match = string.Join(" OR ", parameters.Select((_, i) => $"{column} LIKE {{{i}}}"));
            long rows = 0, values = 0;
            TKey? cursor = null;
            while (true)
            {
                await using var db = database.CreateContext();
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var sql = $"SELECT * FROM {table} WHERE ({match})";
                var args = new List<object>(parameters);
                if (cursor is { } after)
                {
                    sql += $" AND id > {{{args.Count}}}";
                    args.Add(after);
                }
                // FOR UPDATE: a sync writing the same row waits for this batch instead of being overwritten
                // by its older content. SQLite takes the database write lock for the transaction instead.
                sql += $" ORDER BY id LIMIT {batchSize}" + (database.Provider == DatabaseProvider.Postgres ? " FOR UPDATE" : "");
                var batch = await set(db).FromSqlRaw(sql, [.. args]).ToListAsync(ct);
                if (batch.Count == 0)
                    return (rows, values);
                int updated = 0, reEncrypted = 0;
                foreach (var row in batch)
                {
                    var rewritten = EncryptedJson.ReEncrypt(get(row), cipher, $"{Name} row {key(row)}", out var n);
                    if (rewritten is null)
                        continue;
                    put(row, rewritten);
                    updated++;
                    reEncrypted += n;
                }
                try
                {
                    await db.SaveChangesAsync(ct);
                    await tx.CommitAsync(ct);
                }
                catch (DbUpdateConcurrencyException)
                {
                    // A sync changed one of these rows meanwhile: read the batch again.
                    continue;
                }
                cursor = key(batch[^1]);
                rows += updated;
                values += reEncrypted;
                if (afterBatch is not null)
                    await afterBatch(new RotationBatch(Name, updated, rows), ct);
            }
        }
    }
}
