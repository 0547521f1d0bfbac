namespace Handoff.Data.Workflows;

/// <summary>One version of a workflow: its YAML as proposed, and where it is in
/// proposed → approved → active → retired (or rejected).</summary>
public sealed class WorkflowVersionRow
{
    public Guid Id { get; set; }
    public string WorkflowId { get; set; } = "";
    public int Version { get; set; }
    public string Name { get; set; } = "";
    public string Yaml { get; set; } = "";
    public string Status { get; set; } = WorkflowVersionStatus.Proposed;
    public string Author { get; set; } = "";
    /// <summary>What this version grants beyond the active version when proposed (JSON list); empty = logic-only.</summary>
    public string WidensJson { get; set; } = "[]";
    public DateTimeOffset ProposedAt { get; set; }
    public DateTimeOffset? ActivatedAt { get; set; }
    public string? ActivatedBy { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
    public List<WorkflowApprovalRow> Approvals { get; set; } = [];
}

public static class WorkflowVersionStatus
{
    public const string Proposed = "proposed";
    public const string Approved = "approved";
    public const string Active = "active";
    public const string Retired = "retired";
}

public sealed class WorkflowApprovalRow
{
    public long Id { get; set; }
    public Guid VersionId { get; set; }
    public string Member { get; set; } = "";
    public string Side { get; set; } = "";
    public DateTimeOffset At { get; set; }
}

/// <summary>Per workflow and trigger: how far date and cron triggers have been scanned, so missed
/// triggers fire once after downtime and never twice.</summary>
public sealed class TriggerStateRow
{
    public string WorkflowId { get; set; } = "";
    /// <summary>When the workflow was first activated: events that happened before do not start it.</summary>
    public DateTimeOffset ActiveSince { get; set; }
    /// <summary>The last outbox event when it was first activated: only later events start it. Clocks
    /// of different nodes (or of CLI processes pinned to one <c>--today</c>) need not agree; the
    /// outbox's own order does. Null on rows from before this column: <see cref="ActiveSince"/> decides.</summary>
    public long? ActiveAfterEventId { get; set; }
    public DateTimeOffset ScannedUntil { get; set; }
}

/// <summary>One execution of one workflow version for one person.</summary>
public sealed class RunRow
{
    public Guid Id { get; set; }
    public string WorkflowId { get; set; } = "";
    public Guid VersionId { get; set; }
    public int Version { get; set; }
    public Guid PersonId { get; set; }
    /// <summary>What started it (event:42, date:start_date:2026-12-01, cron:…, manual:alice); unique per workflow and person.</summary>
    public string TriggerKey { get; set; } = "";
    public string Status { get; set; } = RunStatus.Queued;
    /// <summary>Index of the next step to execute.</summary>
    public int StepIndex { get; set; }
    /// <summary>When a queued or waiting run is due (retry backoff, timer, approval deadline).</summary>
    public DateTimeOffset DueAt { get; set; }
    /// <summary>What a waiting run waits for: timer, approval, threshold.</summary>
    public string? WaitingFor { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    /// <summary>Outputs of finished steps (steps.ID.NAME in templates), as JSON; no sensitive values.</summary>
    public string OutputsJson { get; set; } = "{}";
    public bool HadErrors { get; set; }
    /// <summary>Durable retry rounds of the current step (transient failures after its in-process attempts).</summary>
    public int RetryCount { get; set; }
    public string? Error { get; set; }
    public string? CanceledBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}

public static class RunStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Waiting = "waiting";
    public const string Completed = "completed";
    public const string CompletedWithErrors = "completed_with_errors";
    public const string Failed = "failed";
    public const string Canceled = "canceled";

    public static readonly string[] Final = [Completed, CompletedWithErrors, Failed, Canceled];
}

/// <summary>One step execution of a run: inputs (sensitive values redacted), outputs, attempts, error.</summary>
public sealed class RunStepRow
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public string StepId { get; set; } = "";
    public int StepIndex { get; set; }
    public string Uses { get; set; } = "";
    public string? System { get; set; }
    /// <summary>completed, skipped, failed, blocked (permission), waiting, staged (threshold).</summary>
    public string Status { get; set; } = "";
    public int Attempts { get; set; }
    public string InputsJson { get; set; } = "{}";
    public string OutputsJson { get; set; } = "{}";
    public string? Operation { get; set; }
    public bool Destructive { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset FinishedAt { get; set; }
    /// <summary>The node that executed and committed the step (its lease holder).</summary>
    public string? Node { get; set; }
}

/// <summary>A human task: an approval step waiting for someone with a role.</summary>
public sealed class HumanTaskRow
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public string StepId { get; set; } = "";
    public Guid PersonId { get; set; }
    public string WorkflowId { get; set; } = "";
    public string Title { get; set; } = "";
    public string Role { get; set; } = "";
    public string? EscalateTo { get; set; }
    public DateTimeOffset? EscalateAt { get; set; }
    public bool Escalated { get; set; }
    public DateTimeOffset DueAt { get; set; }
    /// <summary>open, approved, rejected, expired, canceled.</summary>
    public string Status { get; set; } = "open";
    public string? DecidedBy { get; set; }
    public string? Comment { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
}

/// <summary>A threshold decision on a disable or delete: <c>allowed</c> (went ahead, counts toward the
/// window), <c>held</c> (the threshold was passed; waits for an approver), then <c>released</c> or <c>discarded</c>.</summary>
public sealed class StagedWriteRow
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public string StepId { get; set; } = "";
    public Guid PersonId { get; set; }
    public string System { get; set; } = "";
    public string Operation { get; set; } = "";
    public string Reason { get; set; } = "";
    /// <summary>allowed, held, released, discarded.</summary>
    public string Status { get; set; } = "held";
    public string? DecidedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
}

/// <summary>The link (midPoint's shadow) between a person and their account in a target system.</summary>
public sealed class AccountLinkRow
{
    public long Id { get; set; }
    public string System { get; set; } = "";
    public Guid PersonId { get; set; }
    public string NativeId { get; set; } = "";
    public string? Username { get; set; }
    /// <summary>active, disabled.</summary>
    public string State { get; set; } = "active";
    /// <summary>Hash of what Handoff last wrote, to notice drift at reconciliation.</summary>
    public string? StateHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
