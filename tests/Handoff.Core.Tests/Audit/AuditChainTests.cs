using System.Security.Cryptography;
using Handoff.Core.Audit;

namespace Handoff.Core.Tests.Audit;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    internal sealed class TestKey(string id = "test") : IAuditSigningKey
    {
        public string KeyId { get; } = id;
        public byte[] Key { get; } = RandomNumberGenerator.GetBytes(32);
    }

    internal static List<AuditEntry> Chain(int count)
    {
        var entries = new List<AuditEntry>();
        var previous = AuditChain.GenesisHash;
        for (var i = 1; i <= count; i++)
        {
            var draft = new AuditDraft("system:hris", i % 2 == 0 ? "person.changed" : "person.created", "person", $"p-{i}",
                [new AuditFieldChange("department", "Sales", $"Dept {i}"), new AuditFieldChange("national_id", null, "hmac:ab12")], "hris", $"sync:{i / 10}");
            var entry = AuditChain.Seal(draft, i, previous, T0.AddSeconds(i));
            entries.Add(entry);
            previous = entry.Hash;
        }
        return entries;
    }

    private static AuditProblem? Verify(IEnumerable<AuditEntry> entries, IEnumerable<AuditCheckpoint>? checkpoints = null, IAuditSigningKey? key = null)
    {
        var verifier = new AuditVerifier(checkpoints ?? [], id => key is not null && id == key.KeyId ? key.Key : null);
        foreach (var e in entries)
        {
            if (!verifier.Add(e))
                break;
        }
        return verifier.Complete();
    }

    [Fact]
    public void Canonical_form_is_fixed_order_invariant_and_utc()
    {
        var entry = AuditChain.Seal(new AuditDraft("user:alice", "person.changed", "person", "42", [new("salary", "hmac:1", "hmac:2")], null, null,
            new DateTimeOffset(2026, 11, 27, 10, 30, 0, 123, TimeSpan.FromHours(1)).AddTicks(4567)), 7, AuditChain.GenesisHash, T0);
        Assert.Equal(
            """{"sequence":7,"at":"2026-11-27T09:30:00.1234560Z","actor":"user:alice","action":"person.changed","system":null,"object_type":"person","object_id":"42","fields":[{"field":"salary","before":"hmac:1","after":"hmac:2"}],"correlation_id":null}""",
            AuditChain.Canonical(entry));
        var expected = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(AuditChain.GenesisHash + AuditChain.Canonical(entry))));
        Assert.Equal(expected, entry.Hash);
        Assert.Equal(64, AuditChain.GenesisHash.Length);
        Assert.All(AuditChain.GenesisHash, c => Assert.Equal('0', c));
    }

    [Fact]
    public void An_intact_chain_verifies_with_its_checkpoints()
    {
        var key = new TestKey();
        var entries = Chain(50);
        var checkpoints = entries.Where(e => e.Sequence % 10 == 0).Select(e => AuditChain.SignCheckpoint(e.Sequence, e.Hash, key, T0)).ToList();
        var verifier = new AuditVerifier(checkpoints, id => id == key.KeyId ? key.Key : null);
        Assert.All(entries, e => Assert.True(verifier.Add(e)));
        Assert.Null(verifier.Complete(50));
        Assert.Equal(50, verifier.Entries);
        Assert.Equal(5, verifier.CheckpointsVerified);
    }

    [Fact]
    public void An_edited_entry_is_named()
    {
        var entries = Chain(50);
        entries[16] = entries[16] with { Actor = "user:mallory" };
        var problem = Verify(entries)!;
        Assert.Equal((AuditProblemKind.Edited, 17L), (problem.Kind, problem.Sequence));
        Assert.Contains("entry 17 was edited", problem.Message);
    }

    [Fact]
    public void A_deleted_entry_is_named()
    {
        var entries = Chain(50);
        entries.RemoveAt(16);
        var problem = Verify(entries)!;
        Assert.Equal((AuditProblemKind.Deleted, 17L), (problem.Kind, problem.Sequence));
        Assert.Contains("entry 17 is missing", problem.Message);
    }

    [Fact]
    public void An_entry_inserted_with_correct_hashes_is_named()
    {
        var entries = Chain(50);
        var forged = AuditChain.Seal(new AuditDraft("user:mallory", "person.changed", "person", "p-x"), 26, entries[24].Hash, T0);
        var renumbered = entries.Select(e => e.Sequence >= 26 ? e with { Sequence = e.Sequence + 1 } : e).ToList();
        renumbered.Insert(25, forged);
        var problem = Verify(renumbered)!;
        Assert.Equal((AuditProblemKind.Inserted, 26L), (problem.Kind, problem.Sequence));
        Assert.Contains("entry 26 was inserted", problem.Message);
    }

    [Fact]
    public void Swapped_entries_are_reported_as_reordered()
    {
        var entries = Chain(50);
        (entries[9], entries[10]) = (entries[10] with { Sequence = 10 }, entries[9] with { Sequence = 11 });
        var problem = Verify(entries)!;
        Assert.Equal((AuditProblemKind.Reordered, 10L), (problem.Kind, problem.Sequence));
        Assert.Contains("written as entry 11", problem.Message);
    }

    [Fact]
    public void A_rewritten_chain_is_caught_by_the_signed_checkpoint()
    {
        var key = new TestKey();
        var entries = Chain(50);
        var checkpoints = entries.Where(e => e.Sequence % 10 == 0).Select(e => AuditChain.SignCheckpoint(e.Sequence, e.Hash, key, T0)).ToList();
        var rewritten = Rewrite(entries, 17, e => e with { Actor = "user:mallory" });
        Assert.Null(Verify(rewritten)); // the links alone cannot tell

        var problem = Verify(rewritten, checkpoints, key)!;
        Assert.Equal((AuditProblemKind.Checkpoint, 20L), (problem.Kind, problem.Sequence));

        // Re-pointing the checkpoint at the new hash needs the key.
        var forged = checkpoints.Select(c => c.Sequence == 20 ? c with { Hash = rewritten[19].Hash } : c).ToList();
        problem = Verify(rewritten, forged, key)!;
        Assert.Equal(AuditProblemKind.Checkpoint, problem.Kind);
        Assert.Contains("invalid signature", problem.Message);
        var otherKey = new TestKey();
        Assert.Contains("invalid signature", Verify(entries, checkpoints, new TestKeyWithId(key.KeyId, otherKey.Key))!.Message);
    }

    [Fact]
    public void Entries_cut_from_the_tail_are_caught_by_the_head_or_a_checkpoint()
    {
        var key = new TestKey();
        var entries = Chain(50);
        var checkpoints = new[] { AuditChain.SignCheckpoint(50, entries[49].Hash, key, T0) };
        var verifier = new AuditVerifier([], _ => null);
        entries.Take(45).ToList().ForEach(e => verifier.Add(e));
        Assert.Equal((AuditProblemKind.Truncated, 46L), (verifier.Complete(50)!.Kind, verifier.Complete(50)!.Sequence));
        var problem = Verify(entries.Take(45), checkpoints, key)!;
        Assert.Equal((AuditProblemKind.Truncated, 46L), (problem.Kind, problem.Sequence));
    }

    internal static List<AuditEntry> Rewrite(List<AuditEntry> entries, long from, Func<AuditEntry, AuditEntry> edit)
    {
        var result = new List<AuditEntry>();
        var previous = AuditChain.GenesisHash;
        foreach (var e in entries)
        {
            var changed = e.Sequence < from ? e : (e.Sequence == from ? edit(e) : e) with { PreviousHash = previous };
            if (e.Sequence >= from)
                changed = changed with { Hash = AuditChain.ComputeHash(changed) };
            result.Add(changed);
            previous = changed.Hash;
        }
        return result;
    }

    private sealed class TestKeyWithId(string id, byte[] key) : IAuditSigningKey
    {
        public string KeyId => id;
        public byte[] Key => key;
    }
}

public sealed class KeyRingAuditKeyTests
{
    [Fact]
    public void The_checkpoint_key_comes_from_the_ring_survives_rotation_and_differs_between_rings()
    {
        var ring = Handoff.Core.Security.KeyRing.Generate();
        var key = new Handoff.Core.Security.KeyRingAuditKey(ring);
        Assert.Equal(32, key.Key.Length);
        Assert.Equal(key.Key, new Handoff.Core.Security.KeyRingAuditKey(ring.WithNewCurrentKey()).Key);
        Assert.NotEqual(key.Key, new Handoff.Core.Security.KeyRingAuditKey(Handoff.Core.Security.KeyRing.Generate()).Key);
        Assert.NotEqual(key.Key, ring.BlindIndexKey); // derived, not the blind-index key itself
    }
}
