using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Systems;

/// <summary>A system's schema as observed at one moment; a row is stored only when the schema's hash
/// changed, so the table is the schema's history, not a log of every sync.</summary>
public sealed class SchemaSnapshotRow
{
    public long Id { get; set; }
    public string System { get; set; } = "";
    public DateTimeOffset TakenAt { get; set; }
    public string Hash { get; set; } = "";
    /// <summary>The <see cref="Core.Governance.SchemaShape"/> as JSON (values only as keyed hashes).</summary>
    public string Json { get; set; } = "{}";
}

/// <summary>A problem with a system (drift, error spike, volume, credentials, sync age, quarantine),
/// addressed to both owners. Open while <see cref="ResolvedAt"/> is null; one open row per
/// (system, key).</summary>
public sealed class SystemFindingRow
{
    public long Id { get; set; }
    public string System { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Key { get; set; } = "";
    public string Severity { get; set; } = "warning";
    public string Detail { get; set; } = "";
    /// <summary>Who must look: the system's owner side first, then the other side (charter ids).</summary>
    public string Owners { get; set; } = "";
    public DateTimeOffset RaisedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
}

/// <summary>A system's monitored state: quarantine (writes stopped until an owner releases it) and
/// the size of its last full export (for the volume rule).</summary>
public sealed class SystemStateRow
{
    public string System { get; set; } = "";
    /// <summary>ok, quarantined or released.</summary>
    public string Status { get; set; } = "ok";
    public string? Reason { get; set; }
    public DateTimeOffset? QuarantinedAt { get; set; }
    public string? ReleasedBy { get; set; }
    public DateTimeOffset? ReleasedAt { get; set; }
    public int? LastFullRows { get; set; }
    public long? LastFullSyncId { get; set; }
}

/// <summary>Table mapping of the drift monitor (kept here so the context gains one line).</summary>
internal static class DriftModel
{
    public static void Configure(ModelBuilder b)
    {
        b.Entity<SchemaSnapshotRow>(e =>
        {
            e.ToTable("schema_snapshots");
            e.Property(s => s.System).HasMaxLength(100);
            e.Property(s => s.Hash).HasMaxLength(64);
            e.HasIndex(s => new { s.System, s.TakenAt });
        });
        b.Entity<SystemFindingRow>(e =>
        {
            e.ToTable("system_findings");
            e.Property(f => f.System).HasMaxLength(100);
            e.Property(f => f.Kind).HasMaxLength(32);
            e.Property(f => f.Key).HasMaxLength(400);
            e.Property(f => f.Severity).HasMaxLength(16);
            e.HasIndex(f => new { f.System, f.Key, f.ResolvedAt });
            e.HasIndex(f => f.ResolvedAt);
        });
        b.Entity<SystemStateRow>(e =>
        {
            e.ToTable("system_states");
            e.HasKey(s => s.System);
            e.Property(s => s.System).HasMaxLength(100);
            e.Property(s => s.Status).HasMaxLength(16);
        });
    }
}
