namespace Handoff.Data.Events;

/// <summary>An event written in the same transaction as the change that caused it; the workflow
/// engine consumes it. Kept after processing: it is also the person's timeline.</summary>
public sealed class OutboxEventRow
{
    public long Id { get; set; }
    public Guid PersonId { get; set; }
    public string Type { get; set; } = "";
    public string PayloadJson { get; set; } = "{}";
    public DateTimeOffset OccurredAt { get; set; }
    public DateTimeOffset? ProcessedAt { get; set; }
}
