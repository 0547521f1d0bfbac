using System.Globalization;
using System.Text.RegularExpressions;

namespace Handoff.Core.Workspace;

/// <summary>One side's named person for a charter role (sponsor, project lead): a charter member id.</summary>
public sealed record CharterPair(string Hr, string It);

/// <summary>
/// Who may change workflow logic and whose signatures a workflow version needs. Absent from the
/// charter, the rules are the ones Handoff always applied: anyone may propose, a logic-only version
/// needs one approver of either side, a version that widens permissions needs HR and IT.
/// </summary>
/// <param name="UpdateLogic">Sides whose members may propose a workflow version; empty = anyone.</param>
/// <param name="LogicOnly">Sides that must sign a logic-only version; empty = one approver of either side.</param>
/// <param name="WidensPermissions">Sides that must sign a version that widens what the workflow may read or write.</param>
public sealed record CharterChangeRules(
    IReadOnlyList<SystemOwner> UpdateLogic,
    IReadOnlyList<SystemOwner> LogicOnly,
    IReadOnlyList<SystemOwner> WidensPermissions)
{
    public static CharterChangeRules Default { get; } = new([], [], [SystemOwner.Hr, SystemOwner.It]);

    public bool IsDefault => UpdateLogic.Count == 0 && LogicOnly.Count == 0
        && WidensPermissions.Order().SequenceEqual(Default.WidensPermissions.Order());

    /// <summary>What a version still needs given the sides that signed it, or null when it is approved.</summary>
    public string? StillNeeded(bool widens, IReadOnlyCollection<SystemOwner> signed, IReadOnlyList<string> widensWhat)
    {
        var required = widens ? WidensPermissions : LogicOnly;
        if (required.Count == 0)
            return signed.Count > 0 ? null : "an HR approver (logic-only change)";
        var missing = required.Where(s => !signed.Contains(s)).ToList();
        var why = widens ? $" (it widens permissions: {string.Join("; ", widensWhat)})" : " (logic-only change)";
        return (missing.Contains(SystemOwner.Hr), missing.Contains(SystemOwner.It)) switch
        {
            (false, false) => null,
            (true, true) => "an HR and an IT approver" + why,
            (false, true) => "an IT approver" + why,
            _ => widens ? "an HR approver" : "an HR approver" + why,
        };
    }
}

/// <summary>A success metric agreed up front: a KPI id and its target (<c>-50%</c>, <c>&lt;1%</c>,
/// <c>0</c>, <c>100%</c>), reached by day 30, 60 or 90 after a workflow's go-live. The KPI engine
/// computes the actuals; the charter only records what was agreed.</summary>
public sealed record CharterMetric(string Kpi, string Target, int AtDays)
{
    public SourceSpan? At { get; init; }
}

/// <summary>One step of the escalation path: who takes over a breached item, how long after the
/// breach, and optionally only for reports routed to one side.</summary>
public sealed record EscalationStep(string To, TimeSpan After, SystemOwner? Side)
{
    public SourceSpan? At { get; init; }
}

/// <summary>Where a feedback report goes: HR operations or IT.</summary>
public enum FeedbackRoute { HrOperations, It }

public enum SlaUnit { Hours, Days, BusinessDays }

/// <summary>How long the owner has to resolve a report: <c>8h</c>, <c>3d</c> (calendar) or <c>2bd</c>
/// (business days, Monday to Friday in the charter's time zone).</summary>
public sealed partial record FeedbackSla(int Amount, SlaUnit Unit)
{
    [GeneratedRegex("^([1-9][0-9]{0,3})(h|d|bd)$")]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out FeedbackSla sla)
    {
        sla = new(0, SlaUnit.Hours);
        if (text is null || Pattern().Match(text) is not { Success: true } m)
            return false;
        var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        sla = new(n, m.Groups[2].Value switch { "h" => SlaUnit.Hours, "d" => SlaUnit.Days, _ => SlaUnit.BusinessDays });
        return true;
    }

    public override string ToString() => Amount.ToString(CultureInfo.InvariantCulture) + Unit switch
    {
        SlaUnit.Hours => "h",
        SlaUnit.Days => "d",
        _ => "bd",
    };

    /// <summary>In words, for pages and mails.</summary>
    public string Describe => Unit switch
    {
        SlaUnit.Hours => $"{Amount} hour(s)",
        SlaUnit.Days => $"{Amount} calendar day(s)",
        _ => $"{Amount} business day(s)",
    };
}

/// <summary>A kind of problem people report, where it is routed and how fast it must be resolved.</summary>
public sealed record FeedbackCategory(string Id, string Label, FeedbackRoute Route, FeedbackSla Sla)
{
    public SourceSpan? At { get; init; }
}

/// <summary>Feedback routing: categories with their owner side and SLA, when to remind, the
/// mailboxes of the two owner sides, and the secret that signs feedback webhooks.</summary>
public sealed record FeedbackRules(
    IReadOnlyList<FeedbackCategory> Categories,
    string DefaultCategory,
    int RemindAtPercent,
    string TimeZone,
    IReadOnlyDictionary<FeedbackRoute, string> Mailboxes,
    string? WebhookSecretEnv)
{
    /// <summary>The rules a workspace gets when its charter says nothing about feedback.</summary>
    public static FeedbackRules Default { get; } = new(
        [
            new("wrong_value", "A value of an HR field is wrong", FeedbackRoute.HrOperations, new(2, SlaUnit.BusinessDays)),
            new("account_access", "Account or access problem", FeedbackRoute.It, new(1, SlaUnit.BusinessDays)),
            new("automation", "A workflow run did something wrong", FeedbackRoute.It, new(2, SlaUnit.BusinessDays)),
            new("other", "Something else", FeedbackRoute.HrOperations, new(3, SlaUnit.BusinessDays)),
        ],
        "other", 80, "UTC", new Dictionary<FeedbackRoute, string>(), null);

    public FeedbackCategory? Find(string id) => Categories.FirstOrDefault(c => c.Id == id);

    public bool IsDefault => ReferenceEquals(this, Default);
}
