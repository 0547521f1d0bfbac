using System.Globalization;

namespace Handoff.Core.Governance;

/// <summary>A calendar month (UTC), the unit of the standing HR–IT review. Written <c>2026-11</c>.</summary>
public readonly record struct ReviewMonth(int Year, int Month) : IComparable<ReviewMonth>
{
    public DateTimeOffset Start => new(Year, Month, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The first instant after the month: the review window is [Start, End).</summary>
    public DateTimeOffset End => Start.AddMonths(1);

    public ReviewMonth Previous => From(Start.AddMonths(-1));

    public ReviewMonth AddMonths(int months) => From(Start.AddMonths(months));

    public static ReviewMonth From(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new(utc.Year, utc.Month);
    }

    /// <summary>Reads <c>2026-11</c>; anything else is refused with the expected form.</summary>
    public static bool TryParse(string? text, out ReviewMonth month)
    {
        month = default;
        if (text is null || !DateTime.TryParseExact(text.Trim(), "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            return false;
        month = new(d.Year, d.Month);
        return true;
    }

    public static ReviewMonth Parse(string? text, string where) =>
        TryParse(text, out var m) ? m : throw new ArgumentException($"{where}: expected a month like 2026-11, found \"{text}\"");

    public int CompareTo(ReviewMonth other) => Start.CompareTo(other.Start);

    public override string ToString() => Year.ToString("0000", CultureInfo.InvariantCulture) + "-" + Month.ToString("00", CultureInfo.InvariantCulture);

    /// <summary>"November 2026", for headings.</summary>
    public string Title => Start.ToString("MMMM yyyy", CultureInfo.InvariantCulture);
}

/// <summary>One KPI as the stores know it for the month under review.</summary>
/// <param name="MonthValue">The KPI computed over the month itself (null: nothing to compute from).</param>
/// <param name="Checkpoints">The frozen 30/60/90-day actuals after go-live (null where not reached).</param>
/// <param name="Trend">The monthly values up to and including the month under review, oldest first.</param>
public sealed record KpiFact(KpiDefinition Kpi, decimal? Baseline, string BaselineSource, IReadOnlyDictionary<int, decimal?> Checkpoints,
    decimal? MonthValue, IReadOnlyList<(ReviewMonth Month, decimal? Value)> Trend);

/// <summary>A system finding (drift or health) as stored.</summary>
public sealed record FindingFact(long Id, string System, string Kind, string Severity, string Detail, DateTimeOffset RaisedAt,
    string? AcknowledgedBy, DateTimeOffset? AcknowledgedAt, DateTimeOffset? ResolvedAt);

/// <summary>An audit entry the security KPI counts as an incident (a blocked write, a refused permission).</summary>
public sealed record IncidentFact(DateTimeOffset At, string Action, string Actor, string ObjectType, string ObjectId);

/// <summary>An incident entered by a person (<c>handoff kpi observe security_incidents N</c>).</summary>
public sealed record RecordedIncidentFact(DateTimeOffset At, decimal Count, string? Note, string By);

/// <summary>A feedback report's clock and status, without its free-text note (which may describe a person).</summary>
public sealed record FeedbackFact(long Id, string Category, string Route, DateTimeOffset ReportedAt, DateTimeOffset DeadlineAt,
    DateTimeOffset? BreachedAt, int EscalationLevel, string Status, DateTimeOffset? ResolvedAt, bool? WithinSla);

/// <summary>A backlog candidate with its joint rank (null: only one side has scored it).</summary>
public sealed record BacklogFact(string Id, string Name, decimal? Rank, int? HrSum, int? ItSum, IReadOnlyList<string> Warnings);

/// <summary>Everything the stores hand the builder; the builder reads nothing else.</summary>
public sealed record MonthlyReviewInput(string Workspace, ReviewMonth Month, DateTimeOffset GeneratedAt, string GeneratedBy,
    IReadOnlyList<KpiFact> Kpis, IReadOnlyList<FindingFact> Findings, IReadOnlyList<IncidentFact> Incidents,
    IReadOnlyList<RecordedIncidentFact> RecordedIncidents, IReadOnlyList<FeedbackFact> Feedback, IReadOnlyList<BacklogFact> Backlog);

/// <summary>A KPI line of the review: the month's figure judged against the target.</summary>
public sealed record KpiReviewLine(KpiFact Fact, KpiStatus Status, decimal? ChangeVsBaseline)
{
    public string Format(decimal? value) => Kpis.Format(Fact.Kpi, value);
}

/// <summary>What happened to a finding in the month, and its state when the month ended.</summary>
public sealed record FindingReviewLine(FindingFact Finding, bool RaisedInMonth, bool AcknowledgedInMonth, bool ResolvedInMonth, bool OpenAtEnd, string StateAtEnd);

/// <summary>The counts the month's findings section opens with.</summary>
public sealed record FindingSummary(int Raised, int Acknowledged, int Resolved, int OpenAtEnd, int CriticalOpenAtEnd, int Drift);

/// <summary>The security KPI's inputs for the month.</summary>
public sealed record IncidentSummary(int BlockedWrites, int PermissionRefusals, int OtherFlagged, decimal Recorded)
{
    public decimal Total => BlockedWrites + PermissionRefusals + OtherFlagged + Recorded;
}

/// <summary>A feedback report seen from the month.</summary>
public sealed record FeedbackReviewLine(FeedbackFact Report, bool OpenedInMonth, bool ClosedInMonth, bool BreachedInMonth, bool OpenAtEnd);

/// <summary>The counts of the feedback section.</summary>
public sealed record FeedbackSummary(int Opened, int Closed, int Breached, int Escalated, int OpenAtEnd, int ClosedWithinSla);

/// <summary>The built review: what the HTML page and the PDF show, in the same order.</summary>
public sealed record MonthlyReview(
    string Workspace, ReviewMonth Month, DateTimeOffset GeneratedAt, string GeneratedBy,
    IReadOnlyList<KpiReviewLine> Kpis,
    FindingSummary FindingCounts, IReadOnlyList<FindingReviewLine> Findings,
    IncidentSummary IncidentCounts, IReadOnlyList<IncidentFact> Incidents, IReadOnlyList<RecordedIncidentFact> RecordedIncidents,
    FeedbackSummary FeedbackCounts, IReadOnlyList<FeedbackReviewLine> Feedback,
    IReadOnlyList<BacklogFact> Backlog);

/// <summary>
/// Builds the monthly review from facts the stores gathered (pure: no database, no clock), so that what
/// counts as "opened in the month" or "breached" is decided in one place and tested without a server.
/// The window is [month start, next month start) in UTC; an event exactly at the next month's start
/// belongs to the next review.
/// </summary>
public static class MonthlyReviewBuilder
{
    public static MonthlyReview Build(MonthlyReviewInput input)
    {
        var (from, to) = (input.Month.Start, input.Month.End);
        bool In(DateTimeOffset? at) => at is { } a && a >= from && a < to;

        var kpis = input.Kpis.Select(k =>
        {
            // The month's figure is judged; a relative target needs the baseline, like on /Kpis.
            var status = Kpis.Evaluate(k.Kpi.Target, k.MonthValue, k.Baseline);
            return new KpiReviewLine(k, status, Kpis.Change(k.MonthValue, k.Baseline));
        }).ToList();

        // A finding belongs to the month when it was open at some moment of it.
        var findings = input.Findings
            .Where(f => f.RaisedAt < to && (f.ResolvedAt is null || f.ResolvedAt >= from))
            .Select(f => new FindingReviewLine(f, In(f.RaisedAt), In(f.AcknowledgedAt), In(f.ResolvedAt), f.ResolvedAt is null || f.ResolvedAt >= to,
                // As it stood at the month's end: an acknowledgement made later is not yet known then.
                f.ResolvedAt < to ? "resolved" : f.AcknowledgedAt < to ? "acknowledged" : "open"))
            .OrderByDescending(f => f.OpenAtEnd).ThenBy(f => SeverityOrder(f.Finding.Severity)).ThenBy(f => f.Finding.RaisedAt).ThenBy(f => f.Finding.Id)
            .ToList();
        var findingCounts = new FindingSummary(
            findings.Count(f => f.RaisedInMonth), findings.Count(f => f.AcknowledgedInMonth), findings.Count(f => f.ResolvedInMonth),
            findings.Count(f => f.OpenAtEnd), findings.Count(f => f.OpenAtEnd && f.Finding.Severity == "critical"),
            findings.Count(f => f.Finding.Kind == "drift"));

        var incidents = input.Incidents.Where(i => In(i.At)).OrderBy(i => i.At).ToList();
        var recorded = input.RecordedIncidents.Where(r => In(r.At)).OrderBy(r => r.At).ToList();
        var blocked = incidents.Count(i => i.Action == "workflow.write_blocked");
        var refusals = incidents.Count(i => i.Action.EndsWith(".denied", StringComparison.Ordinal) || i.Action.EndsWith(".refused", StringComparison.Ordinal));
        var incidentCounts = new IncidentSummary(blocked, refusals, incidents.Count - blocked - refusals, recorded.Sum(r => r.Count));

        var feedback = input.Feedback
            .Where(r => r.ReportedAt < to && (r.ResolvedAt is null || r.ResolvedAt >= from))
            .Select(r => new FeedbackReviewLine(r, In(r.ReportedAt), In(r.ResolvedAt), In(r.BreachedAt), r.ResolvedAt is null || r.ResolvedAt >= to))
            .OrderBy(r => r.Report.ReportedAt).ThenBy(r => r.Report.Id)
            .ToList();
        var feedbackCounts = new FeedbackSummary(
            feedback.Count(f => f.OpenedInMonth), feedback.Count(f => f.ClosedInMonth), feedback.Count(f => f.BreachedInMonth),
            feedback.Count(f => f.Report.EscalationLevel > 0 && (f.OpenedInMonth || f.BreachedInMonth)), feedback.Count(f => f.OpenAtEnd),
            feedback.Count(f => f.ClosedInMonth && f.Report.WithinSla == true));

        // Ranked first, best first; a candidate scored by one side only has no rank and comes after.
        var backlog = input.Backlog.OrderBy(b => b.Rank is null).ThenByDescending(b => b.Rank).ThenBy(b => b.Id, StringComparer.Ordinal).ToList();

        return new MonthlyReview(input.Workspace, input.Month, input.GeneratedAt, input.GeneratedBy, kpis, findingCounts, findings,
            incidentCounts, incidents, recorded, feedbackCounts, feedback, backlog);
    }

    private static int SeverityOrder(string severity) => severity switch { "critical" => 0, "warning" => 1, _ => 2 };
}
