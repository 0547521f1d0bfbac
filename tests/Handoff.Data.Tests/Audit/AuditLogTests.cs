using System.Security.Cryptography;
using System.Text;
using Handoff.Core.Audit;
using Handoff.Data.Audit;
using Handoff.Data.Events;
using Handoff.Data.Sources;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Handoff.Data.Tests.Audit;

/// <summary>The audit table on both providers: appends in the caller's transaction, and each kind of
/// tampering done directly in SQL is named by verify.</summary>
public sealed class AuditLogTests
{
    private static readonly TestClock Clock = TestClock.At("2026-11-27");

    private sealed class TestKey : IAuditSigningKey
    {
        public string KeyId { get; } = "test-" + Guid.NewGuid().ToString("N")[..6];
        public byte[] Key { get; } = RandomNumberGenerator.GetBytes(32);
    }

    private static AuditDraft Draft(int i, string person = "p-1", string system = "hris") =>
        new("system:" + system, i == 1 ? "person.created" : "person.changed", "person", person,
            [new AuditFieldChange("department", "Sales", $"Dept {i}"), new AuditFieldChange("national_id", null, "hmac:9f8e")], system, $"sync:{i / 10}");

    private static async Task<AuditLog> LogWithAsync(DatabaseOptions options, int entries, int checkpointEvery = 10)
    {
        var log = new AuditLog(options, new TestKey(), Clock, checkpointEvery);
        await using var db = options.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync();
        await log.AppendAsync(db, Enumerable.Range(1, entries).Select(i => Draft(i)));
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        return log;
    }

    /// <summary>Raw SQL as an attacker with database access would run it. On PostgreSQL the trigger
    /// would refuse it, so the test disables it first, as a superuser could.</summary>
    private static async Task TamperAsync(DatabaseOptions options, params string[] statements)
    {
        await using var db = options.CreateContext();
        var postgres = options.Provider == DatabaseProvider.Postgres;
        if (postgres)
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE audit_entries DISABLE TRIGGER ALL");
        foreach (var sql in statements)
            await db.Database.ExecuteSqlRawAsync(sql);
        if (postgres)
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE audit_entries ENABLE TRIGGER ALL");
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Fifty_entries_form_an_intact_chain_with_signed_checkpoints(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = await LogWithAsync(options, 50);
        var result = await log.VerifyAsync();
        Assert.True(result.Intact, result.Problem?.Message);
        Assert.Equal(50, result.Entries);
        Assert.Equal(5, result.Checkpoints);

        await using var db = options.CreateContext();
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), await db.AuditEntries.OrderBy(e => e.Sequence).Select(e => e.Sequence).ToListAsync());
        var head = await db.AuditHead.SingleAsync();
        Assert.Equal(50, head.Sequence);
        Assert.DoesNotContain("123-45", await db.AuditEntries.Select(e => e.FieldsJson).FirstAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_entry_edited_in_SQL_is_named(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = await LogWithAsync(options, 50);
        await TamperAsync(options, "UPDATE audit_entries SET actor = 'user:mallory' WHERE sequence = 17");
        var problem = (await log.VerifyAsync()).Problem!;
        Assert.Equal((AuditProblemKind.Edited, 17L), (problem.Kind, problem.Sequence));
        Assert.Contains("entry 17 was edited", problem.Message);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_entry_deleted_in_SQL_is_named(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = await LogWithAsync(options, 50);
        await TamperAsync(options, "DELETE FROM audit_entries WHERE sequence = 17");
        var problem = (await log.VerifyAsync()).Problem!;
        Assert.Equal((AuditProblemKind.Deleted, 17L), (problem.Kind, problem.Sequence));
        Assert.Contains("entry 17 is missing", problem.Message);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_last_entries_deleted_in_SQL_are_named_by_the_head(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = await LogWithAsync(options, 50);
        await TamperAsync(options, "DELETE FROM audit_entries WHERE sequence > 47");
        var problem = (await log.VerifyAsync()).Problem!;
        Assert.Equal((AuditProblemKind.Truncated, 48L), (problem.Kind, problem.Sequence));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_forged_entry_inserted_in_the_middle_is_named(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = await LogWithAsync(options, 50);
        // Make room at 26 (two steps, so the unique index holds at every row), then insert an entry
        // whose hashes are computed correctly and which links to entry 25; the head is moved too.
        await TamperAsync(options,
            "UPDATE audit_entries SET sequence = -sequence WHERE sequence >= 26",
            "UPDATE audit_entries SET sequence = 1 - sequence WHERE sequence < 0",
            "UPDATE audit_head SET sequence = 51");
        await using (var db = options.CreateContext())
        {
            var before = await db.AuditEntries.SingleAsync(e => e.Sequence == 25);
            var forged = AuditChain.Seal(new AuditDraft("user:mallory", "person.changed", "person", "p-1", [new("salary", "hmac:1", "hmac:2")]), 26, before.Hash, Clock.Now);
            db.AuditEntries.Add(AuditEntryRow.From(forged));
            await db.SaveChangesAsync();
        }
        var problem = (await log.VerifyAsync()).Problem!;
        Assert.Equal((AuditProblemKind.Inserted, 26L), (problem.Kind, problem.Sequence));
        Assert.Contains("entry 26 was inserted", problem.Message);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_forged_entry_appended_behind_the_logs_back_is_named(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = await LogWithAsync(options, 50);
        await using (var db = options.CreateContext())
        {
            var last = await db.AuditEntries.SingleAsync(e => e.Sequence == 50);
            db.AuditEntries.Add(AuditEntryRow.From(AuditChain.Seal(new AuditDraft("user:mallory", "review.resolved", "review", "9"), 51, last.Hash, Clock.Now)));
            await db.SaveChangesAsync();
        }
        var problem = (await log.VerifyAsync()).Problem!;
        Assert.Equal((AuditProblemKind.Inserted, 51L), (problem.Kind, problem.Sequence));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Two_entries_whose_sequence_numbers_were_swapped_are_named(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = await LogWithAsync(options, 50);
        await TamperAsync(options,
            "UPDATE audit_entries SET sequence = -1 WHERE sequence = 10",
            "UPDATE audit_entries SET sequence = 10 WHERE sequence = 11",
            "UPDATE audit_entries SET sequence = 11 WHERE sequence = -1");
        var problem = (await log.VerifyAsync()).Problem!;
        Assert.Equal((AuditProblemKind.Reordered, 10L), (problem.Kind, problem.Sequence));
        Assert.Contains("written as entry 11", problem.Message);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_chain_rewritten_with_recomputed_hashes_is_caught_by_the_checkpoint(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = await LogWithAsync(options, 50);
        await using (var db = options.CreateContext())
        {
            var entries = (await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync()).Select(r => r.ToEntry()).ToList();
            var previous = AuditChain.GenesisHash;
            var statements = new List<string>();
            foreach (var e in entries)
            {
                var changed = e.Sequence == 17 ? e with { Actor = "user:mallory" } : e;
                changed = changed with { PreviousHash = previous };
                changed = changed with { Hash = AuditChain.ComputeHash(changed) };
                previous = changed.Hash;
                if (e.Sequence >= 17)
                    statements.Add($"UPDATE audit_entries SET actor = '{changed.Actor}', previous_hash = '{changed.PreviousHash}', hash = '{changed.Hash}' WHERE sequence = {e.Sequence}");
            }
            statements.Add($"UPDATE audit_head SET hash = '{previous}'");
            await TamperAsync(options, [.. statements]);
        }
        var problem = (await log.VerifyAsync()).Problem!;
        Assert.Equal((AuditProblemKind.Checkpoint, 20L), (problem.Kind, problem.Sequence));
        Assert.Contains("rewritten", problem.Message);

    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Checkpoints_signed_with_a_key_that_is_not_available_are_reported(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        await LogWithAsync(options, 20);
        var problem = (await new AuditLog(options, new TestKey(), Clock).VerifyAsync()).Problem!;
        Assert.Equal((AuditProblemKind.Checkpoint, 10L), (problem.Kind, problem.Sequence));
        Assert.Contains("not available", problem.Message);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_rolled_back_append_leaves_no_gap(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = await LogWithAsync(options, 3);
        await using (var db = options.CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await log.AppendAsync(db, Enumerable.Range(1, 5).Select(i => Draft(i)));
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
        }
        await using (var db = options.CreateContext())
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => log.AppendAsync(db, Draft(1)));
            await using var tx = await db.Database.BeginTransactionAsync();
            var first = await log.AppendAsync(db, Draft(4));
            var second = await log.AppendAsync(db, Draft(5)); // same transaction: continues from memory
            await db.SaveChangesAsync();
            await tx.CommitAsync();
            Assert.Equal((4L, 5L), (first.Sequence, second.Sequence));
            Assert.Equal(first.Hash, second.PreviousHash);
        }
        var result = await log.VerifyAsync();
        Assert.True(result.Intact, result.Problem?.Message);
        Assert.Equal(5, result.Entries);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Concurrent_appends_from_two_contexts_form_one_valid_chain(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = new AuditLog(options, new TestKey(), Clock, 100);
        async Task Writer(string person)
        {
            for (var t = 0; t < 20; t++)
            {
                await using var db = options.CreateContext();
                await using var tx = await db.Database.BeginTransactionAsync();
                await log.AppendAsync(db, Enumerable.Range(1, 25).Select(i => Draft(i, person)));
                await db.SaveChangesAsync();
                await tx.CommitAsync();
            }
        }
        await Task.WhenAll(Task.Run(() => Writer("p-a")), Task.Run(() => Writer("p-b")));
        var result = await log.VerifyAsync();
        Assert.True(result.Intact, result.Problem?.Message);
        Assert.Equal(1000, result.Entries);
        Assert.Equal(10, result.Checkpoints);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_export_of_100000_entries_streams_and_the_chain_verifies(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = new AuditLog(options, new TestKey(), Clock);
        for (var batch = 0; batch < 10; batch++)
        {
            await using var db = options.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync();
            await log.AppendAsync(db, Enumerable.Range(batch * 10_000 + 1, 10_000).Select(i => Draft(i, $"p-{i % 5000}")));
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }

        var verified = await log.VerifyAsync();
        Assert.True(verified.Intact, verified.Problem?.Message);
        Assert.Equal((100_000L, 100), (verified.Entries, verified.Checkpoints));

        await log.ExportAsync(new AuditExportQuery(), AuditExportFormat.Jsonl, Stream.Null); // warm up EF's query cache
        var output = new MemorySampling();
        var count = await log.ExportAsync(new AuditExportQuery(), AuditExportFormat.Jsonl, output);
        Assert.Equal(100_000, count);
        Assert.True(output.Length > 20_000_000, $"export is {output.Length} bytes");
        Console.WriteLine($"{provider}: export {output.Length:N0} bytes, peak managed growth {output.PeakGrowth:N0} bytes");
        Assert.True(output.PeakGrowth < output.Length / 10,
            $"managed memory grew by {output.PeakGrowth:N0} bytes while exporting {output.Length:N0} bytes");
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Export_filters_by_person_system_and_period_and_a_tampered_export_is_detected(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = new AuditLog(options, new TestKey(), Clock, 5);
        await using (var db = options.CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await log.AppendAsync(db, Enumerable.Range(1, 12).Select(i => Draft(i, i % 3 == 0 ? "p-3" : "p-x", i % 2 == 0 ? "ats" : "hris") with { At = Clock.Now.AddDays(i) }));
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }

        var person = await ExportTextAsync(log, new AuditExportQuery(PersonId: "p-3"), AuditExportFormat.Jsonl);
        Assert.Equal([3L, 6, 9, 12], person.Select(AuditLog.ParseJsonLine).Select(e => e.Sequence));
        var system = await ExportTextAsync(log, new AuditExportQuery(System: "ats"), AuditExportFormat.Csv);
        Assert.Equal("sequence,at,actor,action,system,object_type,object_id,fields,correlation_id,previous_hash,hash", system[0]);
        Assert.Equal(6, system.Count - 1);
        Assert.All(system.Skip(1), l => Assert.Contains(",system:ats,", l));
        var period = await ExportTextAsync(log, new AuditExportQuery(Clock.Now.AddDays(2), Clock.Now.AddDays(5)), AuditExportFormat.Jsonl);
        Assert.Equal([2L, 3, 4], period.Select(AuditLog.ParseJsonLine).Select(e => e.Sequence));

        var all = await ExportTextAsync(log, new AuditExportQuery(), AuditExportFormat.Jsonl);
        var checkpoints = await log.CheckpointsAsync();
        var intact = await AuditLog.VerifyExportAsync(Utf8(all), checkpoints, log.KeyFor);
        Assert.True(intact.Intact, intact.Problem?.Message);
        Assert.Equal((12L, 2), (intact.Entries, intact.Checkpoints));

        var filtered = await AuditLog.VerifyExportAsync(Utf8(person), checkpoints, log.KeyFor, chained: false);
        Assert.True(filtered.Intact, filtered.Problem?.Message);
        Assert.Equal(AuditProblemKind.Deleted, (await AuditLog.VerifyExportAsync(Utf8(person), checkpoints, log.KeyFor)).Problem!.Kind);
        person[1] = person[1].Replace("Dept 6", "Dept 7", StringComparison.Ordinal);
        var filteredTampered = await AuditLog.VerifyExportAsync(Utf8(person), checkpoints, log.KeyFor, chained: false);
        Assert.Equal((AuditProblemKind.Edited, 6L), (filteredTampered.Problem!.Kind, filteredTampered.Problem.Sequence));

        all[6] = all[6].Replace("system:", "user:", StringComparison.Ordinal);
        var tampered = await AuditLog.VerifyExportAsync(Utf8(all), checkpoints, log.KeyFor);
        Assert.Equal((AuditProblemKind.Edited, 7L), (tampered.Problem!.Kind, tampered.Problem.Sequence));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Completeness_counts_person_events_and_syncs_without_an_entry(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var log = new AuditLog(options, new TestKey(), Clock);
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var at = Clock.Now.AddTicks(1234567);
        await using (var db = options.CreateContext())
        {
            var sync = new SyncRow { System = "hris", StartedAt = at, FinishedAt = at.AddSeconds(3), Status = "completed" };
            db.Syncs.Add(sync);
            await db.SaveChangesAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            db.OutboxEvents.Add(new OutboxEventRow { PersonId = alice, Type = "person.created", OccurredAt = at });
            db.OutboxEvents.Add(new OutboxEventRow { PersonId = alice, Type = "person.pre_hire", OccurredAt = at });
            db.OutboxEvents.Add(new OutboxEventRow { PersonId = bob, Type = "person.changed", OccurredAt = at });
            await log.AppendAsync(db, [
                new AuditDraft("system:hris", "person.created", "person", alice.ToString(), At: at),
                new AuditDraft("system:hris", "sync.completed", "sync", sync.Id.ToString(), System: "hris"),
            ]);
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
        var result = await log.CompletenessAsync(Clock.Now.AddDays(-1), Clock.Now.AddDays(1));
        Assert.Equal((3L, 2L), (result.Expected, result.Logged));
        Assert.Equal(66.67, Math.Round(result.Percent, 2));
        Assert.Contains(result.Missing, m => m.Contains(bob.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostgreSQL_refuses_update_delete_and_truncate_of_the_audit_log()
    {
        var options = await TestDatabases.CreateAsync(TestDatabases.Postgres);
        await LogWithAsync(options, 10);
        await using var db = options.CreateContext();
        foreach (var sql in new[]
        {
            "UPDATE audit_entries SET actor = 'user:mallory' WHERE sequence = 3",
            "DELETE FROM audit_entries WHERE sequence = 3",
            "TRUNCATE audit_entries",
            "UPDATE audit_checkpoints SET hash = 'x'",
            "DELETE FROM audit_checkpoints",
        })
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync(sql));
            Assert.Contains("append-only", e.MessageText);
        }
        Assert.Equal(10, await db.AuditEntries.CountAsync());

        // The application's role has no right to change it either.
        var rights = await db.Database.SqlQueryRaw<string>(
            "SELECT privilege_type AS \"Value\" FROM information_schema.role_table_grants WHERE grantee = 'handoff_app' AND table_name = 'audit_entries' ORDER BY 1").ToListAsync();
        Assert.Equal(["INSERT", "SELECT"], rights);

        // …and is refused before the trigger is even reached, while it may still append.
        await using var tx = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlRawAsync("SET LOCAL ROLE handoff_app");
        var denied = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("UPDATE audit_entries SET actor = 'x' WHERE sequence = 3"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        Assert.Contains("permission denied", denied.MessageText);
        await tx.RollbackAsync();
        await using var appDb = options.CreateContext();
        await using var appTx = await appDb.Database.BeginTransactionAsync();
        await appDb.Database.ExecuteSqlRawAsync("SET LOCAL ROLE handoff_app");
        await new AuditLog(options, new TestKey(), Clock).AppendAsync(appDb, Draft(11));
        await appDb.SaveChangesAsync();
        await appTx.CommitAsync();
        Assert.Equal(11, await appDb.AuditEntries.CountAsync());
    }

    private static MemoryStream Utf8(IEnumerable<string> lines) => new(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

    private static async Task<List<string>> ExportTextAsync(AuditLog log, AuditExportQuery query, AuditExportFormat format)
    {
        using var stream = new MemoryStream();
        await log.ExportAsync(query, format, stream);
        return Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    /// <summary>Discards what is written and samples live managed memory (after a full collection)
    /// every megabyte.</summary>
    private sealed class MemorySampling : Stream
    {
        private readonly long _baseline = GC.GetTotalMemory(forceFullCollection: true);
        private long _length;
        private long _nextSample = 1 << 20;

        public long PeakGrowth { get; private set; }
        public override long Length => _length;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _length += buffer.Length;
            if (_length < _nextSample)
                return;
            _nextSample += 1 << 20;
            PeakGrowth = Math.Max(PeakGrowth, GC.GetTotalMemory(forceFullCollection: true) - _baseline);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
