using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Workflows;

/// <summary>Each trigger type: outbox events (lifecycle and field changes), date fields with an offset
/// at a local time, cron schedules, and manual runs — each firing once, none lost after downtime.</summary>
public sealed class TriggerTests
{
    private const string OnPreHire = """
        id: prehire-event
        trigger: { event: person.pre_hire }
        scope: 'worker_type eq "employee"'
        permissions:
          read: [employee_id, first_name, last_name, worker_type]
          write: { directory: [account.create] }
        steps:
          - id: account
            uses: directory.create_account
            with: { username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}' }
        """;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Lifecycle_event_starts_one_run_that_creates_a_disabled_account_and_its_link(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.ActivateAsync(OnPreHire);
        await w.Spine.SyncRecordsAsync("hris",
            WorkflowSpine.Worker("900001", "Zoë", "O'Brien-Núñez", "12/15/2026"),
            WorkflowSpine.Worker("900002", "Carl", "Contractor", "12/15/2026", type: "Contractor"));

        var report = await w.Engine.TickAsync(default);
        Assert.Equal(1, report.Queued); // the contractor is out of scope

        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal(RunStatus.Completed, run.Status);
        var account = Assert.Single(await w.AccountsAsync());
        Assert.Equal("zoe.obriennunez", account.UniqueValue);
        Assert.False(account.Enabled);
        Assert.Equal("900001", account.Anchor);
        await using (var db = w.Spine.Db())
        {
            var link = await db.AccountLinks.SingleAsync();
            Assert.Equal((run.PersonId, account.NativeId, "disabled"), (link.PersonId, link.NativeId, link.State));
            Assert.All(await db.OutboxEvents.ToListAsync(), e => Assert.NotNull(e.ProcessedAt));
        }
        Assert.Contains("directory.create_account", await w.AuditActionsAsync(run.Id.ToString("N")));

        // The same events are never dispatched twice.
        Assert.Equal(new EngineTickReport(0, 0), await w.Engine.TickAsync(default));
        Assert.Single(await w.RunsAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Events_recorded_after_activation_start_it_even_when_the_recording_clock_was_behind(string provider)
    {
        // Two nodes (or two CLI processes pinned to one --today) need not agree on the time; what
        // decides is the outbox order: an event stored before activation never starts the workflow,
        // one stored after always does.
        var w = await WorkflowSpine.StartAsync(provider);
        w.Clock.Now = w.Clock.Now.AddMinutes(5);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900003", "Early", "Bird", "12/15/2026"));
        w.Clock.Now = w.Clock.Now.AddMinutes(-5);
        await w.ActivateAsync(OnPreHire);
        w.Clock.Now = w.Clock.Now.AddSeconds(-2);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900001", "Ada", "Lovelace", "12/15/2026"));
        w.Clock.Now = w.Clock.Now.AddMinutes(1);

        Assert.Equal(1, (await w.Engine.TickAsync(default)).Queued);
        var account = Assert.Single(await w.AccountsAsync());
        Assert.Equal("900001", account.Anchor);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Field_change_trigger_fires_for_its_fields_only(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.ActivateAsync("""
            id: dept-mover
            trigger: { event: person.changed, fields: [department] }
            permissions: { read: [department, first_name], write: { servicedesk: [ticket.create] } }
            steps:
              - id: t
                uses: ticketing.create_ticket
                with: { title: '{{ first_name }} moved to {{ department }}' }
            """);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900010", "Ada", "Lovelace", "01/05/2020"));
        await w.Engine.TickAsync(default);
        Assert.Empty(await w.RunsAsync());

        var retitled = WorkflowSpine.Worker("900010", "Ada", "Lovelace", "01/05/2020");
        retitled["Job_Title"] = "Principal Engineer";
        await w.Spine.SyncRecordsAsync("hris", retitled);
        await w.Engine.TickAsync(default);
        Assert.Empty(await w.RunsAsync()); // a title change is not a department change

        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900010", "Ada", "Lovelace", "01/05/2020", department: "Finance"));
        await w.Engine.TickAsync(default);
        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal(RunStatus.Completed, run.Status);
        var ticket = Assert.Single(await w.ObjectsAsync("servicedesk", "ticket"));
        Assert.Contains("Ada moved to Finance", ticket.AttributesJson);
    }

    private const string SevenDaysBefore = """
        id: pre-start
        trigger: { date: start_date, offset: -7d, at: "09:00" }
        permissions: { read: [first_name, start_date], write: { servicedesk: [ticket.create] } }
        steps:
          - id: laptop
            uses: ticketing.create_ticket
            with: { title: 'Laptop for {{ first_name }} starting {{ start_date }}' }
        """;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Date_trigger_fires_at_the_local_time_in_the_persons_zone_once(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider); // 2026-11-27 09:00 UTC
        await w.ActivateAsync(SevenDaysBefore);
        // Starts 2026-12-14: the trigger is 2026-12-07 09:00 local time.
        await w.Spine.SyncRecordsAsync("hris",
            WorkflowSpine.Worker("900020", "Berlin", "Person", "12/14/2026", zone: "Europe/Berlin"),
            WorkflowSpine.Worker("900021", "York", "Person", "12/14/2026", zone: "America/New_York"));

        w.Clock.Now = new DateTimeOffset(2026, 12, 7, 7, 59, 0, TimeSpan.Zero); // 08:59 in Berlin
        await w.Engine.TickAsync(default);
        Assert.Empty(await w.RunsAsync());

        w.Clock.Now = new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero); // 09:00 in Berlin, 03:00 in New York
        await w.Engine.TickAsync(default);
        Assert.Single(await w.RunsAsync());

        w.Clock.Now = new DateTimeOffset(2026, 12, 7, 14, 0, 0, TimeSpan.Zero); // 09:00 in New York
        await w.Engine.TickAsync(default);
        var runs = await w.RunsAsync();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Equal("date:start_date:2026-12-14", r.TriggerKey));

        w.Clock.Now = w.Clock.Now.AddDays(3);
        await w.Engine.TickAsync(default);
        Assert.Equal(2, (await w.RunsAsync()).Count);
        Assert.Equal(2, (await w.ObjectsAsync("servicedesk", "ticket")).Count);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Missed_date_triggers_fire_once_after_downtime(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.ActivateAsync(SevenDaysBefore);
        await w.Spine.SyncRecordsAsync("hris",
            WorkflowSpine.Worker("900030", "Monday", "Person", "12/14/2026", zone: "UTC"),
            WorkflowSpine.Worker("900031", "Wednesday", "Person", "12/16/2026", zone: "UTC"),
            WorkflowSpine.Worker("900032", "Later", "Person", "01/20/2027", zone: "UTC"));
        await w.Engine.TickAsync(default);

        // Down from 2026-11-27 to 2026-12-10: both earlier triggers (7 and 9 December) were missed.
        w.Clock.Now = new DateTimeOffset(2026, 12, 10, 12, 0, 0, TimeSpan.Zero);
        var report = await w.Engine.TickAsync(default);
        Assert.Equal(2, report.Queued);
        Assert.Equal(0, (await w.Engine.TickAsync(default)).Queued);
        Assert.Equal(["date:start_date:2026-12-14", "date:start_date:2026-12-16"], (await w.RunsAsync()).Select(r => r.TriggerKey).Order());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Backfill_fires_triggers_that_came_due_before_activation(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris",
            WorkflowSpine.Worker("900040", "Recent", "Person", "11/30/2026", zone: "UTC"),   // due 2026-11-23
            WorkflowSpine.Worker("900041", "Old", "Person", "10/01/2026", zone: "UTC"));     // due 2026-09-24
        await w.ActivateAsync(SevenDaysBefore, backfill: TimeSpan.FromDays(10));
        await w.Engine.TickAsync(default);
        Assert.Equal(["date:start_date:2026-11-30"], (await w.RunsAsync()).Select(r => r.TriggerKey));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Cron_schedule_fires_once_per_person_for_the_latest_missed_occurrence(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris",
            WorkflowSpine.Worker("900050", "A", "Person", "01/05/2020"),
            WorkflowSpine.Worker("900051", "B", "Person", "01/05/2020"));
        await w.ActivateAsync("""
            id: weekly-review
            trigger: { schedule: "0 6 * * 1" }
            permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
            steps:
              - id: t
                uses: ticketing.create_ticket
                with: { title: 'Weekly access review for {{ first_name }}' }
            """);
        await w.Engine.TickAsync(default); // Friday 2026-11-27: nothing due
        Assert.Empty(await w.RunsAsync());

        w.Clock.Now = new DateTimeOffset(2026, 12, 15, 12, 0, 0, TimeSpan.Zero); // two Mondays missed
        await w.Engine.TickAsync(default);
        await w.Engine.TickAsync(default);
        var runs = await w.RunsAsync();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Equal("cron:2026-12-14T06:00Z", r.TriggerKey));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Manual_runs_for_a_person_or_a_filter_with_a_cap(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris",
            WorkflowSpine.Worker("900060", "A", "Sales", "01/05/2020", department: "Sales"),
            WorkflowSpine.Worker("900061", "B", "Sales", "01/05/2020", department: "Sales"),
            WorkflowSpine.Worker("900062", "C", "Eng", "01/05/2020"));
        await w.ActivateAsync("""
            id: audit-ticket
            trigger: { manual: true }
            permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
            steps:
              - id: t
                uses: ticketing.create_ticket
                with: { title: 'Check {{ first_name }}' }
            """);
        var error = await Assert.ThrowsAsync<WorkflowStateException>(() => w.Engine.StartManualAsync("audit-ticket", null, "department eq \"Sales\"", 1, "alice", default));
        Assert.Contains("2 people match; the cap is 1", error.Message);
        Assert.Empty(await w.RunsAsync());

        var ids = await w.Engine.StartManualAsync("audit-ticket", null, "department eq \"Sales\"", 5, "alice", default);
        Assert.Equal(2, ids.Count);
        var one = (await w.Spine.PersonByKeyAsync("employee_id", "900062")).Row.Id;
        Assert.Single(await w.Engine.StartManualAsync("audit-ticket", one, null, 1, "alice", default));
        await w.Engine.RunDueAsync(100, default);
        Assert.All(await w.RunsAsync(), r => Assert.Equal(RunStatus.Completed, r.Status));
        Assert.Equal(3, (await w.ObjectsAsync("servicedesk", "ticket")).Count);
    }
}
