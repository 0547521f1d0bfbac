using System.Text.Json.Nodes;
using Handoff.Core.Security;
using Handoff.Data.People;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Security;

public sealed class KeyRotationTests
{
    private const int People = 23;

    private static string NationalId(int i) => $"NI-{i:D6}";
    private static string Salary(int i) => (50_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Ciphertexts under k1 in all four columns, in each column's real shape.</summary>
    private static async Task SeedAsync(DatabaseOptions database, FieldCipher cipher)
    {
        await using var db = database.CreateContext();
        var now = DateTimeOffset.Parse("2026-11-27T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < People; i++)
        {
            var id = Guid.CreateVersion7();
            string Resolved(string value) => new JsonObject { ["v"] = value, ["s"] = "hris", ["k"] = $"{i}", ["o"] = "2026-11-27T09:00:00+00:00", ["e"] = null }.ToJsonString();
            var values = $$"""{"first_name": {{Resolved("Zoë")}}, "national_id": {{Resolved(cipher.Encrypt(NationalId(i), "national_id"))}}, "salary": {{Resolved(cipher.Encrypt(Salary(i), "salary"))}}}""";
            db.People.Add(new PersonRow { Id = id, DisplayName = $"Person {i}", ValuesJson = values, CreatedAt = now, UpdatedAt = now });
            var native = $$"""{"first_name": "Zoë", "national_id": "{{cipher.Encrypt(NationalId(i), "national_id")}}", "salary": "{{cipher.Encrypt(Salary(i), "salary")}}"}""";
            db.SourceRecords.Add(new SourceRecordRow { System = "hris", NativeKey = $"{i}", PersonId = id, Hash = "h", ValuesJson = native, ObservedAt = now, Location = "workers.csv" });
            db.PendingChanges.Add(new PendingChangeRow { System = "hris", NativeKey = $"{i}", EffectiveFrom = new DateOnly(2027, 1, 1), Hash = "h", ValuesJson = native, Location = "workers.csv", ObservedAt = now });
            db.ReviewItems.Add(new ReviewItemRow
            {
                Kind = "unmatched",
                System = "payroll",
                NativeKey = $"{i}",
                Reason = "test",
                CreatedAt = now,
                RecordJson = $$"""{"values": {{native}}, "history": [{"national_id": "{{cipher.Encrypt(NationalId(i), "national_id")}}"}], "location": "pay.csv:{{i}}"}"""
            });
        }
        // A row without ciphertexts is left alone.
        db.People.Add(new PersonRow { Id = Guid.CreateVersion7(), DisplayName = "Plain", ValuesJson = """{"first_name": {"v": "Ann"}}""", CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();
    }

    private static async Task<List<(string Column, string Json)>> AllJsonAsync(DatabaseOptions database)
    {
        await using var db = database.CreateContext();
        var all = new List<(string, string)>();
        all.AddRange((await db.People.Select(p => p.ValuesJson).ToListAsync()).Select(j => ("people", j)));
        all.AddRange((await db.SourceRecords.Select(p => p.ValuesJson).ToListAsync()).Select(j => ("source_records", j)));
        all.AddRange((await db.PendingChanges.Select(p => p.ValuesJson).ToListAsync()).Select(j => ("pending_changes", j)));
        all.AddRange((await db.ReviewItems.Select(p => p.RecordJson).ToListAsync()).Select(j => ("review_items", j)));
        return all;
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Rotation_interrupted_after_one_batch_resumes_re_encrypts_everything_and_removes_the_old_key(string provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var clock = TestClock.At("2026-11-27");
        var dir = Path.Combine(Path.GetTempPath(), "handoff-keys-tests", Guid.NewGuid().ToString("N"));
        var loaded = KeyRingStore.Open(dir, null, _ => { }, clock);
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, loaded.Ring);
        await SeedAsync(database, new FieldCipher(loaded.Ring));
        var valuesPerPerson = 2 /* people */ + 2 /* source */ + 2 /* pending */ + 3 /* review */;
        var before = await new KeyRotation(database, clock).CountByKeyAsync(default);
        Assert.Equal(People * valuesPerPerson, before["k1"]);

        // Interrupted after the first committed batch.
        var interrupted = new KeyRotation(database, clock)
        {
            BatchSize = 5,
            AfterBatch = (_, _) => throw new OperationCanceledException("interrupted"),
        };
        await Assert.ThrowsAsync<OperationCanceledException>(() => interrupted.RotateAsync(loaded.Path!, default));
        var midway = KeyRingStore.Load(loaded.Path!);
        Assert.Equal(["k1", "k2"], midway.KeyIds);
        Assert.Equal("k2", midway.CurrentKeyId);
        var counts = await new KeyRotation(database, clock).CountByKeyAsync(default);
        Assert.Equal(10, counts["k2"]); // one batch of 5 people, 2 values each
        Assert.Equal(People * valuesPerPerson - 10, counts["k1"]);
        // Start-up with the new ring works meanwhile; values under either key read.
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, midway);

        // Run again: it continues (no third key), finishes, and retires k1.
        var batches = new List<RotationBatch>();
        var resumed = new KeyRotation(database, clock)
        {
            BatchSize = 5,
            AfterBatch = (b, _) =>
            {
                batches.Add(b);
                return Task.CompletedTask;
            },
        };
        var report = await resumed.RotateAsync(loaded.Path!, default);
        Assert.False(report.NewKeyAdded);
        Assert.Equal("k2", report.CurrentKeyId);
        Assert.Equal(People * 4 - 5, report.RowsUpdated);
        Assert.Equal(People * valuesPerPerson - 10, report.ValuesReEncrypted);
        Assert.Equal(["k1"], report.RemovedKeys);
        Assert.Empty(report.StillInUse);
        Assert.Equal(["people.values_json", "source_records.values_json", "pending_changes.values_json", "review_items.record_json"], batches.Select(b => b.Column).Distinct());

        var final = KeyRingStore.Load(loaded.Path!);
        Assert.Equal(["k2"], final.KeyIds);
        Assert.Equal(new Dictionary<string, long> { ["k2"] = People * valuesPerPerson }, await resumed.CountByKeyAsync(default));
        await using (var db = database.CreateContext())
        {
            Assert.Equal(["blind-index", "k2"], await db.KeyChecks.OrderBy(k => k.KeyId).Select(k => k.KeyId).ToListAsync());
            await KeyRingCheck.VerifyAsync(db, final);
            // The old ring is now refused at start-up instead of failing value by value.
            await Assert.ThrowsAsync<KeyRingMismatchException>(() => KeyRingCheck.VerifyAsync(db, loaded.Ring));
        }

        // Every value reads back under its own field with the final ring; the other JSON is intact.
        var cipher = new FieldCipher(final);
        var nationalIds = new HashSet<string>();
        foreach (var (column, json) in await AllJsonAsync(database))
        {
            Assert.DoesNotContain("enc:v1:k1:", json);
            var node = JsonNode.Parse(json)!.AsObject();
            if (node["first_name"] is { } first)
                Assert.Contains(first is JsonObject o ? o["v"]!.GetValue<string>() : first.GetValue<string>(), new[] { "Zoë", "Ann" });
            var values = column == "review_items" ? node["values"]!.AsObject() : node;
            if (values["national_id"] is not { } ni)
                continue;
            var text = ni is JsonObject r ? r["v"]!.GetValue<string>() : ni.GetValue<string>();
            nationalIds.Add(cipher.Decrypt(text, "national_id"));
            var salary = values["salary"]!;
            Assert.StartsWith("5", cipher.Decrypt(salary is JsonObject s ? s["v"]!.GetValue<string>() : salary.GetValue<string>(), "salary"));
            if (column == "review_items")
                Assert.StartsWith("NI-", cipher.Decrypt(node["history"]![0]!["national_id"]!.GetValue<string>(), "national_id"));
        }
        Assert.Equal(Enumerable.Range(0, People).Select(NationalId).ToHashSet(), nationalIds);

        // A rotation with nothing unfinished starts the next one.
        var next = await new KeyRotation(database, clock).RotateAsync(loaded.Path!, default);
        Assert.True(next.NewKeyAdded);
        Assert.Equal("k3", next.CurrentKeyId);
        Assert.Equal(["k2"], next.RemovedKeys);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Rotation_with_a_foreign_key_ring_is_refused_and_changes_nothing(string provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var clock = TestClock.At("2026-11-27");
        var original = KeyRing.Generate();
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, original);
        await SeedAsync(database, new FieldCipher(original));
        var dir = Path.Combine(Path.GetTempPath(), "handoff-keys-tests", Guid.NewGuid().ToString("N"));
        var foreign = KeyRingStore.Open(dir, null, _ => { }, clock);
        var before = await AllJsonAsync(database);

        await Assert.ThrowsAsync<KeyRingMismatchException>(() => new KeyRotation(database, clock).RotateAsync(foreign.Path!, default));
        Assert.Equal(["k1"], KeyRingStore.Load(foreign.Path!).KeyIds);
        Assert.Equal(before, await AllJsonAsync(database));
    }
}
