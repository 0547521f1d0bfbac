using Handoff.Core.Security;
using Handoff.Data.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Security;

public sealed class KeyRingCheckTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_first_start_registers_the_ring_and_later_starts_with_it_pass(string provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var ring = KeyRing.Generate();
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, ring);
        await using (var db = database.CreateContext())
        {
            Assert.Equal(["blind-index", "k1"], await db.KeyChecks.OrderBy(k => k.KeyId).Select(k => k.KeyId).ToListAsync());
            await KeyRingCheck.VerifyAsync(db, ring);
        }
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_different_key_ring_is_refused_at_start_with_a_clear_message(string provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, KeyRing.Generate());

        await using (var db = database.CreateContext())
        {
            var e = await Assert.ThrowsAsync<KeyRingMismatchException>(() => KeyRingCheck.VerifyAsync(db, KeyRing.Generate(), default, "/etc/handoff/keyring.json"));
            Assert.Contains("/etc/handoff/keyring.json is not the key ring this database was encrypted with", e.Message);
            Assert.Contains("k1", e.Message);
            // Nothing was registered for the wrong ring.
            Assert.Equal(2, await db.KeyChecks.CountAsync());
        }
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_old_copy_of_the_ring_without_the_newest_key_is_refused(string provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var old = KeyRing.Generate();
        var rotated = old.WithNewCurrentKey();
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, rotated);
        await using (var db = database.CreateContext())
        {
            var e = await Assert.ThrowsAsync<KeyRingMismatchException>(() => KeyRingCheck.VerifyAsync(db, old));
            Assert.Contains("lacks key(s) k2", e.Message);
        }
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_new_key_of_the_same_ring_is_registered_but_a_foreign_ring_never_is(string provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var ring = KeyRing.Generate();
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, ring);
        await using (var db = database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, ring.WithNewCurrentKey());
        await using (var db = database.CreateContext())
            Assert.Equal(3, await db.KeyChecks.CountAsync());

        // A foreign ring that happens to use other key ids shares nothing with the database.
        var foreign = KeyRing.FromJson(KeyRing.Generate().ToJson().Replace("\"k1\"", "\"x7\"", StringComparison.Ordinal), "test");
        await using (var db = database.CreateContext())
        {
            var e = await Assert.ThrowsAsync<KeyRingMismatchException>(() => KeyRingCheck.VerifyAsync(db, foreign));
            Assert.Contains("blind-index", e.Message);
        }
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Start_up_opens_the_ring_once_and_refuses_another_ring_naming_its_file(string provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var dir = Path.Combine(Path.GetTempPath(), "handoff-keys-tests", Guid.NewGuid().ToString("N"));
        var messages = new List<string>();
        var first = await KeyRingCheck.OpenVerifiedAsync(database, dir, messages.Add);
        Assert.True(first.Created);
        var again = await KeyRingCheck.OpenVerifiedAsync(database, dir, messages.Add);
        Assert.False(again.Created);
        Assert.Single(messages);

        var other = Path.Combine(Path.GetTempPath(), "handoff-keys-tests", Guid.NewGuid().ToString("N"));
        var e = await Assert.ThrowsAsync<KeyRingMismatchException>(() => KeyRingCheck.OpenVerifiedAsync(database, other, _ => { }));
        Assert.Contains(Path.Combine(other, "keyring.json"), e.Message);
    }
}
