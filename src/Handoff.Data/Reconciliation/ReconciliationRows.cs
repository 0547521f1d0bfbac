namespace Handoff.Data.Reconciliation;

/// <summary>One reconciliation of one target system: when, who or what asked, and the count per class.
/// Accounts that are in sync are only counted; every other account has an item row.</summary>
public sealed class ReconciliationReportRow
{
    public Guid Id { get; set; }
    public string System { get; set; } = "";
    /// <summary>user:alice, schedule:&lt;cron&gt;.</summary>
    public string Actor { get; set; } = "";
    public bool DryRun { get; set; }
    /// <summary>repairing (committed before the repairs are written), completed, failed (the target could not
    /// be read; <see cref="Error"/> says why) or interrupted (stopped while repairing, picked up by a later run).</summary>
    public string Status { get; set; } = "completed";
    public int Accounts { get; set; }
    public int InSync { get; set; }
    public int Drifted { get; set; }
    public int Orphan { get; set; }
    public int Unmanaged { get; set; }
    public int Missing { get; set; }
    /// <summary>Updates written to the target (enforce drift only).</summary>
    public int Repaired { get; set; }
    /// <summary>Repairs held because they would pass the system's threshold (staged_writes, step "reconcile").</summary>
    public int Held { get; set; }
    public int RepairFailed { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset FinishedAt { get; set; }
}

/// <summary>One account that is not in sync (or one link without an account).</summary>
public sealed class ReconciliationItemRow
{
    public long Id { get; set; }
    public Guid ReportId { get; set; }
    /// <summary>in_sync (only when the link was written again), drifted, orphan, unmanaged, missing.</summary>
    public string Class { get; set; } = "";
    public string? NativeId { get; set; }
    public Guid? PersonId { get; set; }
    public string? Username { get; set; }
    /// <summary>native_id, anchor or username.</summary>
    public string? MatchedBy { get; set; }
    /// <summary>[{field, native, expected, actual, strength}] as JSON; values of sensitive fields are not stored.</summary>
    public string DriftJson { get; set; } = "[]";
    public string? Reason { get; set; }
    /// <summary>null (nothing to repair), pending (committed, not yet written), repaired, already_applied,
    /// would_repair (dry run), held, failed, interrupted, relinked.</summary>
    public string? Repair { get; set; }
    public string? RepairError { get; set; }
}

public static class RepairStatus
{
    public const string Repaired = "repaired";
    public const string WouldRepair = "would_repair";
    public const string Held = "held";
    public const string Failed = "failed";
    public const string Relinked = "relinked";
    /// <summary>Decided and committed with the report; the write to the target has not answered yet.</summary>
    public const string Pending = "pending";
    public const string AlreadyApplied = "already_applied";
    /// <summary>The run stopped (crash, shutdown) before this repair; a later run read the target again.</summary>
    public const string Interrupted = "interrupted";
}

public static class ReportStatus
{
    /// <summary>Report and items committed; repairs are being written.</summary>
    public const string Repairing = "repairing";
    public const string Completed = "completed";
    /// <summary>The target could not be read.</summary>
    public const string Failed = "failed";
    /// <summary>The run stopped while repairing; a later run picked it up (see its items).</summary>
    public const string Interrupted = "interrupted";
}
