using Handoff.Core.Workspace;

namespace Handoff.Core.Dictionary;

public enum FieldType { String, Date, DateTime, Email, Enum, Number, Bool, Reference }

public enum Classification { Public, Internal, Personal, Sensitive }

public enum ConflictRuleKind { SystemOfRecord, Priority, MostRecent, Manual }

/// <summary>How a value is written to a target (midPoint's strength): enforce repairs drift,
/// on_create writes only when the account is created, if_empty never overwrites.</summary>
public enum WriteStrength { Enforce, OnCreate, IfEmpty }

/// <summary>The versioned part of the workspace: fields, correlation rules and lifecycle rules.
/// A version takes effect only after one HR and one IT approver signed it.</summary>
public sealed record DictionaryDefinition(
    IReadOnlyList<FieldDefinition> Fields,
    IReadOnlyList<CorrelationRule> Correlation,
    LifecycleRules Lifecycle)
{
    public FieldDefinition? FindField(string name) => Fields.FirstOrDefault(f => f.Name == name);

    public static DictionaryDefinition Empty { get; } = new([], [], LifecycleRules.Default);
}

/// <summary>One canonical data point and what each system calls it.</summary>
public sealed record FieldDefinition(
    string Name,
    string Label,
    FieldType Type,
    Classification Classification,
    bool Required,
    IReadOnlyList<string> Values,
    string? SystemOfRecord,
    IReadOnlyList<string> Writers,
    ConflictRule Conflict,
    IReadOnlyList<FieldBinding> Bindings)
{
    public SourceSpan? At { get; init; }

    public FieldBinding? BindingFor(string system) => Bindings.FirstOrDefault(b => b.System == system);

    /// <summary>A system may write a field when it is the system of record or an authorized writer.</summary>
    public bool IsWriter(string system) => SystemOfRecord == system || Writers.Contains(system);
}

/// <summary>What to do when sources disagree. <see cref="Priority"/> is used by the priority rule
/// and, for system_of_record, as the fallback order while the system of record has no value yet.</summary>
public sealed record ConflictRule(ConflictRuleKind Kind, IReadOnlyList<string> Priority)
{
    public static ConflictRule SystemOfRecordRule { get; } = new(ConflictRuleKind.SystemOfRecord, []);
}

/// <summary>A field's native name in one system and how its values convert.
/// <see cref="Format"/>: a date pattern (MM/dd/yyyy); <see cref="Converter"/>: iso, filetime,
/// generalized_time, unix_seconds; <see cref="Map"/>: native value → canonical enum value.</summary>
public sealed record FieldBinding(
    string System,
    string Native,
    string? Format,
    string? Converter,
    IReadOnlyDictionary<string, string> Map,
    WriteStrength Strength)
{
    public SourceSpan? At { get; init; }
}

/// <summary>A correlation rule: records whose values for all <see cref="Fields"/> are equal belong
/// to the same person. Rules are tried in order; <see cref="SuggestOnly"/> rules never link by
/// themselves, they send the record to the review queue.</summary>
public sealed record CorrelationRule(IReadOnlyList<string> Fields, bool SuggestOnly)
{
    public SourceSpan? At { get; init; }

    public string Name => string.Join("+", Fields);
}

/// <summary>Which canonical fields drive the lifecycle state machine.</summary>
public sealed record LifecycleRules(
    string StartDate,
    string TerminationDate,
    string? OfferStatus,
    IReadOnlyList<string> AcceptedOfferValues,
    string? LeaveFlag,
    string? WorkerType,
    string? TimeZone)
{
    public static LifecycleRules Default { get; } =
        new("start_date", "termination_date", "offer_status", ["accepted"], "on_leave", "worker_type", "time_zone");
}
