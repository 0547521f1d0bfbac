using Handoff.Core.Audit;

namespace Handoff.Data.Audit;

/// <summary>One entry of the audit log (<c>audit_entries</c>). Append-only: on PostgreSQL a trigger
/// refuses UPDATE, DELETE and TRUNCATE and the application role has no such rights.</summary>
public sealed class AuditEntryRow
{
    public long Id { get; set; }
    public long Sequence { get; set; }
    public DateTimeOffset At { get; set; }
    public string Actor { get; set; } = "";
    public string Action { get; set; } = "";
    public string? System { get; set; }
    public string ObjectType { get; set; } = "";
    public string ObjectId { get; set; } = "";
    /// <summary>JSON list of {field, before, after}; sensitive values only as the caller's keyed hash.</summary>
    public string FieldsJson { get; set; } = "[]";
    public string? CorrelationId { get; set; }
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";

    public static AuditEntryRow From(AuditEntry e) => new()
    {
        Sequence = e.Sequence,
        At = e.At,
        Actor = e.Actor,
        Action = e.Action,
        System = e.System,
        ObjectType = e.ObjectType,
        ObjectId = e.ObjectId,
        FieldsJson = JsonDefaults.Serialize(e.Fields),
        CorrelationId = e.CorrelationId,
        PreviousHash = e.PreviousHash,
        Hash = e.Hash,
    };

    public AuditEntry ToEntry() => new(Sequence, AuditChain.Normalize(At), Actor, Action, System, ObjectType, ObjectId,
        JsonDefaults.Deserialize<List<AuditFieldChange>>(FieldsJson), CorrelationId, PreviousHash, Hash);
}

/// <summary>A signed checkpoint (<c>audit_checkpoints</c>), append-only like the entries.</summary>
public sealed class AuditCheckpointRow
{
    public long Id { get; set; }
    public long Sequence { get; set; }
    public string Hash { get; set; } = "";
    public string KeyId { get; set; } = "";
    public string Signature { get; set; } = "";
    public DateTimeOffset At { get; set; }

    public AuditCheckpoint ToCheckpoint() => new(Sequence, Hash, KeyId, Signature, At);
}

/// <summary>The one row (<c>id = 1</c>) holding the last entry's sequence and hash. Appending locks it
/// first (an UPDATE), which serializes appenders on both providers; verify compares it with the chain's
/// end, so entries cut from or forged onto the tail are noticed.</summary>
public sealed class AuditHeadRow
{
    public int Id { get; set; }
    public long Sequence { get; set; }
    public string Hash { get; set; } = AuditChain.GenesisHash;
}
