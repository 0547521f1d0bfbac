using Handoff.Core.Workspace;

namespace Handoff.Core.Dictionary;

public enum FieldType { String, Date, DateTime, Email, Enum, Number, Bool, Reference }

public enum Classification { Public, Internal, Personal, Sensitive }

public enum ConflictRuleKind { SystemOfRecord, Priority, MostRecent, Manual }

/// <summary>How a value is written to a target (midPoint's strength): enforce repairs drift,
/// on_create writes only when the account is created, if_empty never overwrites.</summary>
public enum WriteStrength { Enforce, OnCreate, IfEmpty }

/// <summary>The versioned part of the workspace: fields, correlation rules, lifecycle rules and
/// retention policies.
/// A version takes effect only after one HR and one IT approver signed it.</summary>
public sealed record DictionaryDefinition(
    IReadOnlyList<FieldDefinition> Fields,
    IReadOnlyList<CorrelationRule> Correlation,
    LifecycleRules Lifecycle)
{
    public FieldDefinition? FindField(string name) => Fields.FirstOrDefault(f => f.Name == name);

    /// <summary>Retention policies for terminated workers' data.</summary>
    public IReadOnlyList<RetentionPolicy> Retention { get; init; } = [];

    /// <summary>The policy that decides a field's fate for a person in <paramref name="country"/>, or null
    /// when none covers it (then the field is kept).</summary>
    public RetentionPolicy? RetentionFor(FieldDefinition field, string? country)
    {
        // The most specific policy decides: one naming the field beats one naming its classification,
        // one for the person's jurisdiction beats one for everyone; between equals the longest wins.
        return Retention.Where(p => p.AppliesTo(country) && p.Covers(field))
            .OrderByDescending(p => (p.Fields.Contains(field.Name) ? 2 : 0) + (p.Countries.Count > 0 ? 1 : 0))
            .ThenByDescending(p => p.After.After(DateOnly.MinValue))
            .FirstOrDefault();
    }

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

    /// <summary>Whether an empty value from <paramref name="system"/> is a statement ("no value")
    /// rather than silence: only where the dictionary lets that system clear the field.</summary>
    public bool EmptyClears(string system) => IsWriter(system) && BindingFor(system)?.EmptyClears == true;
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

    /// <summary><c>empty: clears</c>: an empty value in a column this system's delivery carries is
    /// the statement "no value" and clears what this system said before (under system_of_record it
    /// also empties the field). Default (<c>empty: ignored</c>): an empty value says nothing, like a
    /// column the delivery does not carry, so a blank export column never wipes a value.</summary>
    public bool EmptyClears { get; init; }
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

public enum RetentionAction { Pseudonymize, Delete }

/// <summary>A span of time written in the dictionary (<c>6 months</c>, <c>7 years</c>, <c>90 days</c>).</summary>
public sealed record RetentionPeriod(int Count, RetentionUnit Unit)
{
    public DateOnly After(DateOnly start) => Unit switch
    {
        RetentionUnit.Days => start.AddDays(Count),
        RetentionUnit.Months => start.AddMonths(Count),
        _ => start.AddYears(Count),
    };

    public override string ToString() => $"{Count} {Unit.ToString().ToLowerInvariant()}";

    public static bool TryParse(string text, out RetentionPeriod? period)
    {
        period = null;
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0)
            return false;
        RetentionUnit? unit = parts[1].ToLowerInvariant() switch
        {
            "day" or "days" => RetentionUnit.Days,
            "month" or "months" => RetentionUnit.Months,
            "year" or "years" => RetentionUnit.Years,
            _ => null,
        };
        if (unit is null)
            return false;
        period = new RetentionPeriod(n, unit.Value);
        return true;
    }
}

public enum RetentionUnit { Days, Months, Years }

/// <summary>
/// How long a terminated worker's data is kept, per jurisdiction (the person's country) and per
/// classification or named fields. The clock starts at the termination date. For each field the most
/// specific policy decides (see <see cref="DictionaryDefinition.RetentionFor"/>): a legal obligation to
/// keep named payroll fields beats a general rule to forget personal data, and a jurisdiction's own
/// limit beats the global default.
/// </summary>
public sealed record RetentionPolicy(
    string Name,
    IReadOnlyList<string> Countries,
    IReadOnlyList<Classification> Classifications,
    IReadOnlyList<string> Fields,
    RetentionPeriod After,
    RetentionAction Action)
{
    public SourceSpan? At { get; init; }

    public bool AppliesTo(string? country) => Countries.Count == 0 || (country is not null && Countries.Contains(country, StringComparer.OrdinalIgnoreCase));

    public bool Covers(FieldDefinition field) => Fields.Contains(field.Name) || Classifications.Contains(field.Classification);
}
