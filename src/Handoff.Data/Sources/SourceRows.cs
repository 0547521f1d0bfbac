namespace Handoff.Data.Sources;

/// <summary>The link between a source system's record and a person, with what that source last
/// said (canonical values, JSON) and its hash, so an unchanged record costs nothing on re-sync.</summary>
public sealed class SourceRecordRow
{
    public long Id { get; set; }
    public string System { get; set; } = "";
    public string NativeKey { get; set; } = "";
    public Guid PersonId { get; set; }
    public string Hash { get; set; } = "";
    public string ValuesJson { get; set; } = "{}";
    public DateTimeOffset ObservedAt { get; set; }
    public DateOnly? EffectiveFrom { get; set; }
    public string Location { get; set; } = "";
}

/// <summary>A future-dated record (effective next month): held until its day, then applied and its
/// events fired.</summary>
public sealed class PendingChangeRow
{
    public long Id { get; set; }
    public string System { get; set; } = "";
    public string NativeKey { get; set; } = "";
    public DateOnly EffectiveFrom { get; set; }
    public string Hash { get; set; } = "";
    public string ValuesJson { get; set; } = "{}";
    public string Location { get; set; } = "";
    public DateTimeOffset ObservedAt { get; set; }
    public DateTimeOffset? AppliedAt { get; set; }
}

/// <summary>One run of a source: what was read and what became of it.</summary>
public sealed class SyncRow
{
    public long Id { get; set; }
    public string System { get; set; } = "";
    public string Channel { get; set; } = "csv";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int Read { get; set; }
    public int Created { get; set; }
    public int Updated { get; set; }
    public int Unchanged { get; set; }
    public int Rejected { get; set; }
    public int Held { get; set; }
    public int Scheduled { get; set; }
    public long DurationMs { get; set; }
    public string Status { get; set; } = "running";
    public string? Error { get; set; }
}

/// <summary>A record that could not be used, with its place (file, line or JSON pointer), field and
/// reason, kept until the source is fixed and the record retried.</summary>
public sealed class QuarantineRow
{
    public long Id { get; set; }
    public long SyncId { get; set; }
    public string System { get; set; } = "";
    public string File { get; set; } = "";
    public int Line { get; set; }
    public string? Pointer { get; set; }
    public string? Field { get; set; }
    public string Reason { get; set; } = "";
    /// <summary>The native values as JSON when the row could be read, else its raw text.</summary>
    public string Raw { get; set; } = "";
    public string Status { get; set; } = "open";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
}

/// <summary>A webhook delivery, kept by its idempotency key so the same delivery twice is processed once.</summary>
public sealed class WebhookDeliveryRow
{
    public Guid Id { get; set; }
    public string System { get; set; } = "";
    public string IdempotencyKey { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    public string Body { get; set; } = "";
    /// <summary>pending → processing (claimed by one worker) → processed | failed.</summary>
    public string Status { get; set; } = "pending";
    public DateTimeOffset? ClaimedAt { get; set; }
    public long? SyncId { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset? ProcessedAt { get; set; }
}
