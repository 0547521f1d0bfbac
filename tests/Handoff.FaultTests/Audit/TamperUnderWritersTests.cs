using System.Security.Cryptography;
using Handoff.Core.Audit;
using Handoff.Data;
using Handoff.Data.Audit;
using Handoff.Data.Tests;
using Handoff.FaultTests.Support;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Handoff.FaultTests.Audit;

/// <summary>
/// The audit tamper cases the product defines (an entry edited, one deleted, two reordered, the tail
/// truncated), done in SQL on PostgreSQL while 4 writers keep appending: verify names the first bad
/// entry each time, and the untampered control with the same writers verifies intact. Edit, delete and
/// reorder hit an entry in the middle while the writers run; the truncation is the attacker's last act
/// (the writers finished), since entries appended after it would make it a gap — the delete case.
/// </summary>
public sealed class TamperUnderWritersTests(ITestOutputHelper output)
{
    private const int Writers = 4;
    private const int Transactions = 25;
    private const int PerTransaction = 8;

    private sealed class TestKey : IAuditSigningKey
    {
        public string KeyId { get; } = "fault-" + Guid.NewGuid().ToString("N")[..6];
        public byte[] Key { get; } = RandomNumberGenerator.GetBytes(32);
    }

    public static TheoryData<string> Cases => new() { "control", "edit", "delete", "reorder", "truncate" };

    [Theory, MemberData(nameof(Cases))]
    public async Task Verify_names_the_first_bad_entry_while_four_writers_append(string tamper)
    {
        var report = new Report(output, "tamper-" + tamper);
        var options = await TestDatabases.CreateAsync(TestDatabases.Postgres);
        var log = new AuditLog(options, new TestKey(), TimeProvider.System, 50);
        var random = new Random(FaultScale.Seed());
        var target = 0L;

        async Task Writer(int w)
        {
            for (var t = 0; t < Transactions; t++)
            {
                await using var db = options.CreateContext();
                await using var tx = await db.Database.BeginTransactionAsync();
                await log.AppendAsync(db, Enumerable.Range(1, PerTransaction).Select(i =>
                    new AuditDraft($"system:writer-{w}", "person.changed", "person", $"p-{w}-{t}", [new AuditFieldChange("department", "Sales", $"Dept {i}")], "hris", $"sync:{w}-{t}")));
                await db.SaveChangesAsync();
                await tx.CommitAsync();
            }
        }

        var writers = Enumerable.Range(1, Writers).Select(w => Task.Run(() => Writer(w))).ToArray();
        if (tamper is "edit" or "delete" or "reorder")
        {
            // tamper in the middle while the writers are still appending
            var committed = await WaitForAsync(options, 120);
            target = random.Next(20, (int)committed - 10);
            await TamperAsync(options, tamper switch
            {
                "edit" => [$"UPDATE audit_entries SET actor = 'user:mallory' WHERE sequence = {target}"],
                "delete" => [$"DELETE FROM audit_entries WHERE sequence = {target}"],
                _ =>
                [
                    $"UPDATE audit_entries SET sequence = -1 WHERE sequence = {target}",
                    $"UPDATE audit_entries SET sequence = {target} WHERE sequence = {target + 1}",
                    $"UPDATE audit_entries SET sequence = {target + 1} WHERE sequence = -1",
                ],
            });
            var during = await HeadAsync(options);
            Assert.True(during < Writers * Transactions * PerTransaction, "the writers had finished before the tampering: it did not happen under concurrent writers");
            report.Line($"tampered ({tamper}) entry {target} while the writers were at entry {during}");
        }
        await Task.WhenAll(writers);
        var total = Writers * Transactions * PerTransaction;
        if (tamper == "truncate")
        {
            target = total - random.Next(5, 40) + 1;
            await TamperAsync(options, [$"DELETE FROM audit_entries WHERE sequence >= {target}"]);
            report.Line($"truncated the tail from entry {target} of {total}");
        }

        var result = await log.VerifyAsync();
        report.Line(result.Intact ? $"verify: intact, {result.Entries} entries, {result.Checkpoints} checkpoints" : $"verify: {result.Problem!.Kind} at {result.Problem.Sequence}: {result.Problem.Message}");
        if (tamper == "control")
        {
            Assert.True(result.Intact, result.Problem?.Message);
            Assert.Equal(total, result.Entries);
            return;
        }
        var expected = tamper switch
        {
            "edit" => AuditProblemKind.Edited,
            "delete" => AuditProblemKind.Deleted,
            "reorder" => AuditProblemKind.Reordered,
            _ => AuditProblemKind.Truncated,
        };
        Assert.NotNull(result.Problem);
        Assert.Equal((expected, target), (result.Problem.Kind, result.Problem.Sequence));
        Assert.Contains(target.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Problem.Message, StringComparison.Ordinal);
    }

    private static async Task<long> HeadAsync(DatabaseOptions options)
    {
        await using var db = options.CreateContext();
        return await db.AuditEntries.MaxAsync(e => (long?)e.Sequence) ?? 0;
    }

    private static async Task<long> WaitForAsync(DatabaseOptions options, long entries)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long head;
        while ((head = await HeadAsync(options)) < entries)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the writers wrote only {head} entries in 60 s");
            await Task.Delay(20);
        }
        return head;
    }

    /// <summary>Raw SQL as a superuser would run it (the append-only trigger disabled first).</summary>
    private static async Task TamperAsync(DatabaseOptions options, string[] statements)
    {
        await using var db = options.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlRawAsync("ALTER TABLE audit_entries DISABLE TRIGGER ALL");
        foreach (var sql in statements)
            await db.Database.ExecuteSqlRawAsync(sql);
        await db.Database.ExecuteSqlRawAsync("ALTER TABLE audit_entries ENABLE TRIGGER ALL");
        await tx.CommitAsync();
    }
}
