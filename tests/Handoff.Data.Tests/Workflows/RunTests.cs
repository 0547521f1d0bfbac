using Handoff.Data.Sandbox;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Workflows;

/// <summary>Runs: waits and approvals as bookmarks, retries, failures, cancel and retry, pinned versions, history.</summary>
public sealed class RunTests
{
    private static async Task<(WorkflowSpine W, Guid Person)> WithPersonAsync(string provider, string yaml, string? personalEmail = null)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900100", "Ada", "Lovelace", "01/05/2020", personalEmail: personalEmail));
        await w.Engine.TickAsync(default);
        await w.ActivateAsync(yaml);
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900100")).Row.Id;
        return (w, person);
    }

    private const string WaitThenTicket = """
        id: wait-then-ticket
        trigger: { manual: true }
        permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
        steps:
          - id: pause
            uses: wait
            with: { for: 2d }
          - id: t
            uses: ticketing.create_ticket
            with: { title: 'After the wait: {{ first_name }}' }
        """;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_wait_parks_the_run_without_a_worker_and_resumes_when_due(string provider)
    {
        var (w, person) = await WithPersonAsync(provider, WaitThenTicket);
        await w.Engine.StartManualAsync("wait-then-ticket", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal((RunStatus.Waiting, "timer", (string?)null), (run.Status, run.WaitingFor, run.LeaseOwner));
        Assert.Equal(w.Clock.Now.AddDays(2), run.DueAt);

        w.Clock.Now = w.Clock.Now.AddDays(1);
        Assert.Equal(0, (await w.Engine.TickAsync(default)).Executed);
        Assert.Empty(await w.ObjectsAsync("servicedesk", "ticket"));

        w.Clock.Now = w.Clock.Now.AddDays(1).AddMinutes(1);
        await w.Engine.TickAsync(default);
        Assert.Equal(RunStatus.Completed, Assert.Single(await w.RunsAsync()).Status);
        Assert.Single(await w.ObjectsAsync("servicedesk", "ticket"));
    }

    private const string Approval = """
        id: needs-approval
        trigger: { manual: true }
        permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
        steps:
          - id: ok
            uses: approval
            with: { role: it_operator, timeout: 3d, escalate_to: it_admin, escalate_after: 1d }
          - id: t
            uses: ticketing.create_ticket
            with: { title: 'Approved for {{ first_name }} by {{ steps.ok.approved_by }}' }
        """;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_approval_waits_for_the_role_then_the_run_continues(string provider)
    {
        var (w, person) = await WithPersonAsync(provider, Approval);
        await w.Engine.StartManualAsync("needs-approval", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var task = Assert.Single(await w.Engine.ListTasksAsync(openOnly: true, default));
        Assert.Equal("it_operator", task.Role);

        // tara is it_admin: before escalation she may not decide; olga (it_operator) may.
        var refused = await Assert.ThrowsAsync<ApprovalRefusedException>(() => w.Engine.DecideAsync(task.Id, true, "tara", null, default));
        Assert.Contains("needs the role it_operator", refused.Message);
        await w.Engine.DecideAsync(task.Id, true, "olga", "laptop in stock", default);
        await w.Engine.TickAsync(default);

        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Contains("Approved for Ada by olga", Assert.Single(await w.ObjectsAsync("servicedesk", "ticket")).AttributesJson);
        Assert.Contains("workflow.approval_granted", await w.AuditActionsAsync(run.Id.ToString("N")));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_unanswered_approval_escalates_then_expires(string provider)
    {
        var (w, person) = await WithPersonAsync(provider, Approval);
        await w.Engine.StartManualAsync("needs-approval", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        Assert.Single(await w.Engine.ListTasksAsync(openOnly: true, default));

        w.Clock.Now = w.Clock.Now.AddDays(1).AddMinutes(1);
        await w.Engine.TickAsync(default);
        Assert.True(Assert.Single(await w.Engine.ListTasksAsync(openOnly: true, default)).Escalated);
        Assert.Equal(RunStatus.Waiting, Assert.Single(await w.RunsAsync()).Status);

        w.Clock.Now = w.Clock.Now.AddDays(2);
        await w.Engine.TickAsync(default);
        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("no decision within 3", run.Error);
        Assert.Empty(await w.ObjectsAsync("servicedesk", "ticket"));
        Assert.Empty(await w.Engine.ListTasksAsync(openOnly: true, default));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_rejection_fails_the_run(string provider)
    {
        var (w, person) = await WithPersonAsync(provider, Approval);
        await w.Engine.StartManualAsync("needs-approval", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var task = Assert.Single(await w.Engine.ListTasksAsync(openOnly: true, default));
        await w.Engine.DecideAsync(task.Id, false, "olga", "not this one", default);
        await w.Engine.TickAsync(default);
        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("rejected by olga: not this one", run.Error);
    }

    private const string Ticket = """
        id: ticket
        trigger: { manual: true }
        permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
        steps:
          - id: t
            uses: ticketing.create_ticket
            retry: { attempts: 3, delay: 10ms }
            with: { title: 'For {{ first_name }}' }
        """;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Transient_failures_are_retried_with_backoff_in_process(string provider)
    {
        var (w, person) = await WithPersonAsync(provider, Ticket);
        await w.FaultAsync("servicedesk", SandboxFaultMode.Down, count: 2);
        await w.Engine.StartManualAsync("ticket", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(3, Assert.Single(await w.StepsAsync(run.Id)).Attempts);
        Assert.Single(await w.ObjectsAsync("servicedesk", "ticket"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_system_that_stays_down_parks_the_run_for_a_durable_retry_and_loses_nothing(string provider)
    {
        var (w, person) = await WithPersonAsync(provider, Ticket);
        await w.FaultAsync("servicedesk", SandboxFaultMode.Down);
        await w.Engine.StartManualAsync("ticket", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal((RunStatus.Queued, "retry", 1), (run.Status, run.WaitingFor, run.RetryCount));
        Assert.True(run.DueAt > w.Clock.Now);

        await w.ClearFaultsAsync("servicedesk");
        w.Clock.Now = run.DueAt.AddSeconds(1);
        await w.Engine.TickAsync(default);
        Assert.Equal(RunStatus.Completed, Assert.Single(await w.RunsAsync()).Status);
        Assert.Single(await w.ObjectsAsync("servicedesk", "ticket"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_permanent_failure_stops_the_run_unless_the_step_continues_on_error(string provider)
    {
        var (w, person) = await WithPersonAsync(provider, """
            id: two-tickets
            trigger: { manual: true }
            permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
            steps:
              - id: first
                uses: ticketing.create_ticket
                continue_on_error: true
                with: { title: 'First for {{ first_name }}' }
              - id: second
                uses: ticketing.create_ticket
                with: { title: 'Second for {{ first_name }}' }
            """);
        await w.FaultAsync("servicedesk", SandboxFaultMode.SchemaViolation, count: 1);
        await w.Engine.StartManualAsync("two-tickets", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal(RunStatus.CompletedWithErrors, run.Status);
        Assert.Equal(["failed", "completed"], (await w.StepsAsync(run.Id)).Select(s => s.Status));

        await w.FaultAsync("servicedesk", SandboxFaultMode.SchemaViolation, count: 2);
        await w.Engine.StartManualAsync("two-tickets", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var second = (await w.RunsAsync()).Last();
        Assert.Equal(RunStatus.Failed, second.Status);
        Assert.StartsWith("step second:", second.Error);

        // Retry from the failed step once the system is fixed: earlier steps are not repeated.
        await w.Engine.RetryAsync(second.Id, null, "ivan", default);
        await w.Engine.TickAsync(default);
        Assert.Equal(RunStatus.Completed, (await w.RunsAsync()).Last().Status);
        Assert.Equal(2, (await w.ObjectsAsync("servicedesk", "ticket")).Count);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_canceled_run_stops_and_its_approval_closes(string provider)
    {
        var (w, person) = await WithPersonAsync(provider, Approval);
        await w.Engine.StartManualAsync("needs-approval", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var run = Assert.Single(await w.RunsAsync());
        await w.Engine.CancelAsync(run.Id, "ivan", default);
        w.Clock.Now = w.Clock.Now.AddDays(5);
        await w.Engine.TickAsync(default);
        Assert.Equal(RunStatus.Canceled, Assert.Single(await w.RunsAsync()).Status);
        Assert.Equal("canceled", Assert.Single(await w.Engine.ListTasksAsync(openOnly: false, default)).Status);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_run_keeps_the_version_it_started_with(string provider)
    {
        var (w, person) = await WithPersonAsync(provider, WaitThenTicket);
        await w.Engine.StartManualAsync("wait-then-ticket", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        await w.ActivateAsync(WaitThenTicket.Replace("After the wait", "Version two"));
        w.Clock.Now = w.Clock.Now.AddDays(3);
        await w.Engine.TickAsync(default);
        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal(1, run.Version);
        Assert.Contains("After the wait", Assert.Single(await w.ObjectsAsync("servicedesk", "ticket")).AttributesJson);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task History_export_redacts_inputs_that_read_sensitive_fields(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        var record = WorkflowSpine.Worker("900110", "Ada", "Lovelace", "01/05/2020");
        record["National_ID"] = "123-45-6789";
        await w.Spine.SyncRecordsAsync("hris", record);
        await w.ActivateAsync("""
            id: id-check
            trigger: { manual: true }
            permissions: { read: [first_name, national_id], write: { servicedesk: [ticket.create] } }
            steps:
              - id: t
                uses: ticketing.create_ticket
                with: { title: 'Verify {{ first_name }}', body: 'National id {{ national_id }}' }
            """);
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900110")).Row.Id;
        await w.Engine.StartManualAsync("id-check", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var csv = new StringWriter();
        await w.Engine.ExportCsvAsync(csv, new RunQuery(), default);
        var text = csv.ToString();
        Assert.Contains("Verify Ada", text);
        Assert.Contains("[redacted]", text);
        Assert.DoesNotContain("123-45-6789", text);
        await using var db = w.Spine.Db();
        Assert.DoesNotContain("123-45-6789", string.Join("", await db.RunSteps.Select(s => s.InputsJson + s.OutputsJson).ToListAsync()));
        Assert.DoesNotContain("123-45-6789", string.Join("", await db.AuditEntries.Select(a => a.FieldsJson).ToListAsync()));
    }
}
