namespace Handoff.Data.People;

/// <summary>The canonical person: resolved values with provenance (JSON), lifecycle state and the
/// next day the state may change by itself.</summary>
public sealed class PersonRow
{
    public Guid Id { get; set; }
    public string DisplayName { get; set; } = "";
    public string State { get; set; } = "candidate";
    /// <summary>field → <see cref="Handoff.Core.People.ResolvedValue"/>, as JSON.</summary>
    public string ValuesJson { get; set; } = "{}";
    public DateOnly? ReviewOn { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Optimistic concurrency: bumped on every change.</summary>
    public int Version { get; set; }
}

/// <summary>A correlation key a person holds (rule name → normalized value). Linking rules are
/// unique per value by the correlator's rules; suggest-only rules may be shared.</summary>
public sealed class PersonKeyRow
{
    public string Rule { get; set; } = "";
    public string Value { get; set; } = "";
    public Guid PersonId { get; set; }
}

/// <summary>A data-quality finding: sources disagree on a field (the rule decided, the difference
/// is kept for someone to fix at the source).</summary>
public sealed class FindingRow
{
    public long Id { get; set; }
    public Guid PersonId { get; set; }
    public string Field { get; set; } = "";
    public string Kind { get; set; } = "conflict";
    /// <summary>[{system, value, observed_at}] as JSON; sensitive values are not stored here.</summary>
    public string DetailJson { get; set; } = "[]";
    public string? ChosenSystem { get; set; }
    public string Status { get; set; } = "open";
    public DateTimeOffset FirstSeen { get; set; }
    public DateTimeOffset LastSeen { get; set; }
}

/// <summary>Something Handoff will not guess: a correlation collision, a possible match, a field
/// under the manual conflict rule. Holds the record until a person decides.</summary>
public sealed class ReviewItemRow
{
    public long Id { get; set; }
    public string Kind { get; set; } = "";
    public string System { get; set; } = "";
    public string NativeKey { get; set; } = "";
    public Guid? PersonId { get; set; }
    public string? Field { get; set; }
    public string CandidatesJson { get; set; } = "[]";
    /// <summary>The held record (canonical values, location, effective date) as JSON.</summary>
    public string RecordJson { get; set; } = "{}";
    public string Reason { get; set; } = "";
    public string Status { get; set; } = "open";
    public string? Resolution { get; set; }
    public string? ResolvedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
}
