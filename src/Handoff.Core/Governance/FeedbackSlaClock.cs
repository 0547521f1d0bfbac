using Handoff.Core.Workspace;

namespace Handoff.Core.Governance;

/// <summary>
/// The SLA clock of a feedback report. Hours and calendar days are wall-clock time. Business days
/// count only Monday to Friday in the charter's time zone: a report filed on Saturday starts its
/// clock on Monday at midnight, and "2 business days" from Thursday 15:00 ends on Monday 15:00.
/// Holidays are not known to Handoff; a team that needs them picks hours or calendar days.
/// </summary>
public sealed class FeedbackSlaClock(TimeZoneInfo zone)
{
    public static FeedbackSlaClock For(FeedbackRules rules) => new(TimeZoneInfo.FindSystemTimeZoneById(rules.TimeZone));

    /// <summary>When a report filed at <paramref name="start"/> breaches its SLA.</summary>
    public DateTimeOffset Deadline(DateTimeOffset start, FeedbackSla sla) => After(start, sla, 1.0);

    /// <summary>When the owner is reminded: <paramref name="percent"/> of the SLA has run.</summary>
    public DateTimeOffset ReminderAt(DateTimeOffset start, FeedbackSla sla, int percent) => After(start, sla, percent / 100.0);

    /// <summary>Time within the SLA's own clock between two instants (business time for business days).</summary>
    public TimeSpan Elapsed(DateTimeOffset from, DateTimeOffset to, FeedbackSla sla)
    {
        if (to <= from)
            return TimeSpan.Zero;
        if (sla.Unit != SlaUnit.BusinessDays)
            return to - from;
        var total = TimeSpan.Zero;
        var t = Local(from);
        var end = Local(to);
        for (var guard = 0; t < end && guard < 100_000; guard++)
        {
            var next = t.Date.AddDays(1);
            var until = next < end ? next : end;
            if (IsBusinessDay(t))
                total += until - t;
            t = until;
        }
        return total;
    }

    private DateTimeOffset After(DateTimeOffset start, FeedbackSla sla, double share)
    {
        switch (sla.Unit)
        {
            case SlaUnit.Hours:
                return start + TimeSpan.FromHours(sla.Amount * share);
            case SlaUnit.Days:
                return start + TimeSpan.FromDays(sla.Amount * share);
        }
        var remaining = TimeSpan.FromDays(sla.Amount * share);
        var t = Local(start);
        // At most 9,999 business days: the loop is bounded by the SLA's own cap.
        for (var guard = 0; guard < 20_000; guard++)
        {
            if (!IsBusinessDay(t))
            {
                t = t.Date.AddDays(1);
                continue;
            }
            var endOfDay = t.Date.AddDays(1);
            if (remaining <= endOfDay - t)
                return Utc(t + remaining);
            remaining -= endOfDay - t;
            t = endOfDay;
        }
        throw new InvalidOperationException($"SLA {sla} is too long to count");
    }

    private static bool IsBusinessDay(DateTime local) => local.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

    private DateTime Local(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, zone).DateTime;

    private DateTimeOffset Utc(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        // A wall-clock time skipped by a daylight-saving jump moves forward by the gap.
        while (zone.IsInvalidTime(unspecified))
            unspecified = unspecified.AddMinutes(30);
        return new DateTimeOffset(unspecified, zone.GetUtcOffset(unspecified)).ToUniversalTime();
    }
}

/// <summary>Where a report goes and whom to involve when its SLA is breached.</summary>
public static class FeedbackRouting
{
    /// <summary>The category a report is filed under: the one asked for, or the charter's default.</summary>
    public static FeedbackCategory Category(FeedbackRules rules, string? category)
    {
        if (string.IsNullOrWhiteSpace(category))
            return rules.Find(rules.DefaultCategory) ?? rules.Categories[0];
        return rules.Find(category.Trim())
            ?? throw new FeedbackRoutingException($"unknown feedback category \"{category}\"; the charter's categories: {string.Join(", ", rules.Categories.Select(c => c.Id))}");
    }

    /// <summary>The escalation steps that apply to a report routed to <paramref name="route"/>, in order.</summary>
    public static IReadOnlyList<EscalationStep> Path(Charter charter, FeedbackRoute route)
    {
        var side = route == FeedbackRoute.HrOperations ? SystemOwner.Hr : SystemOwner.It;
        return charter.Escalation.Where(s => s.Side is null || s.Side == side).ToList();
    }

    /// <summary>How many steps of <paramref name="path"/> are due once the deadline has passed:
    /// step N is due at deadline + its <c>after</c>. 0 before the deadline.</summary>
    public static int DueSteps(IReadOnlyList<EscalationStep> path, DateTimeOffset deadline, DateTimeOffset now) =>
        now < deadline ? 0 : path.Count(s => deadline + s.After <= now);

    public static string Name(FeedbackRoute route) => route == FeedbackRoute.HrOperations ? "hr_operations" : "it";
}

public sealed class FeedbackRoutingException(string message) : Exception(message);
