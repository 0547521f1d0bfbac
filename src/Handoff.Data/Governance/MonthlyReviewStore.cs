using System.Globalization;
using System.Security.Cryptography;
using Handoff.Core.Audit;
using Handoff.Core.Governance;
using Handoff.Core.Workflows;
using Handoff.Data.Audit;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Governance;

/// <summary>
/// One generated monthly review, kept for good: regenerating a month adds a version, it never replaces
/// one, so what the review meeting looked at on the 2nd can be shown again after a correction on the 5th.
/// The SHA-256 of each file is stored with it so a downloaded copy can be checked against the archive.
/// </summary>
public sealed class MonthlyReviewRow
{
    public long Id { get; set; }
    /// <summary><c>2026-11</c>.</summary>
    public string Month { get; set; } = "";
    /// <summary>1 for the first generation of a month, then 2, 3 …</summary>
    public int Version { get; set; }
    public DateTimeOffset GeneratedAt { get; set; }
    /// <summary><c>user:alice</c>, or <c>schedule:2026-12-01T06:00Z</c> for the scheduled run of that occurrence.</summary>
    public string GeneratedBy { get; set; } = "";
    public string Html { get; set; } = "";
    public string HtmlSha256 { get; set; } = "";
    public byte[] Pdf { get; set; } = [];
    public string PdfSha256 { get; set; } = "";
}

/// <summary>A stored version without its files, for lists.</summary>
public sealed record MonthlyReviewVersion(long Id, string Month, int Version, DateTimeOffset GeneratedAt, string GeneratedBy, string HtmlSha256, string PdfSha256, int PdfBytes);

/// <summary>
/// Gathers the facts for a month from the tables the other governance features keep (KPI snapshots and
/// the calculator, system findings, the audit log's incident entries, feedback reports, the backlog),
/// builds the review (<see cref="MonthlyReviewBuilder"/>), renders HTML and PDF and archives both with an
/// audit entry in one transaction. Also the monthly schedule (<see cref="GenerateDueAsync"/>).
/// </summary>
public sealed class MonthlyReviewStore(DatabaseOptions database, TimeProvider clock, AuditLog audit, KpiStore kpis, KpiCalculator calculator,
    BacklogStore backlog, WorkspaceStore workspaces)
{
    /// <summary>The workspace document holding the schedule's cron expression (five fields, UTC).</summary>
    public const string ScheduleDocument = "governance.review.schedule";

    /// <summary>06:00 UTC on the first day of each month: the previous month is complete and the meeting can prepare.</summary>
    public const string DefaultSchedule = "0 6 1 * *";

    /// <summary>Months of KPI trend shown up to the reviewed month.</summary>
    public const int TrendMonths = 6;

    public const string ScheduleActor = "schedule:";

    /// <summary>Builds the review of <paramref name="month"/> (without storing it).</summary>
    public async Task<MonthlyReview> BuildAsync(ReviewMonth month, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (month.Start > now)
            throw new ArgumentException($"month {month}: it has not started yet (today is {now:yyyy-MM-dd})", nameof(month));
        var (from, to) = (month.Start, month.End);

        var kpiFacts = new List<KpiFact>();
        var definitions = await kpis.DefinitionsAsync(ct);
        List<KpiSnapshotRow> snapshots;
        List<FindingFact> findings;
        List<IncidentFact> incidents;
        List<FeedbackFact> feedback;
        await using (var db = database.CreateContext())
        {
            snapshots = await db.KpiSnapshots.AsNoTracking().ToListAsync(ct);
            findings = (await db.SystemFindings.AsNoTracking().Where(f => f.RaisedAt < to && (f.ResolvedAt == null || f.ResolvedAt >= from)).ToListAsync(ct))
                .Select(f => new FindingFact(f.Id, f.System, f.Kind, f.Severity, f.Detail, f.RaisedAt, f.AcknowledgedBy, f.AcknowledgedAt, f.ResolvedAt)).ToList();
            var actions = await db.AuditEntries.AsNoTracking().Where(e => e.At >= from && e.At < to).Select(e => e.Action).Distinct().ToListAsync(ct);
            var flagged = actions.Where(KpiCalculator.IsSecurityIncident).ToList();
            incidents = flagged.Count == 0 ? [] : (await db.AuditEntries.AsNoTracking().Where(e => e.At >= from && e.At < to && flagged.Contains(e.Action))
                .OrderBy(e => e.Sequence).Take(500).ToListAsync(ct)).Select(e => new IncidentFact(e.At, e.Action, e.Actor, e.ObjectType, e.ObjectId)).ToList();
            feedback = (await db.FeedbackReports.AsNoTracking().Where(r => r.ReportedAt < to && (r.ResolvedAt == null || r.ResolvedAt >= from)).ToListAsync(ct))
                .Select(r => new FeedbackFact(r.Id, r.Category, r.Route, r.ReportedAt, r.DeadlineAt, r.BreachedAt, r.EscalationLevel, r.Status, r.ResolvedAt, r.WithinSla)).ToList();
        }
        var recorded = snapshots.Where(s => s.Kpi == Kpis.SecurityIncidents && s.Checkpoint == KpiSnapshotRow.Observation)
            .Select(s => new RecordedIncidentFact(s.At, s.Value, s.Note, s.ComputedBy)).ToList();

        // Each month of the trend is computed over the whole month; the reviewed month is complete when the schedule runs.
        var months = Enumerable.Range(0, TrendMonths).Select(i => month.AddMonths(i - TrendMonths + 1)).ToList();
        var computed = new Dictionary<ReviewMonth, IReadOnlyList<KpiValue>>();
        foreach (var m in months)
            computed[m] = await calculator.ComputeAsync(m.Start, m.End, null, ct);
        foreach (var kpi in definitions)
        {
            var (baseline, source) = await kpis.BaselineAsync(kpi.Id, ct);
            var checkpoints = KpiCheckpoints.Days.ToDictionary(d => d, d => snapshots
                .Where(s => s.Kpi == kpi.Id && s.Scope == KpiSnapshotRow.WorkspaceScope && s.Checkpoint == d.ToString(CultureInfo.InvariantCulture) && s.At < to)
                .Select(s => (decimal?)s.Value).FirstOrDefault());
            var trend = months.Select(m => (m, kpi.Custom
                ? snapshots.Where(s => s.Kpi == kpi.Id && s.Checkpoint == KpiSnapshotRow.Observation && s.At >= m.Start && s.At < m.End).OrderBy(s => s.At).Select(s => (decimal?)s.Value).LastOrDefault()
                : computed[m].First(v => v.Kpi == kpi.Id).Value)).ToList();
            kpiFacts.Add(new KpiFact(kpi, baseline, source, checkpoints, trend[^1].Item2, trend));
        }

        var backlogFacts = (await backlog.ListAsync(ct)).Select(b => new BacklogFact(b.Row.Id, b.Row.Name, b.Rank,
            b.Hr is { } hr ? hr.Value + hr.Volume + hr.Pain : null, b.It is { } it ? it.Effort + it.Risk + it.Availability : null, b.Warnings)).ToList();

        string workspace;
        try
        {
            var dir = (await workspaces.LoadActiveAsync(ct)).Directory;
            workspace = Path.GetFileName(dir.TrimEnd('/', '\\')) is { Length: > 0 } name ? name : dir;
        }
        catch (WorkspaceStateException)
        {
            workspace = "(no workspace applied)";
        }

        return MonthlyReviewBuilder.Build(new MonthlyReviewInput(workspace, month, now, actor, kpiFacts, findings, incidents, recorded, feedback, backlogFacts));
    }

    /// <summary>Generates and archives a new version of the month's review, audited as <c>review.generated</c>.</summary>
    /// <exception cref="ArgumentException">The month has not started.</exception>
    /// <exception cref="MonthlyReviewFontException">No font for the PDF on this machine.</exception>
    public async Task<MonthlyReviewRow> GenerateAsync(ReviewMonth month, string actor, CancellationToken ct)
    {
        // A bare name is a person (the CLI's --as); the web and the schedule pass user:… / schedule:….
        actor = actor.Contains(':', StringComparison.Ordinal) ? actor : $"user:{actor}";
        var review = await BuildAsync(month, actor, ct);
        var html = MonthlyReviewHtml.Render(review);
        var pdf = MonthlyReviewPdf.Render(review);
        var key = month.ToString();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The unique (month, version) index turns a concurrent second generation into a failed insert, never an overwrite.
        var version = (await db.MonthlyReviews.Where(r => r.Month == key).MaxAsync(r => (int?)r.Version, ct) ?? 0) + 1;
        var row = new MonthlyReviewRow
        {
            Month = key,
            Version = version,
            GeneratedAt = review.GeneratedAt,
            GeneratedBy = actor,
            Html = html,
            HtmlSha256 = Sha256(System.Text.Encoding.UTF8.GetBytes(html)),
            Pdf = pdf,
            PdfSha256 = Sha256(pdf),
        };
        db.MonthlyReviews.Add(row);
        await audit.AppendAsync(db, new AuditDraft(actor, "review.generated", "monthly_review", $"{key}/v{version}",
            [new("version", null, version.ToString(CultureInfo.InvariantCulture)), new("html_sha256", null, row.HtmlSha256), new("pdf_sha256", null, row.PdfSha256)], null, null, review.GeneratedAt), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    public async Task<IReadOnlyList<MonthlyReviewVersion>> ListAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var rows = await db.MonthlyReviews.AsNoTracking()
            .Select(r => new MonthlyReviewVersion(r.Id, r.Month, r.Version, r.GeneratedAt, r.GeneratedBy, r.HtmlSha256, r.PdfSha256, r.Pdf.Length)).ToListAsync(ct);
        return [.. rows.OrderByDescending(r => r.Month, StringComparer.Ordinal).ThenByDescending(r => r.Version)];
    }

    /// <summary>A stored version (null: the latest); null when the month has none.</summary>
    public async Task<MonthlyReviewRow?> GetAsync(ReviewMonth month, int? version, CancellationToken ct)
    {
        var key = month.ToString();
        await using var db = database.CreateContext();
        var q = db.MonthlyReviews.AsNoTracking().Where(r => r.Month == key);
        return version is { } v ? await q.FirstOrDefaultAsync(r => r.Version == v, ct) : await q.OrderByDescending(r => r.Version).FirstOrDefaultAsync(ct);
    }

    /// <summary>The schedule's cron expression: the stored one, else <see cref="DefaultSchedule"/>.</summary>
    public async Task<string> ScheduleAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.WorkspaceDocuments.AsNoTracking().Where(d => d.Key == ScheduleDocument).Select(d => d.Content).FirstOrDefaultAsync(ct) ?? DefaultSchedule;
    }

    /// <summary>Sets the schedule (audited <c>review.schedule_changed</c>).</summary>
    /// <exception cref="ArgumentException">Not a five-field cron expression; the message is Cronos's, with the text.</exception>
    public async Task SetScheduleAsync(string cron, string actor, CancellationToken ct)
    {
        if (!WorkflowSchedule.TryParse(cron, out _, out var error))
            throw new ArgumentException($"review schedule \"{cron}\": {error}", nameof(cron));
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var doc = await db.WorkspaceDocuments.FindAsync([ScheduleDocument], ct);
        var before = doc?.Content ?? DefaultSchedule;
        if (doc is null)
            db.WorkspaceDocuments.Add(doc = new WorkspaceDocumentRow { Key = ScheduleDocument });
        doc.Content = cron.Trim();
        doc.UpdatedAt = now;
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "review.schedule_changed", "monthly_review", "schedule", [new("cron", before, doc.Content)], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The scheduled generation: when the schedule has come due since the last scheduled review (or since
    /// <paramref name="since"/> when there is none), generates the review of the month before the latest
    /// occurrence — once, however many occurrences a downtime skipped. Null when nothing was due.
    /// </summary>
    public async Task<MonthlyReviewRow?> GenerateDueAsync(DateTimeOffset since, CancellationToken ct)
    {
        var cron = await ScheduleAsync(ct);
        var now = clock.GetUtcNow();
        DateTimeOffset? last;
        await using (var db = database.CreateContext())
        {
            last = await db.MonthlyReviews.AsNoTracking().Where(r => r.GeneratedBy.StartsWith(ScheduleActor))
                .OrderByDescending(r => r.GeneratedAt).Select(r => (DateTimeOffset?)r.GeneratedAt).FirstOrDefaultAsync(ct);
        }
        var from = last ?? since;
        if (WorkflowSchedule.Occurrences(cron, null, from, now).Cast<DateTimeOffset?>().LastOrDefault() is not { } occurrence)
            return null;
        return await GenerateAsync(ReviewMonth.From(occurrence).Previous, $"{ScheduleActor}{occurrence.UtcDateTime:yyyy-MM-ddTHH:mmZ}", ct);
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
