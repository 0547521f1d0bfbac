using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Workflows;

/// <summary>Issue #14, item 7: the runs of one person start in the order of what started them, and a
/// step that needs an account waits for the run that creates it instead of failing for good.</summary>
public sealed class PersonOrderTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Pre_hire_and_new_hire_due_in_the_same_scan_run_in_trigger_order(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        // new-hire is activated (and so scanned and queued) first, as in the demo; its trigger (the
        // start day) comes after pre-hire's (a week before): pre-hire must run first.
        await w.ActivateSampleAsync("new-hire", TimeSpan.FromDays(30));
        await w.ActivateSampleAsync("pre-hire", TimeSpan.FromDays(30));
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900700", "Ada", "Lovelace", "11/25/2026"));

        await w.Engine.TickAsync(default);

        var preHire = Assert.Single(await w.RunsAsync("pre-hire"));
        var newHire = Assert.Single(await w.RunsAsync("new-hire"));
        Assert.Equal(RunStatus.Completed, preHire.Status);
        Assert.True(newHire.Status == RunStatus.Completed, $"new-hire {newHire.Status}: {newHire.Error}");
        Assert.True(newHire.StartedAt >= preHire.FinishedAt, "new-hire started before pre-hire finished");
        var account = Assert.Single(await w.AccountsAsync());
        Assert.True(account.Enabled);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Runs_started_by_events_start_in_event_order(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900710", "Ada", "Lovelace", "01/05/2020"));
        await w.Engine.TickAsync(default);
        // The first event's workflow creates the account; the second's (a later event) writes to it.
        await w.ActivateAsync("""
            id: on-first-change
            trigger: { event: person.changed, fields: [job_title] }
            permissions:
              read: [employee_id, first_name, last_name, job_title]
              write: { directory: [account.create] }
            steps:
              - id: account
                uses: directory.create_account
                with: { username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}' }
            """);
        await w.ActivateAsync("""
            id: on-second-change
            trigger: { event: person.changed, fields: [department] }
            permissions:
              read: [department]
              write: { directory: [account.update] }
            steps:
              - id: dept
                uses: directory.update_account
                with: { attributes: { department: '{{ department }}' } }
            """);
        var retitled = WorkflowSpine.Worker("900710", "Ada", "Lovelace", "01/05/2020");
        retitled["Job_Title"] = "Principal Engineer";
        await w.Spine.SyncRecordsAsync("hris", retitled);
        retitled["Department"] = "Finance";
        await w.Spine.SyncRecordsAsync("hris", retitled);
        Assert.Equal(2, await w.Engine.DispatchEventsAsync(default));
        // The later event's run is due first (as after another node's dispatch or a clock step back):
        // what decides is the order of the events, not of the queue.
        await using (var db = w.Spine.Db())
        {
            await db.Runs.Where(r => r.WorkflowId == "on-second-change")
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.DueAt, w.Clock.Now.AddMinutes(-5)).SetProperty(r => r.CreatedAt, w.Clock.Now.AddMinutes(-5)));
        }

        await w.Engine.RunDueAsync(int.MaxValue, default);

        var first = Assert.Single(await w.RunsAsync("on-first-change"));
        var second = Assert.Single(await w.RunsAsync("on-second-change"));
        Assert.Equal(RunStatus.Completed, first.Status);
        Assert.True(second.Status == RunStatus.Completed, $"second {second.Status}: {second.Error}");
        Assert.True(second.StartedAt >= first.FinishedAt);
        Assert.Contains("Finance", Assert.Single(await w.AccountsAsync()).AttributesJson);
    }

    private const string CreateAfterApproval = """
        id: approved-account
        trigger: { manual: true }
        permissions:
          read: [employee_id, first_name, last_name]
          write: { directory: [account.create] }
        steps:
          - id: ok
            uses: approval
            with: { role: it_operator, timeout: 3d }
          - id: account
            uses: directory.create_account
            with: { username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}' }
        """;

    private const string Enable = """
        id: enable-account
        trigger: { manual: true }
        permissions: { read: [first_name], write: { directory: [account.enable] } }
        steps:
          - id: enable
            uses: directory.enable
        """;

    private const string Ticket = """
        id: hello-ticket
        trigger: { manual: true }
        permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
        steps:
          - id: t
            uses: ticketing.create_ticket
            with: { title: 'Hello {{ first_name }}' }
        """;

    private static async Task<(WorkflowSpine W, Guid Person)> WithCreatorWaitingAsync(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900720", "Ada", "Lovelace", "01/05/2020"));
        await w.Engine.TickAsync(default);
        await w.ActivateAsync(CreateAfterApproval);
        await w.ActivateAsync(Enable);
        await w.ActivateAsync(Ticket);
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900720")).Row.Id;
        await w.Engine.StartManualAsync("approved-account", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        Assert.Equal(RunStatus.Waiting, Assert.Single(await w.RunsAsync("approved-account")).Status);
        return (w, person);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_step_that_needs_an_account_waits_for_the_run_that_will_create_it(string provider)
    {
        var (w, person) = await WithCreatorWaitingAsync(provider);

        // The creator waits for a human for days: it does not block a run that needs no ordering …
        await w.Engine.StartManualAsync("hello-ticket", person, null, 1, "alice", default);
        // … and a run that needs its account waits for it instead of failing for good.
        await w.Engine.StartManualAsync("enable-account", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        Assert.Equal(RunStatus.Completed, Assert.Single(await w.RunsAsync("hello-ticket")).Status);
        var enable = Assert.Single(await w.RunsAsync("enable-account"));
        Assert.True(enable.Status == RunStatus.Waiting, $"enable-account {enable.Status}: {enable.Error}");
        Assert.Equal("account", enable.WaitingFor);
        Assert.Contains("workflow.step_waiting", await w.AuditActionsAsync(enable.Id.ToString("N")));

        var task = Assert.Single(await w.Engine.ListTasksAsync(openOnly: true, default));
        await w.Engine.DecideAsync(task.Id, true, "olga", null, default);
        await w.Engine.TickAsync(default);

        Assert.Equal(RunStatus.Completed, Assert.Single(await w.RunsAsync("approved-account")).Status);
        enable = Assert.Single(await w.RunsAsync("enable-account"));
        Assert.True(enable.Status == RunStatus.Completed, $"enable-account {enable.Status}: {enable.Error}");
        Assert.True(Assert.Single(await w.AccountsAsync()).Enabled);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_step_that_waited_for_an_account_fails_when_its_creator_ends_without_one(string provider)
    {
        var (w, person) = await WithCreatorWaitingAsync(provider);
        await w.Engine.StartManualAsync("enable-account", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        Assert.Equal(RunStatus.Waiting, Assert.Single(await w.RunsAsync("enable-account")).Status);

        var task = Assert.Single(await w.Engine.ListTasksAsync(openOnly: true, default));
        await w.Engine.DecideAsync(task.Id, false, "olga", "no account for now", default);
        await w.Engine.TickAsync(default);

        Assert.Equal(RunStatus.Failed, Assert.Single(await w.RunsAsync("approved-account")).Status);
        var enable = Assert.Single(await w.RunsAsync("enable-account"));
        Assert.Equal(RunStatus.Failed, enable.Status);
        Assert.Contains("has no account linked in directory", enable.Error);
        Assert.Empty(await w.AccountsAsync());
    }
}
