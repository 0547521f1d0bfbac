namespace Handoff.Core.Audit;

public enum AuditProblemKind { Edited, Deleted, Inserted, Reordered, Truncated, Checkpoint }

/// <summary>The first thing wrong with the chain: its kind, the entry it concerns and what is wrong.</summary>
public sealed record AuditProblem(AuditProblemKind Kind, long Sequence, string Message)
{
    public override string ToString() => Message;
}

/// <summary>
/// Walks the entries in sequence order (feed them with <see cref="Add"/>; nothing is kept but a small
/// window, so a million entries verify in constant memory) and stops at the first problem:
/// <list type="bullet">
/// <item>edited: an entry's content no longer matches its hash;</item>
/// <item>deleted: a sequence number is missing;</item>
/// <item>inserted: a forged entry sits between two real ones (the next real entry still links to the
/// one before the intruder, and its hash says it was written under a lower number), or beyond the head;</item>
/// <item>reordered: an entry's hash says it was written under another number;</item>
/// <item>checkpoint: a signature that does not verify, or an entry whose hash differs from the signed
/// one (the chain was rewritten and its hashes recomputed).</item>
/// </list>
/// </summary>
public sealed class AuditVerifier
{
    private const int Window = 1024;
    private readonly Dictionary<long, AuditCheckpoint> _checkpoints;
    private readonly Func<string, byte[]?> _keys;
    private readonly Dictionary<string, long> _recent = [];
    private readonly Queue<string> _recentOrder = new();
    private long _lastSequence;
    private string _lastHash = AuditChain.GenesisHash;

    /// <param name="checkpoints">All checkpoints of the log (one per thousand entries: small).</param>
    /// <param name="keys">Key by key id; null for an unknown key.</param>
    /// <param name="firstSequence">Where the walk starts (1 for a whole log).</param>
    /// <param name="previousHash">The hash before <paramref name="firstSequence"/> (genesis for a whole log);
    /// null to trust the first entry's link (a partial export).</param>
    public AuditVerifier(IEnumerable<AuditCheckpoint> checkpoints, Func<string, byte[]?> keys, long firstSequence = 1, string? previousHash = null)
    {
        _checkpoints = checkpoints.GroupBy(c => c.Sequence).ToDictionary(g => g.Key, g => g.First());
        _keys = keys;
        _lastSequence = firstSequence - 1;
        _lastHash = firstSequence == 1 ? previousHash ?? AuditChain.GenesisHash : previousHash!;
    }

    public long Entries { get; private set; }
    public int CheckpointsVerified { get; private set; }
    public AuditProblem? Problem { get; private set; }

    /// <summary>Checks the next entry; false once a problem was found (see <see cref="Problem"/>).</summary>
    public bool Add(AuditEntry e)
    {
        if (Problem is not null)
            return false;
        Problem = Check(e);
        if (Problem is not null)
            return false;
        Entries++;
        _lastSequence = e.Sequence;
        _lastHash = e.Hash;
        Remember(e);
        if (_checkpoints.TryGetValue(e.Sequence, out var checkpoint))
        {
            Problem = CheckCheckpoint(checkpoint, e);
            if (Problem is not null)
                return false;
            CheckpointsVerified++;
        }
        return true;
    }

    /// <summary>Ends the walk. <paramref name="headSequence"/> is the log's own record of its last
    /// entry (the <c>audit_head</c> row), when there is one.</summary>
    public AuditProblem? Complete(long? headSequence = null)
    {
        if (Problem is not null)
            return Problem;
        if (headSequence is { } head && head > _lastSequence)
            return Problem = new(AuditProblemKind.Truncated, _lastSequence + 1,
                $"entry {_lastSequence + 1} is missing (deleted): the chain ends at {_lastSequence} but the log's head is entry {head}");
        var beyond = _checkpoints.Keys.Where(s => s > _lastSequence).Order().FirstOrDefault();
        if (beyond > 0)
            return Problem = new(AuditProblemKind.Truncated, _lastSequence + 1,
                $"entry {_lastSequence + 1} is missing (deleted): the chain ends at {_lastSequence} but a checkpoint signs entry {beyond}");
        return null;
    }

    /// <summary>Checks only the entry itself, for a filtered export whose neighbours are not all present.</summary>
    public static AuditProblem? CheckAlone(AuditEntry e) =>
        AuditChain.ComputeHash(e) == e.Hash ? null
            : new(AuditProblemKind.Edited, e.Sequence, $"entry {e.Sequence} was edited: its content does not match its hash");

    private AuditProblem? Check(AuditEntry e)
    {
        var expected = _lastSequence + 1;
        if (e.Sequence <= _lastSequence)
            return new(AuditProblemKind.Inserted, e.Sequence, $"entry {e.Sequence} appears twice: one of them was inserted");
        if (e.Sequence > expected)
        {
            var which = e.Sequence == expected + 1 ? $"entry {expected} is missing" : $"entries {expected}–{e.Sequence - 1} are missing";
            return new(AuditProblemKind.Deleted, expected, $"{which} (deleted): the chain goes from {_lastSequence} to {e.Sequence}");
        }

        var selfOk = AuditChain.ComputeHash(e) == e.Hash;
        var linkOk = e.PreviousHash == _lastHash;
        if (selfOk && linkOk)
            return null;
        if (selfOk)
        {
            // A consistent entry that does not follow the one before it: that one is not the original.
            return _lastSequence == 0
                ? new(AuditProblemKind.Edited, e.Sequence, $"entry {e.Sequence} does not start the chain: its previous hash is not the genesis hash")
                : new(AuditProblemKind.Edited, _lastSequence, $"entry {_lastSequence} was replaced: entry {e.Sequence} links to a different entry {_lastSequence}");
        }

        if (WrittenAs(e) is { } original)
        {
            if (original < e.Sequence)
                return new(AuditProblemKind.Inserted, original,
                    $"entry {original} was inserted: the entry now numbered {e.Sequence} was written as {original}{(_recent.TryGetValue(e.PreviousHash, out var after) ? $" right after entry {after}" : "")}");
            return new(AuditProblemKind.Reordered, e.Sequence,
                $"entry {e.Sequence} is out of order: it was written as entry {original} (sequence numbers were swapped or renumbered)");
        }
        return linkOk
            ? new(AuditProblemKind.Edited, e.Sequence, $"entry {e.Sequence} was edited: its content does not match its hash")
            : new(AuditProblemKind.Edited, e.Sequence, $"entry {e.Sequence} was edited or forged: neither its hash nor its link to entry {_lastSequence} match");
    }

    /// <summary>The sequence number under which the entry was hashed, when it is not its current one.</summary>
    private long? WrittenAs(AuditEntry e)
    {
        var candidates = new List<long> { e.Sequence - 1, e.Sequence + 1 };
        if (_recent.TryGetValue(e.PreviousHash, out var linked))
            candidates.Insert(0, linked + 1);
        foreach (var s in candidates.Distinct())
        {
            if (s >= 1 && s != e.Sequence && AuditChain.ComputeHash(e with { Sequence = s }) == e.Hash)
                return s;
        }
        return null;
    }

    private AuditProblem? CheckCheckpoint(AuditCheckpoint c, AuditEntry e)
    {
        var key = _keys(c.KeyId);
        if (key is null)
            return new(AuditProblemKind.Checkpoint, c.Sequence, $"checkpoint at entry {c.Sequence} is signed with key {c.KeyId}, which is not available: cannot verify it");
        if (!AuditChain.IsValidSignature(c, key))
            return new(AuditProblemKind.Checkpoint, c.Sequence, $"checkpoint at entry {c.Sequence} has an invalid signature: the checkpoint was forged or altered");
        if (c.Hash != e.Hash)
            return new(AuditProblemKind.Checkpoint, c.Sequence, $"entry {c.Sequence} does not match its signed checkpoint: the chain up to entry {c.Sequence} was rewritten (hashes recomputed)");
        return null;
    }

    private void Remember(AuditEntry e)
    {
        _recent[e.Hash] = e.Sequence;
        _recentOrder.Enqueue(e.Hash);
        if (_recentOrder.Count > Window)
            _recent.Remove(_recentOrder.Dequeue());
    }
}
