using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Governance;

/// <summary>A candidate workflow on the backlog, with HR's and IT's scores (1–5, null until scored).</summary>
public sealed class BacklogItemRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    /// <summary>Canonical fields the candidate would read (JSON list): the data it depends on.</summary>
    public string ReadsJson { get; set; } = "[]";
    public int? HrValue { get; set; }
    public int? HrVolume { get; set; }
    public int? HrPain { get; set; }
    public string? HrScoredBy { get; set; }
    public DateTimeOffset? HrScoredAt { get; set; }
    public int? ItEffort { get; set; }
    public int? ItRisk { get; set; }
    public int? ItAvailability { get; set; }
    public string? ItScoredBy { get; set; }
    public DateTimeOffset? ItScoredAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A governance checkpoint of a live workflow: its 30-, 60- or 90-day review, recorded by whom and when.</summary>
public sealed class WorkflowCheckpointRow
{
    public long Id { get; set; }
    public string WorkflowId { get; set; } = "";
    public int Day { get; set; }
    public string RecordedBy { get; set; } = "";
    public DateTimeOffset RecordedAt { get; set; }
    public string? Note { get; set; }
}

/// <summary>One communication of a workflow's change plan.</summary>
public sealed class ChangeCommunicationRow
{
    public long Id { get; set; }
    public string WorkflowId { get; set; } = "";
    public string Audience { get; set; } = "";
    public string Message { get; set; } = "";
    public string Channel { get; set; } = "";
    public DateOnly Date { get; set; }
    public string Owner { get; set; } = "";
    /// <summary>planned, sent, done.</summary>
    public string Status { get; set; } = "planned";
    public string UpdatedBy { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Training material for one role about one workflow, as Markdown (rendered without raw HTML).</summary>
public sealed class ChangeTrainingRow
{
    public long Id { get; set; }
    public string WorkflowId { get; set; } = "";
    public string Role { get; set; } = "";
    public string Title { get; set; } = "";
    public string Markdown { get; set; } = "";
    public string UpdatedBy { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A "report a problem" from a person page, a run, a value, mail or a webhook; routed to HR
/// operations or IT by category, with its SLA clock.</summary>
public sealed class FeedbackReportRow
{
    public long Id { get; set; }
    public string Category { get; set; } = "";
    /// <summary>hr_operations or it.</summary>
    public string Route { get; set; } = "";
    /// <summary>The SLA as the charter said it when filed (8h, 3d, 2bd).</summary>
    public string Sla { get; set; } = "";
    /// <summary>web, email, webhook, api.</summary>
    public string Channel { get; set; } = "";
    public Guid? PersonId { get; set; }
    public Guid? RunId { get; set; }
    public string? Field { get; set; }
    public string Note { get; set; } = "";
    public string ReportedBy { get; set; } = "";
    public DateTimeOffset ReportedAt { get; set; }
    public DateTimeOffset RemindAt { get; set; }
    public DateTimeOffset DeadlineAt { get; set; }
    public DateTimeOffset? RemindedAt { get; set; }
    public DateTimeOffset? BreachedAt { get; set; }
    /// <summary>How many steps of the charter's escalation path have been involved.</summary>
    public int EscalationLevel { get; set; }
    public string? EscalatedTo { get; set; }
    /// <summary>open, acknowledged, resolved.</summary>
    public string Status { get; set; } = FeedbackStatus.Open;
    public string? AcknowledgedBy { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }
    public string? ResolvedBy { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    /// <summary>Wall-clock seconds from report to resolution.</summary>
    public long? ElapsedSeconds { get; set; }
    public bool? WithinSla { get; set; }
    /// <summary>The review item a value report also filed (the value's correction goes through the review queue).</summary>
    public long? ReviewItemId { get; set; }
    /// <summary>The sender's id of a mail or webhook report (Message-ID, Idempotency-Key): a redelivery is not a second report.</summary>
    public string? ExternalKey { get; set; }
    public List<FeedbackNoteRow> Notes { get; set; } = [];
}

public static class FeedbackStatus
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
}

/// <summary>The history of a report: notes, status changes, reminders, escalations.</summary>
public sealed class FeedbackNoteRow
{
    public long Id { get; set; }
    public long ReportId { get; set; }
    public DateTimeOffset At { get; set; }
    public string Actor { get; set; } = "";
    /// <summary>filed, note, acknowledged, resolved, reminder, breached, escalated.</summary>
    public string Kind { get; set; } = "";
    public string Text { get; set; } = "";
}

/// <summary>The tables of the backlog, checkpoints, change plans and feedback reports.</summary>
public static class ChangePlanModel
{
    public static void Configure(ModelBuilder b)
    {
        b.Entity<BacklogItemRow>(e =>
        {
            e.ToTable("backlog_items");
            e.Property(x => x.Id).HasMaxLength(100);
            e.Property(x => x.Name).HasMaxLength(300);
        });
        b.Entity<WorkflowCheckpointRow>(e =>
        {
            e.ToTable("workflow_checkpoints");
            e.Property(x => x.WorkflowId).HasMaxLength(100);
            e.HasIndex(x => new { x.WorkflowId, x.Day }).IsUnique();
        });
        b.Entity<ChangeCommunicationRow>(e =>
        {
            e.ToTable("change_communications");
            e.Property(x => x.WorkflowId).HasMaxLength(100);
            e.Property(x => x.Status).HasMaxLength(16);
            e.HasIndex(x => x.WorkflowId);
        });
        b.Entity<ChangeTrainingRow>(e =>
        {
            e.ToTable("change_training");
            e.Property(x => x.WorkflowId).HasMaxLength(100);
            e.Property(x => x.Role).HasMaxLength(32);
            e.HasIndex(x => new { x.WorkflowId, x.Role }).IsUnique();
        });
        b.Entity<FeedbackReportRow>(e =>
        {
            e.ToTable("feedback_reports");
            e.Property(x => x.Category).HasMaxLength(100);
            e.Property(x => x.Route).HasMaxLength(16);
            e.Property(x => x.Status).HasMaxLength(16);
            e.Property(x => x.Channel).HasMaxLength(16);
            e.Property(x => x.ExternalKey).HasMaxLength(300);
            e.HasIndex(x => new { x.Status, x.Route });
            e.HasIndex(x => new { x.Channel, x.ExternalKey }).IsUnique();
            e.HasMany(x => x.Notes).WithOne().HasForeignKey(n => n.ReportId);
        });
        b.Entity<FeedbackNoteRow>(e => e.ToTable("feedback_notes"));
    }
}
