namespace Handoff.Core.Audit;

/// <summary>One changed field. Values of fields classified <c>sensitive</c> are passed by the caller
/// already as a keyed hash (e.g. <c>hmac:…</c>): the audit chain never sees their cleartext, so an
/// export or a database dump of the log reveals nothing the field encryption protects.</summary>
public sealed record AuditFieldChange(string Field, string? Before, string? After);

/// <summary>What a state-changing piece of code wants logged; <see cref="AuditChain.Seal"/> gives it
/// its place in the chain (sequence, previous hash, hash).</summary>
/// <param name="Actor"><c>user:alice</c>, <c>system:hris</c>, <c>workflow:onboard@v3/run:…</c>.</param>
/// <param name="Action"><c>person.created</c>, <c>person.changed</c>, <c>workspace.applied</c>, <c>sync.completed</c>…</param>
/// <param name="At">When it happened; default: the audit log's clock. For a change that also writes an
/// outbox event, pass the event's <c>OccurredAt</c> (the completeness check matches on it).</param>
public sealed record AuditDraft(
    string Actor,
    string Action,
    string ObjectType,
    string ObjectId,
    IReadOnlyList<AuditFieldChange>? Fields = null,
    string? System = null,
    string? CorrelationId = null,
    DateTimeOffset? At = null);

/// <summary>An entry of the append-only, hash-chained audit log.</summary>
public sealed record AuditEntry(
    long Sequence,
    DateTimeOffset At,
    string Actor,
    string Action,
    string? System,
    string ObjectType,
    string ObjectId,
    IReadOnlyList<AuditFieldChange> Fields,
    string? CorrelationId,
    string PreviousHash,
    string Hash);

/// <summary>A signed statement "the chain's entry <see cref="Sequence"/> has hash <see cref="Hash"/>".
/// Anyone can recompute an unkeyed hash chain after rewriting it; nobody without the key can re-sign
/// the checkpoints, so a rewrite is caught at the first checkpoint it crosses.</summary>
public sealed record AuditCheckpoint(long Sequence, string Hash, string KeyId, string Signature, DateTimeOffset At);
