using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Connectors;
using Handoff.Core.Governance;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Governance;

public sealed class FeedbackException(string message) : Exception(message);

/// <summary>What someone reports. Exactly what it is about is optional: a person, a person's value
/// (person + field), a run, or nothing (a general report by mail).</summary>
public sealed record FeedbackDraft(string? Category, string Note, string Channel, Guid? PersonId = null, Guid? RunId = null, string? Field = null,
    long? ReviewItemId = null, string? ExternalKey = null);

/// <summary>What one pass of the SLA check did.</summary>
public sealed record FeedbackSlaReport(int Reminders, int Breaches, int Escalations, IReadOnlyList<string> MailProblems);

/// <summary>
/// Feedback reports and their SLA clock. A report is routed by its category (charter
/// <c>feedback.categories</c>) to HR operations or IT and gets a reminder time (default 80 % of the
/// SLA) and a deadline; <see cref="CheckSlasAsync"/> reminds the owner side by mail when the reminder
/// time has come, marks the breach at the deadline and involves the charter's escalation path step by
/// step after it. Every change is audited; the note (free text that may describe a person) is kept
/// in the report, never in the audit log.
/// </summary>
public sealed class FeedbackStore(DatabaseOptions database, TimeProvider clock, AuditLog audit, WorkspaceStore workspaces,
    Func<WorkspaceDefinition, ITargetConnectorSource> connectors)
{
    public static readonly string[] Channels = ["web", "email", "webhook", "api"];
    public const int MaxNote = 4000;

    public async Task<(FeedbackReportRow Report, bool Created)> FileAsync(FeedbackDraft draft, string actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(draft.Note))
            throw new FeedbackException("say what the problem is (note)");
        if (draft.Note.Length > MaxNote)
            throw new FeedbackException($"the note is {draft.Note.Length} characters; at most {MaxNote}");
        if (!Channels.Contains(draft.Channel))
            throw new FeedbackException($"unknown channel \"{draft.Channel}\"; expected one of {string.Join(", ", Channels)}");
        var charter = (await workspaces.LoadActiveAsync(ct)).Definition.Charter;
        FeedbackCategory category;
        try
        {
            category = FeedbackRouting.Category(charter.Feedback, draft.Category);
        }
        catch (FeedbackRoutingException e)
        {
            throw new FeedbackException(e.Message);
        }
        var now = clock.GetUtcNow();
        var slaClock = FeedbackSlaClock.For(charter.Feedback);
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (draft.ExternalKey is { } key && await db.FeedbackReports.Include(r => r.Notes)
                .FirstOrDefaultAsync(r => r.Channel == draft.Channel && r.ExternalKey == key, ct) is { } earlier)
            return (earlier, false);
        if (draft.PersonId is { } personId && !await db.People.AnyAsync(p => p.Id == personId, ct))
            throw new FeedbackException($"person {personId} does not exist");
        if (draft.RunId is { } runId && !await db.Runs.AnyAsync(r => r.Id == runId, ct))
            throw new FeedbackException($"run {runId} does not exist");
        if (draft.Field is not null && draft.PersonId is null)
            throw new FeedbackException("a report about a value names the person too");

        var row = new FeedbackReportRow
        {
            Category = category.Id,
            Route = FeedbackRouting.Name(category.Route),
            Sla = category.Sla.ToString(),
            Channel = draft.Channel,
            PersonId = draft.PersonId,
            RunId = draft.RunId,
            Field = draft.Field,
            Note = draft.Note.Trim(),
            ReportedBy = actor,
            ReportedAt = now,
            RemindAt = slaClock.ReminderAt(now, category.Sla, charter.Feedback.RemindAtPercent),
            DeadlineAt = slaClock.Deadline(now, category.Sla),
            ReviewItemId = draft.ReviewItemId,
            ExternalKey = draft.ExternalKey,
        };
        row.Notes.Add(new FeedbackNoteRow { At = now, Actor = actor, Kind = "filed", Text = $"routed to {row.Route} ({category.Label}); SLA {category.Sla.Describe}, due {row.DeadlineAt:u}" });
        db.FeedbackReports.Add(row);
        await db.SaveChangesAsync(ct);
        await audit.AppendAsync(db, new AuditDraft(Actor(actor), "feedback.filed", "feedback_report", Id(row),
            [new("category", null, row.Category), new("route", null, row.Route), new("channel", null, row.Channel), new("deadline", null, row.DeadlineAt.ToString("u", CultureInfo.InvariantCulture)),
             new("about", null, About(row))], null, $"feedback:{row.Id}", now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (row, true);
    }

    public Task<FeedbackReportRow> AcknowledgeAsync(long id, string actor, string? note, CancellationToken ct) =>
        ChangeAsync(id, actor, FeedbackStatus.Acknowledged, note, ct);

    /// <summary>Resolves (closes) a report and records how long it took and whether that was within the SLA.</summary>
    public Task<FeedbackReportRow> ResolveAsync(long id, string actor, string? note, CancellationToken ct) =>
        ChangeAsync(id, actor, FeedbackStatus.Resolved, note, ct);

    public Task<FeedbackReportRow> AddNoteAsync(long id, string actor, string note, CancellationToken ct) =>
        ChangeAsync(id, actor, null, note, ct);

    private async Task<FeedbackReportRow> ChangeAsync(long id, string actor, string? status, string? note, CancellationToken ct)
    {
        if (status is null && string.IsNullOrWhiteSpace(note))
            throw new FeedbackException("the note is empty");
        if (note is { Length: > MaxNote })
            throw new FeedbackException($"the note is {note.Length} characters; at most {MaxNote}");
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.FeedbackReports.Include(r => r.Notes).SingleOrDefaultAsync(r => r.Id == id, ct)
            ?? throw new FeedbackException($"feedback report #{id} does not exist");
        if (row.Status == FeedbackStatus.Resolved)
            throw new FeedbackException($"feedback report #{id} was resolved {row.ResolvedAt:u} by {row.ResolvedBy}; file a new report if the problem is back");
        if (status == FeedbackStatus.Acknowledged && row.Status == FeedbackStatus.Acknowledged)
            throw new FeedbackException($"feedback report #{id} is already acknowledged (by {row.AcknowledgedBy})");
        var fields = new List<AuditFieldChange>();
        if (status is not null)
        {
            fields.Add(new("status", row.Status, status));
            row.Status = status;
            if (status == FeedbackStatus.Acknowledged)
                (row.AcknowledgedBy, row.AcknowledgedAt) = (actor, now);
            else
            {
                row.AcknowledgedAt ??= now;
                row.AcknowledgedBy ??= actor;
                (row.ResolvedBy, row.ResolvedAt) = (actor, now);
                row.ElapsedSeconds = (long)(now - row.ReportedAt).TotalSeconds;
                row.WithinSla = now <= row.DeadlineAt;
                fields.Add(new("elapsed", null, FormatElapsed(now - row.ReportedAt)));
                fields.Add(new("within_sla", null, row.WithinSla.Value ? "yes" : "no"));
            }
        }
        var text = note?.Trim() ?? "";
        row.Notes.Add(new FeedbackNoteRow
        {
            At = now,
            Actor = actor,
            Kind = status ?? "note",
            Text = status == FeedbackStatus.Resolved ? $"resolved after {FormatElapsed(now - row.ReportedAt)} ({(row.WithinSla == true ? "within" : "outside")} the SLA){(text.Length > 0 ? ": " + text : "")}" : text,
        });
        await audit.AppendAsync(db, new AuditDraft(Actor(actor), status is null ? "feedback.noted" : $"feedback.{status}", "feedback_report", Id(row), fields, null, $"feedback:{row.Id}", now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>Reports, newest first; <paramref name="routes"/> limits to one or both owner sides.</summary>
    public async Task<IReadOnlyList<FeedbackReportRow>> ListAsync(IReadOnlyCollection<string> routes, bool includeResolved, CancellationToken ct, int limit = 200)
    {
        await using var db = database.CreateContext();
        return await db.FeedbackReports.AsNoTracking()
            .Where(r => routes.Contains(r.Route) && (includeResolved || r.Status != FeedbackStatus.Resolved))
            .OrderByDescending(r => r.Id).Take(limit).ToListAsync(ct);
    }

    public async Task<FeedbackReportRow?> GetAsync(long id, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var row = await db.FeedbackReports.AsNoTracking().Include(r => r.Notes).SingleOrDefaultAsync(r => r.Id == id, ct);
        row?.Notes.Sort((a, b) => a.Id.CompareTo(b.Id));
        return row;
    }

    /// <summary>
    /// One pass of the SLA clock over every unresolved report: a reminder to the owner side when the
    /// reminder time has come (once), the breach at the deadline (once), and each escalation step whose
    /// time after the breach has come (once each, in order). Mail goes through the workspace's mail
    /// system (the sandbox mail in the demo); a mail that cannot be sent is noted on the report and in
    /// the result, and the clock still moves on, so a broken mail system does not mail twice later.
    /// </summary>
    public async Task<FeedbackSlaReport> CheckSlasAsync(CancellationToken ct)
    {
        var workspace = (await workspaces.LoadActiveAsync(ct)).Definition;
        var charter = workspace.Charter;
        var now = clock.GetUtcNow();
        List<long> due;
        await using (var db = database.CreateContext())
        {
            due = await db.FeedbackReports.AsNoTracking()
                .Where(r => r.Status != FeedbackStatus.Resolved && ((r.RemindedAt == null && r.RemindAt <= now) || r.DeadlineAt <= now))
                .OrderBy(r => r.Id).Select(r => r.Id).ToListAsync(ct);
        }
        int reminders = 0, breaches = 0, escalations = 0;
        var problems = new List<string>();
        var mail = workspace.Systems.FirstOrDefault(s => s.Kind == SystemKind.Mail);
        var connector = mail is null ? null : connectors(workspace).Find(mail.Id);
        foreach (var id in due)
        {
            FeedbackReportRow snapshot;
            await using (var read = database.CreateContext())
                snapshot = await read.FeedbackReports.AsNoTracking().SingleAsync(r => r.Id == id, ct);
            var route = snapshot.Route == "it" ? FeedbackRoute.It : FeedbackRoute.HrOperations;
            var remind = snapshot.RemindedAt is null && now >= snapshot.RemindAt && now < snapshot.DeadlineAt;
            var breach = snapshot.BreachedAt is null && now >= snapshot.DeadlineAt;
            var path = FeedbackRouting.Path(charter, route);
            var dueSteps = FeedbackRouting.DueSteps(path, snapshot.DeadlineAt, now);
            if (!remind && !breach && snapshot.EscalationLevel >= dueSteps)
                continue;

            // Mail first, outside the report's transaction (the mail system may be a table of the same
            // database, the sandbox); the idempotency key per report and step keeps a retry from mailing twice.
            var notes = new List<FeedbackNoteRow>();
            var drafts = new List<AuditDraft>();
            async Task Send(string kind, IReadOnlyList<string> to, string subject, string body)
            {
                string outcome;
                if (to.Count == 0)
                    outcome = "no mail address in the charter (feedback.mailboxes or the member's email)";
                else if (connector is null)
                    outcome = "no mail system in the workspace";
                else
                {
                    try
                    {
                        var op = new TargetOperation(TargetOperationKind.SendMail, ObjectClasses.Message, null, null, new Dictionary<string, object?>
                        {
                            [MessageAttributes.To] = to.ToList(),
                            [MessageAttributes.Subject] = subject,
                            [MessageAttributes.Body] = body,
                        }, $"feedback:{snapshot.Id}:{kind}");
                        await connector.ApplyAsync(op, ct);
                        outcome = $"mailed {string.Join(", ", to)} through {mail!.Id}";
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        outcome = $"mail to {string.Join(", ", to)} failed: {e.Message}";
                    }
                }
                if (!outcome.StartsWith("mailed", StringComparison.Ordinal))
                    problems.Add($"#{snapshot.Id} {kind}: {outcome}");
                notes.Add(new FeedbackNoteRow { At = now, Actor = "system:feedback-sla", Kind = kind.Split(':')[0], Text = $"{subject} — {outcome}" });
            }

            if (remind)
            {
                reminders++;
                await Send("reminder", OwnerMail(charter, route), $"Feedback #{snapshot.Id} ({snapshot.Category}) is due {snapshot.DeadlineAt:u}",
                    $"Feedback report #{snapshot.Id} routed to {snapshot.Route} has used {charter.Feedback.RemindAtPercent}% of its SLA ({snapshot.Sla}). It is {snapshot.Status}. Open /Feedback/Report/{snapshot.Id} to acknowledge or resolve it.");
                drafts.Add(new AuditDraft("system:feedback-sla", "feedback.reminded", "feedback_report", Id(snapshot), [new("route", null, snapshot.Route)], null, $"feedback:{snapshot.Id}", now));
            }
            if (breach)
            {
                breaches++;
                notes.Add(new FeedbackNoteRow { At = now, Actor = "system:feedback-sla", Kind = "breached", Text = $"SLA {snapshot.Sla} breached (due {snapshot.DeadlineAt:u})" });
                drafts.Add(new AuditDraft("system:feedback-sla", "feedback.breached", "feedback_report", Id(snapshot), [new("deadline", null, snapshot.DeadlineAt.ToString("u", CultureInfo.InvariantCulture))], null, $"feedback:{snapshot.Id}", now));
            }
            for (var level = snapshot.EscalationLevel; level < dueSteps; level++)
            {
                var step = path[level];
                escalations++;
                var member = charter.FindMember(step.To);
                await Send($"escalation:{level + 1}", member?.Email is { } e ? [e] : [],
                    $"Escalated: feedback #{snapshot.Id} ({snapshot.Category}) breached its SLA",
                    $"Feedback report #{snapshot.Id} routed to {snapshot.Route} was due {snapshot.DeadlineAt:u} and is still {snapshot.Status}. The charter's escalation path (step {level + 1}) hands it to you, {member?.Name ?? step.To}. Open /Feedback/Report/{snapshot.Id}.");
                drafts.Add(new AuditDraft("system:feedback-sla", "feedback.escalated", "feedback_report", Id(snapshot),
                    [new("level", level.ToString(CultureInfo.InvariantCulture), (level + 1).ToString(CultureInfo.InvariantCulture)), new("to", null, step.To)], null, $"feedback:{snapshot.Id}", now));
            }

            await using var db = database.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var row = await db.FeedbackReports.SingleAsync(r => r.Id == id, ct);
            // Resolved meanwhile, or another node did this step first: record nothing twice.
            if (row.Status == FeedbackStatus.Resolved || (remind && row.RemindedAt is not null) || (breach && row.BreachedAt is not null) || (!remind && !breach && row.EscalationLevel >= dueSteps))
                continue;
            if (remind)
                row.RemindedAt = now;
            if (breach)
                row.BreachedAt = now;
            if (dueSteps > row.EscalationLevel)
                (row.EscalationLevel, row.EscalatedTo) = (dueSteps, path[dueSteps - 1].To);
            foreach (var note in notes)
            {
                note.ReportId = row.Id;
                db.FeedbackNotes.Add(note);
            }
            await audit.AppendAsync(db, drafts, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return new FeedbackSlaReport(reminders, breaches, escalations, problems);
    }

    /// <summary>The owner side's mailbox, else the mail addresses of that side's charter members.</summary>
    private static IReadOnlyList<string> OwnerMail(Charter charter, FeedbackRoute route)
    {
        if (charter.Feedback.Mailboxes.TryGetValue(route, out var box))
            return [box];
        var side = route == FeedbackRoute.HrOperations ? SystemOwner.Hr : SystemOwner.It;
        return charter.Members.Where(m => m.Side == side && m.Email is not null).Select(m => m.Email!).ToList();
    }

    public static string FormatElapsed(TimeSpan span) =>
        span.TotalDays >= 1 ? $"{(int)span.TotalDays}d {span.Hours}h {span.Minutes}m" : span.TotalHours >= 1 ? $"{(int)span.TotalHours}h {span.Minutes}m" : $"{Math.Max(0, (int)span.TotalMinutes)}m";

    private static string Actor(string actor) => actor.Contains(':', StringComparison.Ordinal) ? actor : $"user:{actor}";

    private static string Id(FeedbackReportRow row) => row.Id.ToString(CultureInfo.InvariantCulture);

    private static string About(FeedbackReportRow row) =>
        row.RunId is { } run ? $"run {run}" : row.Field is { } f ? $"person {row.PersonId} field {f}" : row.PersonId is { } p ? $"person {p}" : "general";
}
