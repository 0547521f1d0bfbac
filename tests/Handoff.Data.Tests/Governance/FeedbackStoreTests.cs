using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Data.Governance;
using Handoff.Data.Tests.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Governance;

/// <summary>Feedback reports on the Acme charter (wrong_value → HR operations in 2 business days,
/// account_access → IT in 8 hours, Berlin time, reminder at 80 %, escalation hector/ivan at the
/// breach then alice/tara a day later), with the sandbox mail system receiving the mails.</summary>
public sealed class FeedbackStoreTests
{
    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<(WorkflowSpine W, FeedbackStore Store, Guid Person)> StartAsync(string provider)
    {
        // 2026-11-27 is a Friday; the spine's clock starts at 09:00 UTC (10:00 in Berlin).
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900100", "Ada", "Lovelace", "01/05/2020"));
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900100")).Row.Id;
        var store = new FeedbackStore(w.Spine.Database, w.Clock, w.Spine.Audit, w.Spine.Workspace, ws => new SandboxConnectors(ws, w.Spine.Database, w.Clock));
        return (w, store, person);
    }

    private static async Task<List<string>> MailsAsync(WorkflowSpine w) =>
        (await w.ObjectsAsync("mail", ObjectClasses.Message)).Select(m => m.AttributesJson).ToList();

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_wrong_value_goes_to_HR_is_reminded_at_80_percent_escalated_after_the_breach_and_closed_with_the_elapsed_time(string provider)
    {
        var (w, store, person) = await StartAsync(provider);

        var (report, created) = await store.FileAsync(new FeedbackDraft("wrong_value", "Department should be Research", "web", person, Field: "department"), "olga", default);

        Assert.True(created);
        Assert.Equal(("hr_operations", "2bd", "open"), (report.Route, report.Sla, report.Status));
        // Friday 10:00 Berlin + 2 business days = Tuesday 10:00 Berlin; 80 % = Tuesday 00:24 Berlin.
        Assert.Equal(At("2026-12-01T09:00:00Z"), report.DeadlineAt);
        Assert.Equal(At("2026-11-30T23:24:00Z"), report.RemindAt);

        w.Clock.Now = At("2026-11-30T23:00:00Z");
        Assert.Equal((0, 0, 0, 0), Counts(await store.CheckSlasAsync(default)));
        Assert.Empty(await MailsAsync(w));

        w.Clock.Now = At("2026-11-30T23:30:00Z");
        Assert.Equal(1, (await store.CheckSlasAsync(default)).Reminders);
        var mails = await MailsAsync(w);
        Assert.Single(mails);
        Assert.Contains("hr-ops@acme.example", mails[0], StringComparison.Ordinal);
        // Once: the next minute's check does not remind again.
        w.Clock.Now = w.Clock.Now.AddMinutes(1);
        Assert.Equal((0, 0, 0, 0), Counts(await store.CheckSlasAsync(default)));

        w.Clock.Now = At("2026-12-01T09:00:00Z");
        Assert.Equal((0, 1, 1, 0), Counts(await store.CheckSlasAsync(default)));
        Assert.Contains(await MailsAsync(w), m => m.Contains("hector.diaz@acme.example", StringComparison.Ordinal));
        Assert.Equal((1, "hector"), await LevelAsync(w, report.Id));

        w.Clock.Now = At("2026-12-02T09:00:00Z");
        Assert.Equal(1, (await store.CheckSlasAsync(default)).Escalations);
        Assert.Equal((2, "alice"), await LevelAsync(w, report.Id));
        Assert.Equal(0, (await store.CheckSlasAsync(default)).Escalations);

        await store.AcknowledgeAsync(report.Id, "hector", "looking into it", default);
        var resolved = await store.ResolveAsync(report.Id, "hector", "corrected in the HRIS", default);

        Assert.Equal(FeedbackStatus.Resolved, resolved.Status);
        Assert.Equal((long)TimeSpan.FromDays(5).TotalSeconds, resolved.ElapsedSeconds);
        Assert.False(resolved.WithinSla);
        await Assert.ThrowsAsync<FeedbackException>(() => store.ResolveAsync(report.Id, "hector", null, default));
        Assert.Equal((0, 0, 0, 0), Counts(await store.CheckSlasAsync(default)));

        var history = (await store.GetAsync(report.Id, default))!.Notes.Select(n => n.Kind).ToList();
        Assert.Equal(["filed", "reminder", "breached", "escalation", "escalation", "acknowledged", "resolved"], history);
        await using var db = w.Spine.Db();
        var actions = await db.AuditEntries.AsNoTracking().Where(e => e.ObjectType == "feedback_report").OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
        Assert.Equal(["feedback.filed", "feedback.reminded", "feedback.breached", "feedback.escalated", "feedback.escalated", "feedback.acknowledged", "feedback.resolved"], actions);
        // The note may describe a person: it is in the report, never in the audit log.
        Assert.False(await db.AuditEntries.AnyAsync(e => e.FieldsJson.Contains("Research")));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_access_problem_goes_to_IT_and_closes_within_its_SLA(string provider)
    {
        var (w, store, person) = await StartAsync(provider);
        var (report, _) = await store.FileAsync(new FeedbackDraft("account_access", "cannot log in", "web", person), "hector", default);
        Assert.Equal(("it", At("2026-11-27T17:00:00Z")), (report.Route, report.DeadlineAt));

        w.Clock.Now = w.Clock.Now.AddHours(2);
        var resolved = await store.ResolveAsync(report.Id, "ivan", "account unlocked", default);

        Assert.Equal((7200L, true), (resolved.ElapsedSeconds, resolved.WithinSla));
        Assert.Single(await store.ListAsync(["it"], includeResolved: true, default));
        Assert.Empty(await store.ListAsync(["it"], includeResolved: false, default));
        Assert.Empty(await store.ListAsync(["hr_operations"], includeResolved: true, default));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_redelivered_mail_is_one_report_and_bad_input_is_named(string provider)
    {
        var (_, store, _) = await StartAsync(provider);
        var first = await store.FileAsync(new FeedbackDraft(null, "my badge does not work", "email", ExternalKey: "<abc@mail.example>"), "mail:ann@acme.example", default);
        var again = await store.FileAsync(new FeedbackDraft(null, "my badge does not work", "email", ExternalKey: "<abc@mail.example>"), "mail:ann@acme.example", default);

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Report.Id, again.Report.Id);
        Assert.Equal("wrong_value", first.Report.Category); // the charter's first category is the default
        var unknown = await Assert.ThrowsAsync<FeedbackException>(() => store.FileAsync(new FeedbackDraft("salary", "x", "web"), "olga", default));
        Assert.Equal("unknown feedback category \"salary\"; the charter's categories: wrong_value, account_access, automation, other", unknown.Message);
        var noRun = await Assert.ThrowsAsync<FeedbackException>(() => store.FileAsync(new FeedbackDraft("automation", "x", "web", RunId: Guid.Empty), "olga", default));
        Assert.Equal($"run {Guid.Empty} does not exist", noRun.Message);
        await Assert.ThrowsAsync<FeedbackException>(() => store.FileAsync(new FeedbackDraft("other", "  ", "web"), "olga", default));
    }

    private static (int, int, int, int) Counts(FeedbackSlaReport r) => (r.Reminders, r.Breaches, r.Escalations, r.MailProblems.Count);

    private static async Task<(int, string?)> LevelAsync(WorkflowSpine w, long id)
    {
        await using var db = w.Spine.Db();
        var row = await db.FeedbackReports.AsNoTracking().SingleAsync(r => r.Id == id);
        return (row.EscalationLevel, row.EscalatedTo);
    }
}
