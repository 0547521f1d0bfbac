using System.Security.Cryptography;
using System.Text;
using Handoff.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Security;

/// <summary>
/// Start-up check that the key ring is the one this database's ciphertexts were made with. The
/// database keeps a fingerprint per key (<c>key_checks</c>); a ring whose keys do not match, or that
/// lacks a key the database still knows, is refused with a message — never "decrypts" to garbage
/// or fails value by value later. Keys the database has not seen yet (a fresh database, a new key
/// added by rotation) are registered, but only when the ring is proven to be the same ring: either the
/// database knows no keys yet, or at least one known key matches.
/// </summary>
public static class KeyRingCheck
{
    /// <summary>Start-up in one call: opens the key ring (<see cref="KeyRingStore.Open(string?, Action{string}?, TimeProvider?)"/>:
    /// <c>HANDOFF_KEYRING</c>, else the file, created on first start) and verifies it against the
    /// database. Throws <see cref="KeyRingException"/> (bad file, unsafe permissions) or
    /// <see cref="KeyRingMismatchException"/> (not this database's ring) with a message to show as is.</summary>
    public static async Task<LoadedKeyRing> OpenVerifiedAsync(DatabaseOptions database, string? keysDirectory = null, Action<string>? notice = null,
        TimeProvider? clock = null, CancellationToken ct = default)
    {
        var loaded = KeyRingStore.Open(keysDirectory, notice, clock);
        await using var db = database.CreateContext();
        await VerifyAsync(db, loaded.Ring, ct, loaded.Origin, clock);
        return loaded;
    }

    public static async Task VerifyAsync(HandoffDbContext db, KeyRing ring, CancellationToken ct = default, string? origin = null, TimeProvider? clock = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await VerifyOnceAsync(db, ring, origin ?? "the key ring", clock ?? TimeProvider.System, ct);
                return;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Two processes registered the same new key at once; check again against what won.
                db.ChangeTracker.Clear();
            }
        }
    }

    private static async Task VerifyOnceAsync(HandoffDbContext db, KeyRing ring, string origin, TimeProvider clock, CancellationToken ct)
    {
        var known = await db.KeyChecks.AsNoTracking().ToDictionaryAsync(k => k.KeyId, k => k.Fingerprint, ct);
        var ids = ring.KeyIds.Append(KeyRing.BlindIndexKeyId).ToList();
        var mismatched = ids.Where(id => known.TryGetValue(id, out var f) && !Same(f, ring.Fingerprint(id))).ToList();
        var matched = ids.Count(id => known.TryGetValue(id, out var f) && Same(f, ring.Fingerprint(id)));
        if (mismatched.Count > 0)
        {
            throw new KeyRingMismatchException(
                $"{origin} is not the key ring this database was encrypted with: key(s) {string.Join(", ", mismatched)} differ. " +
                $"Start with the original key ring ({KeyRingStore.DirectoryVariable} or ${KeyRingStore.RingVariable}); nothing was read or changed.");
        }
        var missing = known.Keys.Where(id => !ring.Contains(id) && id != KeyRing.BlindIndexKeyId).OrderBy(id => id, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw new KeyRingMismatchException(
                $"{origin} lacks key(s) {string.Join(", ", missing)} that this database holds data under (it has {string.Join(", ", ring.KeyIds)}). " +
                "Use the newest copy of the key ring (after a rotation every node needs the new ring); nothing was read or changed.");
        }
        var unknown = ids.Where(id => !known.ContainsKey(id)).ToList();
        if (unknown.Count == 0)
            return;
        if (known.Count > 0 && matched == 0)
        {
            throw new KeyRingMismatchException(
                $"{origin} shares no key with the key ring this database was encrypted with; nothing was read or changed.");
        }
        var now = clock.GetUtcNow();
        foreach (var id in unknown)
            db.KeyChecks.Add(new KeyCheckRow { KeyId = id, Fingerprint = ring.Fingerprint(id), CreatedAt = now });
        await db.SaveChangesAsync(ct);
    }

    private static bool Same(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}

/// <summary>The key ring does not match the database: the application must not start.</summary>
public sealed class KeyRingMismatchException(string message) : KeyRingException(message);
