using System.Globalization;
using Handoff.Core.Dictionary;

namespace Handoff.Core.People;

/// <summary>The state a person is in on a given day, and the next day it may change by itself
/// (a start or termination date arriving), so a daily tick only looks at people who are due.</summary>
public sealed record LifecycleAssessment(LifecycleState State, DateOnly? ReviewOn);

/// <summary>
/// Derives the lifecycle state from canonical fields: terminated when the termination date has
/// passed (and no later start date exists: that is a rehire); on leave / active once the start date
/// has arrived and the HRIS knows the worker; pre_hire while the start date is ahead (or the offer is
/// accepted but the HRIS has not hired yet); candidate before that. Purged is sticky.
/// </summary>
public static class LifecyclePolicy
{
    public static LifecycleAssessment Assess(
        LifecycleRules rules,
        IReadOnlyDictionary<string, string?> values,
        DateOnly today,
        LifecycleState? previous,
        string hiredKeyField = "employee_id")
    {
        if (previous == LifecycleState.Purged)
            return new(LifecycleState.Purged, null);

        var start = Date(values, rules.StartDate);
        var end = Date(values, rules.TerminationDate);
        var hired = values.TryGetValue(hiredKeyField, out var id) && !string.IsNullOrEmpty(id);
        var offer = rules.OfferStatus is null ? null : Get(values, rules.OfferStatus);
        var onLeave = rules.LeaveFlag is not null && Get(values, rules.LeaveFlag) == "true";

        // A termination date counts unless a later start date says the person was rehired.
        var terminationApplies = end is not null && (start is null || start <= end);
        if (terminationApplies && end <= today)
            return new(LifecycleState.Terminated, null);

        DateOnly? review = null;
        if (terminationApplies)
            review = end!.Value.AddDays(1);

        if (start is null)
            return new(LifecycleState.Candidate, review);

        var acceptedOrHired = hired || (offer is not null && rules.AcceptedOfferValues.Contains(offer));
        if (!acceptedOrHired)
            return new(LifecycleState.Candidate, review);

        if (start > today || !hired)
            return new(LifecycleState.PreHire, start > today ? Min(start, review) : review);

        return new(onLeave ? LifecycleState.OnLeave : LifecycleState.Active, review);
    }

    private static DateOnly? Min(DateOnly? a, DateOnly? b) => a is null ? b : b is null ? a : (a < b ? a : b);

    private static string? Get(IReadOnlyDictionary<string, string?> values, string field) =>
        values.TryGetValue(field, out var v) ? v : null;

    private static DateOnly? Date(IReadOnlyDictionary<string, string?> values, string field) =>
        Get(values, field) is { } text && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : null;
}

public static class PersonClock
{
    /// <summary>"Today" for a person: the date in their time zone (IANA id in the time-zone field),
    /// UTC when they have none or an unknown one.</summary>
    public static DateOnly Today(LifecycleRules rules, IReadOnlyDictionary<string, string?> values, DateTimeOffset now)
    {
        if (rules.TimeZone is not null && values.TryGetValue(rules.TimeZone, out var tz) && tz is not null
            && TimeZoneInfo.TryFindSystemTimeZoneById(tz, out var zone))
            return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        return DateOnly.FromDateTime(now.UtcDateTime);
    }
}
