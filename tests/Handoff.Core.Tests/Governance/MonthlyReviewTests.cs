using System.Text;
using Handoff.Core.Governance;

namespace Handoff.Core.Tests.Governance;

public class MonthlyReviewTests
{
    private static readonly ReviewMonth October = new(2026, 10);

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private static KpiFact Kpi(string id, decimal? month, decimal? baseline = null, params decimal?[] earlier)
    {
        var definition = Kpis.Find(id)!;
        var trend = earlier.Append(month).Select((v, i) => (October.AddMonths(i - earlier.Length), v)).ToList();
        return new KpiFact(definition, baseline, baseline is null ? "none" : "entered", new Dictionary<int, decimal?> { [30] = 0.02m, [60] = null, [90] = null }, month, trend);
    }

    private static MonthlyReviewInput Input(IReadOnlyList<FindingFact>? findings = null, IReadOnlyList<FeedbackFact>? feedback = null,
        IReadOnlyList<IncidentFact>? incidents = null, IReadOnlyList<BacklogFact>? backlog = null) => new(
        "acme", October, At("2026-11-01T06:00:00Z"), "schedule:2026-11-01T06:00Z",
        [Kpi(Kpis.HrHoursPerWeek, 3m, 8m, 7m, 5m), Kpi(Kpis.AutomationFailureRate, 0.005m, null, 0.02m), Kpi(Kpis.DayOneTickets, null, 10m)],
        findings ?? [], incidents ?? [], [new RecordedIncidentFact(At("2026-10-20T00:00:00Z"), 1m, "laptop lost", "tara"), new RecordedIncidentFact(At("2026-11-02T00:00:00Z"), 4m, null, "tara")],
        feedback ?? [], backlog ?? []);

    [Fact]
    public void Months_parse_strictly_and_know_their_window()
    {
        Assert.True(ReviewMonth.TryParse("2026-11", out var m));
        Assert.Equal(At("2026-11-01T00:00:00Z"), m.Start);
        Assert.Equal(At("2026-12-01T00:00:00Z"), m.End);
        Assert.Equal("2026-10", m.Previous.ToString());
        Assert.Equal("2027-01", new ReviewMonth(2026, 12).AddMonths(1).ToString());
        Assert.Equal("November 2026", m.Title);
        foreach (var bad in new[] { "2026-13", "11/2026", "2026-1", "", "2026-11-01" })
            Assert.False(ReviewMonth.TryParse(bad, out _), bad);
        var e = Assert.Throws<ArgumentException>(() => ReviewMonth.Parse("Nov", "--month"));
        Assert.Equal("--month: expected a month like 2026-11, found \"Nov\"", e.Message);
    }

    [Fact]
    public void Kpis_are_judged_on_the_month_against_target_and_baseline()
    {
        var review = MonthlyReviewBuilder.Build(Input());
        var hours = review.Kpis.Single(k => k.Fact.Kpi.Id == Kpis.HrHoursPerWeek);
        Assert.Equal(KpiStatus.Met, hours.Status);              // 3 ≤ 8 × 0.5
        Assert.Equal(-0.625m, hours.ChangeVsBaseline);
        Assert.Equal(KpiStatus.Met, review.Kpis.Single(k => k.Fact.Kpi.Id == Kpis.AutomationFailureRate).Status); // 0.5 % < 1 %
        Assert.Equal(KpiStatus.Pending, review.Kpis.Single(k => k.Fact.Kpi.Id == Kpis.DayOneTickets).Status);    // no figure this month
    }

    [Fact]
    public void Findings_are_counted_by_what_happened_in_the_month_and_their_state_at_its_end()
    {
        FindingFact F(long id, string raised, string? ack = null, string? resolved = null, string severity = "warning", string kind = "drift") =>
            new(id, "hris", kind, severity, "detail " + id, At(raised), ack is null ? null : "user:ivan", ack is null ? null : At(ack), resolved is null ? null : At(resolved));
        var review = MonthlyReviewBuilder.Build(Input(findings:
        [
            F(1, "2026-09-10T00:00:00Z", resolved: "2026-09-20T00:00:00Z"),                                     // closed before: not in the review
            F(2, "2026-09-28T00:00:00Z", "2026-10-02T00:00:00Z", "2026-10-02T00:00:00Z"),                       // acknowledged and closed in October
            F(3, "2026-10-05T00:00:00Z", severity: "critical", kind: "sync_age"),                               // raised, still open
            F(4, "2026-10-30T00:00:00Z", "2026-11-03T00:00:00Z", "2026-11-03T00:00:00Z"),                       // acknowledged only in November
            F(5, "2026-10-12T00:00:00Z", "2026-10-13T00:00:00Z", kind: "error_spike"),                          // seen, condition not cleared
            F(6, "2026-11-01T00:00:00Z"),                                                                       // the next month's
        ]));
        Assert.Equal([3, 5, 4, 2], review.Findings.Select(f => f.Finding.Id));   // open first, critical first, then by time
        Assert.Equal(["open", "acknowledged", "open", "resolved"], review.Findings.Select(f => f.StateAtEnd));
        Assert.Equal(new FindingSummary(Raised: 3, Acknowledged: 2, Resolved: 1, OpenAtEnd: 3, CriticalOpenAtEnd: 1, Drift: 2), review.FindingCounts);
    }

    [Fact]
    public void Feedback_incidents_and_backlog_are_summarised()
    {
        FeedbackFact R(long id, string reported, string? breached = null, string? resolved = null, bool? within = null, int level = 0) =>
            new(id, "wrong_value", "hr_operations", At(reported), At(reported).AddDays(2), breached is null ? null : At(breached), level,
                resolved is null ? "open" : "resolved", resolved is null ? null : At(resolved), within);
        var review = MonthlyReviewBuilder.Build(Input(
            feedback:
            [
                R(1, "2026-09-30T10:00:00Z", "2026-10-02T10:00:00Z", "2026-10-03T00:00:00Z", false, 1),   // breached and closed late in October
                R(2, "2026-10-10T10:00:00Z", resolved: "2026-10-11T10:00:00Z", within: true),
                R(3, "2026-10-29T10:00:00Z"),                                                            // open at the end
                R(4, "2026-09-01T10:00:00Z", resolved: "2026-09-02T10:00:00Z", within: true),             // not this month
            ],
            incidents:
            [
                new(At("2026-10-03T00:00:00Z"), "workflow.write_blocked", "workflow:onboard@v2/run:1", "person", "p1"),
                new(At("2026-10-04T00:00:00Z"), "api.refused", "api:x", "token", "t"),
                new(At("2026-10-05T00:00:00Z"), "dictionary.denied", "user:bob", "dictionary", "3"),
                new(At("2026-11-05T00:00:00Z"), "workflow.write_blocked", "workflow:onboard@v2/run:2", "person", "p2"),
            ],
            backlog:
            [
                new("laptop", "Laptop refresh", null, 15, null, []),
                new("badge", "Order a badge", 1.71m, 12, 7, ["reads start_date, written by pre-hire: live for fewer than 30 days"]),
                new("parking", "Parking permit", 2.0m, 6, 3, []),
            ]));
        // Report 1 breached in October and went to the first escalation step: escalated in the month.
        Assert.Equal(new FeedbackSummary(Opened: 2, Closed: 2, Breached: 1, Escalated: 1, OpenAtEnd: 1, ClosedWithinSla: 1), review.FeedbackCounts);
        Assert.Equal([1, 2, 3], review.Feedback.Select(f => f.Report.Id));
        Assert.Equal(new IncidentSummary(BlockedWrites: 1, PermissionRefusals: 2, OtherFlagged: 0, Recorded: 1m), review.IncidentCounts);
        Assert.Equal(4m, review.IncidentCounts.Total);
        Assert.Equal(["parking", "badge", "laptop"], review.Backlog.Select(b => b.Id));
    }

    [Fact]
    public void The_html_is_one_self_contained_page_with_svg_charts_and_encoded_text()
    {
        var review = MonthlyReviewBuilder.Build(Input(findings:
            [new FindingFact(7, "hris", "drift", "critical", "column <script>alert(1)</script> was removed", At("2026-10-05T00:00:00Z"), null, null, null)]));
        var html = MonthlyReviewHtml.Render(review);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("column &lt;script&gt;alert(1)&lt;/script&gt; was removed", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);     // nothing loaded from elsewhere
        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
        Assert.Equal(3, CountOf(html, "<svg "));
        // HR hours 7 → 5 → 3 over three months (baseline 8): one line through three points, the axis topped at 10.
        var hoursChart = MonthlyReviewHtml.TrendSvg(review.Kpis[0]);
        Assert.Equal(3, CountOf(hoursChart, "<circle"));
        Assert.Equal(1, CountOf(hoursChart, "<polyline"));
        Assert.Contains(">10</text>", hoursChart, StringComparison.Ordinal);
        Assert.Contains("<title>2026-10: 3 hours/week</title>", hoursChart, StringComparison.Ordinal);
        Assert.Contains("no data yet", MonthlyReviewHtml.TrendSvg(review.Kpis[2]), StringComparison.Ordinal);
        foreach (var section in new[] { "id=\"kpis\"", "id=\"findings\"", "id=\"incidents\"", "id=\"feedback\"", "id=\"backlog\"" })
            Assert.Contains(section, html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"met\">met</td>", html, StringComparison.Ordinal);
        Assert.Contains("-62.5 %", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pdf_is_a_pdf_with_the_review_text()
    {
        var review = MonthlyReviewBuilder.Build(Input(backlog: [.. Enumerable.Range(1, 90).Select(i => new BacklogFact($"c{i}", $"Candidate {i}", i, 9, 9, []))]));
        var pdf = MonthlyReviewPdf.Render(review);
        var text = Encoding.Latin1.GetString(pdf);
        Assert.StartsWith("%PDF-", text, StringComparison.Ordinal);
        Assert.Contains("%%EOF", text[^32..], StringComparison.Ordinal);
        // 90 backlog rows do not fit on the first page: the writer moved on to more pages.
        using var read = PdfSharp.Pdf.IO.PdfReader.Open(new MemoryStream(pdf), PdfSharp.Pdf.IO.PdfDocumentOpenMode.Import);
        Assert.InRange(read.PageCount, 3, 10);
        Assert.Equal("Monthly review 2026-10 — acme", read.Info.Title);
        Assert.Equal("schedule:2026-11-01T06:00Z", read.Info.Author);
    }

    [Fact]
    public void Nice_axis_tops_are_round_numbers()
    {
        Assert.Equal(1, MonthlyReviewHtml.NiceCeiling(0.7));
        Assert.Equal(2, MonthlyReviewHtml.NiceCeiling(1.2));
        Assert.Equal(50, MonthlyReviewHtml.NiceCeiling(23));
        Assert.Equal(100, MonthlyReviewHtml.NiceCeiling(100));
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
            n++;
        return n;
    }
}
