using System.Globalization;

namespace Handoff.Core.Governance;

/// <summary>Which way is better: a KPI that should fall (hours, errors) or rise (audit completeness).</summary>
public enum KpiDirection { Lower, Higher }

/// <summary>
/// How a target is stated. Relative targets ("−50 % against the baseline") only mean something once a
/// baseline exists; absolute ones ("below 1 %", "exactly 0") are judged on the value alone.
/// </summary>
public enum KpiTargetKind
{
    /// <summary>Value ≤ baseline × (1 + Value), Value negative (−0.5 is "halve it").</summary>
    RelativeChange,
    /// <summary>Value &lt; the target.</summary>
    Below,
    /// <summary>Value ≤ the target (a rate "→ 0", incidents "= 0").</summary>
    AtMost,
    /// <summary>Value ≥ the target (audit completeness 100 %).</summary>
    AtLeast,
}

/// <summary>A KPI target: its kind and number.</summary>
public sealed record KpiTarget(KpiTargetKind Kind, decimal Value)
{
    public override string ToString() => Kind switch
    {
        KpiTargetKind.RelativeChange => (Value * 100m).ToString("+0.##;-0.##", CultureInfo.InvariantCulture) + " % vs baseline",
        KpiTargetKind.Below => "< " + Value.ToString(CultureInfo.InvariantCulture),
        KpiTargetKind.AtMost => "≤ " + Value.ToString(CultureInfo.InvariantCulture),
        _ => "≥ " + Value.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>One KPI: a built-in one computed from the database, or a custom one fed by manual observations.</summary>
public sealed record KpiDefinition(string Id, string Name, string Unit, KpiDirection Direction, KpiTarget Target, bool Custom = false);

/// <summary>Whether a figure meets its target; pending when there is no figure yet (or no baseline for a relative target).</summary>
public enum KpiStatus { Pending, Met, NotMet }

/// <summary>The checkpoints after a workflow's go-live at which a KPI figure is frozen.</summary>
public static class KpiCheckpoints
{
    public static readonly int[] Days = [30, 60, 90];
}

/// <summary>
/// The six KPIs of issue #7 (DESIGN §2, governance objects). Rates are stored as fractions (0.01 = 1 %),
/// so arithmetic never has to guess whether a number was already multiplied by 100.
/// </summary>
public static class Kpis
{
    public const string HrHoursPerWeek = "hr_hours_per_week";
    public const string DataErrorRate = "data_error_rate";
    public const string DayOneTickets = "day_one_tickets";
    public const string AutomationFailureRate = "automation_failure_rate";
    public const string SecurityIncidents = "security_incidents";
    public const string AuditCompleteness = "audit_completeness";

    public static IReadOnlyList<KpiDefinition> BuiltIn { get; } =
    [
        new(HrHoursPerWeek, "HR hours per week", "hours/week", KpiDirection.Lower, new(KpiTargetKind.RelativeChange, -0.50m)),
        new(DataErrorRate, "Data error rate", "ratio", KpiDirection.Lower, new(KpiTargetKind.AtMost, 0m)),
        new(DayOneTickets, "Day-one tickets", "tickets", KpiDirection.Lower, new(KpiTargetKind.RelativeChange, -0.70m)),
        new(AutomationFailureRate, "Automation failure rate", "ratio", KpiDirection.Lower, new(KpiTargetKind.Below, 0.01m)),
        new(SecurityIncidents, "Security incidents", "incidents", KpiDirection.Lower, new(KpiTargetKind.AtMost, 0m)),
        new(AuditCompleteness, "Audit completeness", "ratio", KpiDirection.Higher, new(KpiTargetKind.AtLeast, 1m)),
    ];

    public static KpiDefinition? Find(string id) => BuiltIn.FirstOrDefault(k => k.Id == id);

    /// <summary>A KPI id: lower-case letters, digits and underscores, 2–60 characters (used in URLs and the CLI).</summary>
    public static bool IsValidId(string id) =>
        id.Length is >= 2 and <= 60 && char.IsAsciiLetterLower(id[0]) && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    /// <summary>Judges a value against the target. A relative target needs a baseline above 0; without one it is pending.</summary>
    public static KpiStatus Evaluate(KpiTarget target, decimal? value, decimal? baseline)
    {
        if (value is not { } v)
            return KpiStatus.Pending;
        bool met;
        switch (target.Kind)
        {
            case KpiTargetKind.RelativeChange:
                if (baseline is not { } b || b <= 0m)
                    return KpiStatus.Pending;
                met = target.Value <= 0m ? v <= b * (1m + target.Value) : v >= b * (1m + target.Value);
                break;
            case KpiTargetKind.Below: met = v < target.Value; break;
            case KpiTargetKind.AtMost: met = v <= target.Value; break;
            default: met = v >= target.Value; break;
        }
        return met ? KpiStatus.Met : KpiStatus.NotMet;
    }

    /// <summary>The change against the baseline as a fraction (−0.5 = halved); null without a baseline above 0.</summary>
    public static decimal? Change(decimal? value, decimal? baseline) =>
        value is { } v && baseline is { } b && b > 0m ? (v - b) / b : null;

    /// <summary>numerator ÷ denominator, or null when nothing was attempted (no runs is not a 0 % failure rate).</summary>
    public static decimal? Rate(long numerator, long denominator)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numerator);
        ArgumentOutOfRangeException.ThrowIfNegative(denominator);
        return denominator == 0 ? null : (decimal)numerator / denominator;
    }

    /// <summary>Human minutes spent in a window turned into hours per week: minutes ÷ 60 ÷ (days ÷ 7).</summary>
    public static decimal HoursPerWeek(decimal minutes, DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
            throw new ArgumentException($"the window [{from:O}, {to:O}) is empty", nameof(to));
        var weeks = (decimal)(to - from).TotalDays / 7m;
        return minutes / 60m / weeks;
    }

    /// <summary>The "HR hours per week" baseline from the process audit: manual hours a month × 12 ÷ 52, summed over the maps.</summary>
    public static decimal BaselineHoursPerWeek(IEnumerable<ProcessCost> costs) =>
        costs.Sum(c => c.Steps.Sum(s => s.ManualHoursPerMonth)) * 12m / 52m;

    /// <summary>Minutes one human intervention costs: the average hands-on minutes of the steps not (fully) automated,
    /// weighted by their monthly volume; 0 with no process maps (then no hours can be claimed).</summary>
    public static decimal MinutesPerIntervention(IEnumerable<ProcessMap> maps)
    {
        var steps = maps.SelectMany(m => m.Steps).Where(s => s.EffectiveAutomationShare < 1m && s.MonthlyVolume > 0m).ToList();
        var volume = steps.Sum(s => s.MonthlyVolume);
        return volume == 0m ? 0m : steps.Sum(s => s.MinutesPerExecution * s.MonthlyVolume) / volume;
    }

    /// <summary>Formats a KPI value for people: ratios as percentages, the rest with up to two decimals.</summary>
    public static string Format(KpiDefinition kpi, decimal? value) =>
        value is not { } v ? "—"
        : kpi.Unit == "ratio" ? (v * 100m).ToString("0.##", CultureInfo.InvariantCulture) + " %"
        : v.ToString("0.##", CultureInfo.InvariantCulture) + " " + kpi.Unit;
}
