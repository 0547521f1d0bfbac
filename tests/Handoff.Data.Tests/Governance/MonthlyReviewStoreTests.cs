using System.Security.Cryptography;
using Handoff.Core.Audit;
using Handoff.Core.Governance;
using Handoff.Data.Governance;
using Handoff.Data.Systems;
using Handoff.Data.Tests.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Governance;

/// <summary>The monthly review archive and its schedule on the Acme workspace (clock 2026-11-27 09:00 UTC).</summary>
public sealed class MonthlyReviewStoreTests
{
    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private static (MonthlyReviewStore Reviews, BacklogStore Backlog) Stores(WorkflowSpine w)
    {
        var calculator = new KpiCalculator(w.Spine.Database, w.Spine.Audit);
        var kpis = new KpiStore(w.Spine.Database, w.Clock, w.Spine.Audit, calculator);
        var backlog = new BacklogStore(w.Spine.Database, w.Clock, w.Spine.Audit, w.Spine.Workspace, w.Workflows);
        return (new MonthlyReviewStore(w.Spine.Database, w.Clock, w.Spine.Audit, kpis, calculator, backlog, w.Spine.Workspace), backlog);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_month_is_generated_from_the_stores_and_archived_in_versions_never_overwritten(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        var (reviews, backlog) = Stores(w);
        await using (var db = w.Spine.Db())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            db.SystemFindings.AddRange(
                new SystemFindingRow
                {
                    System = "hris",
                    Kind = "drift",
                    Key = "drift:Employment_Begin_Date",
                    Severity = "critical",
                    Detail = "column Employment_Begin_Date was renamed to Start_Dt",
                    Owners = "hr:hr-ops, it:it-systems",
                    RaisedAt = At("2026-10-06T08:00:00Z"),
                    AcknowledgedBy = "user:ivan",
                    AcknowledgedAt = At("2026-10-07T08:00:00Z"),
                    ResolvedAt = At("2026-10-07T08:00:00Z")
                },
                new SystemFindingRow
                {
                    System = "payroll",
                    Kind = "sync_age",
                    Key = "sync_age",
                    Severity = "warning",
                    Detail = "no successful sync for 30h",
                    Owners = "hr:hr-ops, it:it-systems",
                    RaisedAt = At("2026-10-20T08:00:00Z")
                },
                new SystemFindingRow
                {
                    System = "ats",
                    Kind = "volume",
                    Key = "volume:1",
                    Severity = "warning",
                    Detail = "September only",
                    Owners = "hr:hr-ops",
                    RaisedAt = At("2026-09-02T08:00:00Z"),
                    ResolvedAt = At("2026-09-03T08:00:00Z")
                });
            db.FeedbackReports.Add(new FeedbackReportRow
            {
                Category = "account_access",
                Route = "it",
                Sla = "8h",
                Channel = "web",
                Note = "Ada cannot sign in",
                ReportedBy = "user:hector",
                ReportedAt = At("2026-10-12T09:00:00Z"),
                RemindAt = At("2026-10-12T15:24:00Z"),
                DeadlineAt = At("2026-10-12T17:00:00Z"),
                BreachedAt = At("2026-10-12T17:00:00Z"),
                EscalationLevel = 1,
                EscalatedTo = "ivan",
                Status = FeedbackStatus.Resolved,
                ResolvedBy = "user:ivan",
                ResolvedAt = At("2026-10-13T09:00:00Z"),
                ElapsedSeconds = 86400,
                WithinSla = false
            });
            await w.Spine.Audit.AppendAsync(db, new AuditDraft("workflow:onboard@v1/run:x", "workflow.write_blocked", "person", "p-1", null, "directory", null, At("2026-10-15T10:00:00Z")));
            await w.Spine.Audit.AppendAsync(db, new AuditDraft("user:bob", "dictionary.refused", "dictionary", "4", null, null, null, At("2026-11-02T10:00:00Z")));
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
        await backlog.AddAsync("badge", "Order a badge", ["first_name"], null, "hector", default);
        await backlog.ScoreHrAsync("badge", BacklogRanking.Hr(4, 3, 5), "hector", default);
        await backlog.ScoreItAsync("badge", BacklogRanking.It(2, 3, 4), "ivan", default);

        var october = new ReviewMonth(2026, 10);
        var review = await reviews.BuildAsync(october, "user:alice", default);
        Assert.Equal(6, review.Kpis.Count);
        Assert.Equal(MonthlyReviewStore.TrendMonths, review.Kpis[0].Fact.Trend.Count);
        Assert.Equal("2026-10", review.Kpis[0].Fact.Trend[^1].Month.ToString());
        Assert.Equal(["payroll", "hris"], review.Findings.Select(f => f.Finding.System));      // September's finding is not October's
        Assert.Equal(new FindingSummary(2, 1, 1, 1, 0, 1), review.FindingCounts);
        Assert.Equal(new IncidentSummary(1, 0, 0, 0m), review.IncidentCounts);                    // November's refusal belongs to November
        Assert.Equal(new FeedbackSummary(1, 1, 1, 1, 0, 0), review.FeedbackCounts);
        Assert.Equal(1.71m, Assert.Single(review.Backlog).Rank);

        var first = await reviews.GenerateAsync(october, "user:alice", default);
        w.Clock.Now = w.Clock.Now.AddHours(2);
        var second = await reviews.GenerateAsync(october, "user:ivan", default);
        Assert.Equal((1, 2), (first.Version, second.Version));
        Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(second.Pdf, 0, 5), StringComparison.Ordinal);
        Assert.Contains("column Employment_Begin_Date was renamed to Start_Dt", second.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Ada cannot sign in", second.Html, StringComparison.Ordinal);       // a report's note may describe a person: never in the review
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(second.Pdf)), second.PdfSha256);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(second.Html))), second.HtmlSha256);

        // Both versions are kept as they were; the latest is the default.
        var stored1 = await reviews.GetAsync(october, 1, default);
        Assert.Equal(first.HtmlSha256, stored1!.HtmlSha256);
        Assert.Equal(first.Pdf, stored1.Pdf);
        Assert.Contains("by user:alice", stored1.Html, StringComparison.Ordinal);
        Assert.Equal(2, (await reviews.GetAsync(october, null, default))!.Version);
        Assert.Null(await reviews.GetAsync(october, 3, default));
        Assert.Null(await reviews.GetAsync(new ReviewMonth(2026, 9), null, default));
        Assert.Equal([2, 1], (await reviews.ListAsync(default)).Select(v => v.Version));

        await using (var db = w.Spine.Db())
        {
            var audited = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "review.generated").OrderBy(e => e.Sequence).ToListAsync();
            Assert.Equal(["2026-10/v1", "2026-10/v2"], audited.Select(e => e.ObjectId));
            Assert.Equal(["user:alice", "user:ivan"], audited.Select(e => e.Actor));
            Assert.Contains(second.PdfSha256, audited[1].FieldsJson, StringComparison.Ordinal);
        }
        Assert.True((await w.Spine.Audit.VerifyAsync(default)).Intact);

        var future = await Assert.ThrowsAsync<ArgumentException>(() => reviews.GenerateAsync(new ReviewMonth(2026, 12), "user:alice", default));
        Assert.StartsWith("month 2026-12: it has not started yet", future.Message, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_schedule_fires_once_per_occurrence_and_once_after_a_downtime(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        var (reviews, _) = Stores(w);
        var since = w.Clock.Now;                                         // the worker started on 2026-11-27 09:00

        Assert.Null(await reviews.GenerateDueAsync(since, default));     // nothing due before 1 December 06:00
        w.Clock.Now = At("2026-12-01T05:59:00Z");
        Assert.Null(await reviews.GenerateDueAsync(since, default));

        w.Clock.Now = At("2026-12-01T06:00:30Z");
        var november = await reviews.GenerateDueAsync(since, default);
        Assert.Equal(("2026-11", 1, "schedule:2026-12-01T06:00Z"), (november!.Month, november.Version, november.GeneratedBy));
        w.Clock.Now = At("2026-12-01T06:01:30Z");
        Assert.Null(await reviews.GenerateDueAsync(since, default));     // the next poll, or another node: not twice

        // Down from 2 December to 2 March: three occurrences missed, one review (the latest month) at start-up.
        w.Clock.Now = At("2027-03-02T10:00:00Z");
        var february = await reviews.GenerateDueAsync(since, default);
        Assert.Equal(("2027-02", "schedule:2027-03-01T06:00Z"), (february!.Month, february.GeneratedBy));
        Assert.Null(await reviews.GenerateDueAsync(since, default));
        Assert.Equal(["2027-02", "2026-11"], (await reviews.ListAsync(default)).Select(v => v.Month));

        // A custom schedule: 07:00 on the 2nd.
        await reviews.SetScheduleAsync("0 7 2 * *", "alice", default);
        Assert.Equal("0 7 2 * *", await reviews.ScheduleAsync(default));
        w.Clock.Now = At("2027-04-01T06:30:00Z");
        Assert.Null(await reviews.GenerateDueAsync(since, default));
        w.Clock.Now = At("2027-04-02T07:00:00Z");
        Assert.Equal("2027-03", (await reviews.GenerateDueAsync(since, default))!.Month);

        var bad = await Assert.ThrowsAsync<ArgumentException>(() => reviews.SetScheduleAsync("first of the month", "alice", default));
        Assert.StartsWith("review schedule \"first of the month\":", bad.Message, StringComparison.Ordinal);
        await using var db = w.Spine.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(e => e.Action == "review.schedule_changed"));
        Assert.Equal(3, await db.AuditEntries.CountAsync(e => e.Action == "review.generated" && e.Actor.StartsWith("schedule:")));
    }
}
