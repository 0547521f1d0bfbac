namespace Handoff.Data.Sources;

/// <summary>The link between a source system's record and a person, with what that source has said
/// (canonical values, JSON: every field it ever carried, each with its latest statement) and its hash,
/// so an unchanged record costs nothing on re-sync. <see cref="OrderJson"/> holds each value's
/// ordering fact (<see cref="Core.Sources.RecordOrder"/>): <c>{"*": order, "field": order}</c>, the
/// star for every field without its own.</summary>
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
    public string OrderJson { get; set; } = "{}";
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
    /// <summary>The record's ordering fact when it was read (<see cref="Core.Sources.RecordOrder"/>).</summary>
    public string Order { get; set; } = "";
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
    /// <summary>The delivery the row came in (null before deliveries were recorded): a retry keeps its
    /// place in the order of facts.</summary>
    public long? DeliveryId { get; set; }
}

/// <summary>
/// One delivery of a source: a file of a drop folder (or <c>sync --file</c>), a webhook body, a SCIM
/// request, a retry. Its id is the sequence that orders facts of equal as-of time. A file already
/// applied (same name, same content) is not read again; a delivery the guard holds waits here, whole,
/// until a person accepts or rejects it.
/// </summary>
public sealed class DeliveryRow
{
    public long Id { get; set; }
    public string System { get; set; } = "";
    /// <summary>The file name (relative to the drop folder), <c>webhook:&lt;id&gt;</c>, <c>scim</c> or <c>retry</c>.</summary>
    public string Name { get; set; } = "";
    /// <summary>SHA-256 of the file's bytes (hex); empty for deliveries that are not files.</summary>
    public string ContentHash { get; set; } = "";
    /// <summary><c>snapshot</c> (the source's whole population) or <c>changes</c>.</summary>
    public string Kind { get; set; } = "changes";
    /// <summary>What the delivery's facts are as of, unless a record's as_of column says otherwise.</summary>
    public DateTimeOffset AsOf { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    /// <summary>applying → applied | held → accepted (then applied) | rejected; failed when reading broke.</summary>
    public string Status { get; set; } = "applying";
    /// <summary>The delivery's columns (JSON array of native names), compared with the last accepted one.</summary>
    public string ColumnsJson { get; set; } = "[]";
    /// <summary>Why it is held: the guard's report (JSON).</summary>
    public string? ReportJson { get; set; }
    public string? Reason { get; set; }
    public long? SyncId { get; set; }
    public string? DecidedBy { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
}

/// <summary>What one file of a source said about one record the last time it was read: a row the same
/// file states again unchanged is not a new fact, so re-reading (or fixing another row of) an old
/// export never brings its old values back.</summary>
public sealed class DeliveredRowRow
{
    public string System { get; set; } = "";
    public string File { get; set; } = "";
    public string NativeKey { get; set; } = "";
    public string Hash { get; set; } = "";
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
