using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Workflows;

/// <summary>Least privilege at propose and at run time, thresholds on mass disables, activation under
/// the charter, and simulation without side effects.</summary>
public sealed class GuardrailTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Propose_refuses_a_workflow_that_reads_more_than_it_declares(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        var error = await Assert.ThrowsAsync<WorkspaceValidationException>(() => w.Workflows.ProposeAsync("""
            id: greedy
            trigger: { manual: true }
            permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
            steps:
              - id: t
                uses: ticketing.create_ticket
                with: { title: '{{ first_name }} earns {{ salary }}' }
            """, "greedy.yaml", "alice", default));
        var e = Assert.Single(error.Errors);
        Assert.Equal(("greedy.yaml", 7), (e.File, e.Line));
        Assert.Contains("step \"t\" (ticketing.create_ticket), input \"title\" reads \"salary\", which permissions.read does not declare", e.Message);
        await using var db = w.Spine.Db();
        Assert.Empty(await db.WorkflowVersions.ToListAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_write_the_dictionary_stopped_authorizing_is_blocked_at_run_time_and_audited_as_an_incident(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900200", "Ada", "Lovelace", "01/05/2020"));
        await w.ActivateAsync("""
            id: pre-hire
            trigger: { manual: true }
            permissions: { read: [first_name], write: { canonical: [work_email] } }
            steps:
              - id: mail
                uses: set_field
                with: { field: work_email, value: '{{ first_name | downcase }}@acme.example' }
            """);
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900200")).Row.Id;
        await w.Engine.StartManualAsync("pre-hire", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        Assert.Equal("ada@acme.example", (await w.Spine.PersonByKeyAsync("employee_id", "900200")).Values["work_email"].Value);
        Assert.Equal("workflow:pre-hire", (await w.Spine.PersonByKeyAsync("employee_id", "900200")).Values["work_email"].System);
        // work_email is a correlation key: the written value finds the person, like a source's would.
        Assert.Equal(person, (await w.Spine.PersonByKeyAsync("work_email", "ada@acme.example")).Row.Id);

        // HR and IT take the workflow off the field's writers; the approved workflow's next write is blocked.
        var dictionary = File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "dictionary.yaml")).Replace("writers: [workflow:pre-hire, hr-scim]", "writers: [hr-scim]");
        var version = await w.Spine.Workspace.ProposeAsync(dictionary, "dictionary.yaml", "hector", "stop workflow writes", default);
        await w.Spine.Workspace.ApproveAsync(version, "alice", default);
        await w.Spine.Workspace.ApproveAsync(version, "ivan", default);

        await w.Engine.StartManualAsync("pre-hire", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var run = (await w.RunsAsync()).Last();
        Assert.Equal(RunStatus.Failed, run.Status);
        var step = Assert.Single(await w.StepsAsync(run.Id));
        Assert.Equal("blocked", step.Status);
        Assert.Contains("does not authorize workflow:pre-hire to write it", step.Error);
        await using var db = w.Spine.Db();
        var incident = await db.AuditEntries.SingleAsync(a => a.Action == "workflow.write_blocked");
        Assert.Contains("security_incident", incident.FieldsJson);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Undeclared_fields_are_invisible_at_run_time(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900210", "Ada", "Lovelace", "01/05/2020"));
        await w.ActivateAsync("""
            id: names
            trigger: { manual: true }
            permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
            steps:
              - id: t
                uses: ticketing.create_ticket
                with: { title: 'Hello {{ first_name }}' }
            """);
        // The run sees only declared fields, whatever the engine holds.
        var person = await w.Spine.PersonByKeyAsync("employee_id", "900210");
        var workspace = (await w.Spine.Workspace.LoadActiveAsync(default)).Definition;
        var view = PersonView.Of(person.Row, workspace.Dictionary, new Data.Security.FieldProtection(workspace.Dictionary, w.Spine.Keys),
            w.Workflows.Parse((await w.Workflows.ListAsync(default)).Single()).Permissions);
        Assert.Equal(["first_name"], view.Visible.Keys);
        Assert.True(view.All.ContainsKey("last_name"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_mass_termination_past_the_threshold_is_held_for_an_approver(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        // Acme's directory holds disables above 10 a day or 20 % of its linked accounts.
        await w.ActivateAsync("""
            id: create
            trigger: { event: person.active }
            permissions: { read: [employee_id, first_name, last_name], write: { directory: [account.create] } }
            steps:
              - id: a
                uses: directory.create_account
                with: { username: 'u{{ employee_id }}', enabled: true }
            """);
        await w.ActivateSampleAsync("offboarding");
        var workers = Enumerable.Range(0, 20).Select(i => WorkflowSpine.Worker($"9003{i:00}", "Worker", $"N{i}", "01/05/2020")).ToArray();
        await w.Spine.SyncRecordsAsync("hris", workers);
        await w.Engine.TickAsync(default);
        Assert.Equal(20, (await w.AccountsAsync()).Count(a => a.Enabled));

        // An export that suddenly terminates 6 of 20 (30 %): 4 are disabled (20 %), 2 are held.
        var terminated = workers.Select((r, i) => i < 6 ? new Dictionary<string, string?>(r) { ["Termination_Date"] = "11/26/2026" } : r).ToArray();
        await w.Spine.SyncRecordsAsync("hris", terminated);
        await w.Engine.TickAsync(default);
        Assert.Equal(4, (await w.AccountsAsync()).Count(a => !a.Enabled));
        var held = await w.Engine.ListStagedAsync(heldOnly: true, default);
        Assert.Equal(2, held.Count);
        Assert.All(held, h => Assert.Contains("above the threshold of 20 %", h.Reason));
        Assert.Equal(2, (await w.RunsAsync("offboarding")).Count(r => r.Status == RunStatus.Waiting && r.WaitingFor == "threshold"));

        await Assert.ThrowsAsync<ApprovalRefusedException>(() => w.Engine.DecideStagedAsync(null, "directory", true, "olga", default));
        Assert.Equal(2, await w.Engine.DecideStagedAsync(null, "directory", true, "ivan", default));
        await w.Engine.TickAsync(default);
        Assert.Equal(6, (await w.AccountsAsync()).Count(a => !a.Enabled));
        Assert.All(await w.RunsAsync("offboarding"), r => Assert.Equal(RunStatus.Completed, r.Status));
        Assert.Contains("workflow.staged_released", await w.AuditActionsAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Logic_changes_need_HR_and_wider_permissions_need_IT_too_two_different_people(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        const string v1 = """
            id: tix
            trigger: { manual: true }
            permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
            steps:
              - id: t
                uses: ticketing.create_ticket
                with: { title: 'For {{ first_name }}' }
            """;
        var first = await w.Workflows.ProposeAsync(v1, "tix.yaml", "alice", default);
        Assert.NotEmpty(first.Widens); // the first version grants everything it asks for
        await Assert.ThrowsAsync<ApprovalRefusedException>(() => w.Workflows.ApproveAsync("tix@v1", "alice", default)); // the author
        await Assert.ThrowsAsync<ApprovalRefusedException>(() => w.Workflows.ApproveAsync("tix@v1", "olga", default)); // not an approver
        var hrOnly = await w.Workflows.ApproveAsync("tix@v1", "hector", default);
        Assert.Contains("IT approver", hrOnly.StillNeeded);
        var error = await Assert.ThrowsAsync<WorkflowStateException>(() => w.Workflows.ActivateAsync("tix@v1", "hector", default));
        Assert.Contains("needs an IT approver", error.Message);
        await w.Workflows.ApproveAsync("tix@v1", "ivan", default);
        await w.Workflows.ActivateAsync("tix@v1", "hector", default);

        // Logic only: HR's sign-off is enough.
        var logic = await w.Workflows.ProposeAsync(v1.Replace("'For {{ first_name }}'", "'Laptop for {{ first_name }}'"), "tix.yaml", "alice", default);
        Assert.Empty(logic.Widens);
        Assert.Equal(WorkflowVersionStatus.Approved, (await w.Workflows.ApproveAsync("tix@v2", "hector", default)).Status);
        await w.Workflows.ActivateAsync("tix@v2", "hector", default);

        // Wider: reading one more field needs IT as well.
        var wider = await w.Workflows.ProposeAsync(v1.Replace("read: [first_name]", "read: [first_name, department]"), "tix.yaml", "alice", default);
        Assert.Equal(["read department"], wider.Widens);
        Assert.Equal(WorkflowVersionStatus.Proposed, (await w.Workflows.ApproveAsync("tix@v3", "hector", default)).Status);
        var versions = await w.Workflows.ListAsync(default);
        Assert.Equal([WorkflowVersionStatus.Retired, WorkflowVersionStatus.Active, WorkflowVersionStatus.Proposed], versions.Select(v => v.Status));
        Assert.Contains("widens permissions: read department", await w.Workflows.DiffAsync("tix@v2", "tix@v3", default));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Simulation_shows_writes_and_failures_and_changes_nothing(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        var loaded = Core.Workflows.WorkflowLoader.LoadFile(Path.Combine(Repository.AcmeWorkspace, "workflows", "pre-hire.yaml"), w.Spine.Definition);
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors));

        var report = await w.Simulator.ForGeneratedAsync(loaded.Workflow!, 200, seed: 7, default);
        Assert.Equal(200, report.Runs.Count);
        Assert.True(report.Writes > 100);
        // Usernames stay unique across the simulated population and fit sAMAccountName's 20 characters.
        var usernames = report.Runs.SelectMany(r => r.Steps).Where(s => s.StepId == "account" && s.Outcome == "write")
            .Select(s => s.Detail.Split("username=")[1].Split(',')[0]).ToList();
        Assert.Equal(usernames.Count, usernames.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(usernames, u => Assert.True(u.Length <= 20, u));
        Assert.Contains(report.Runs, r => r.Defect == "common name (username collision)");
        Assert.Contains(usernames, u => u.StartsWith("john.smith", StringComparison.Ordinal) && u != "john.smith");

        await using var db = w.Spine.Db();
        Assert.Empty(await db.SandboxObjects.ToListAsync());
        Assert.Empty(await db.Runs.ToListAsync());
        Assert.Empty(await db.People.ToListAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Simulation_reports_the_step_that_would_fail_and_why(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900400", "Ada", "Lovelace", "01/05/2020"));
        var loaded = Core.Workflows.WorkflowLoader.Load("""
            id: enable-only
            trigger: { manual: true }
            permissions: { read: [first_name], write: { directory: [account.enable] } }
            steps:
              - id: enable
                uses: directory.enable
            """, "enable.yaml", w.Spine.Definition);
        var report = await w.Simulator.ForPeopleAsync(loaded.Workflow!, null, "employee_id eq \"900400\"", 10, default);
        var step = Assert.Single(Assert.Single(report.Runs).Steps);
        Assert.Equal("fail", step.Outcome);
        Assert.Contains("has no account linked in directory", step.Detail);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Simulation_of_real_people_sees_their_accounts_and_marks_generated_people(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris",
            WorkflowSpine.Worker("900410", "Ada", "Lovelace", "01/05/2020"),
            WorkflowSpine.Worker("900411", "Alan", "Turing", "01/05/2020"),
            WorkflowSpine.Worker("900412", "No", "Account", "01/05/2020", department: "Finance"));
        await w.Engine.TickAsync(default);
        await w.ActivateSampleAsync("directory-baseline");
        await w.Engine.StartManualAsync("directory-baseline", null, "department eq \"Engineering\"", 10, "tara", default);
        await w.Engine.RunDueAsync(10, default);
        var accountsBefore = (await w.AccountsAsync()).Select(a => (a.NativeId, a.Enabled, a.AttributesJson)).OrderBy(a => a.NativeId).ToList();
        Assert.Equal(2, accountsBefore.Count);
        var offboarding = Core.Workflows.WorkflowLoader.LoadFile(Path.Combine(Repository.AcmeWorkspace, "workflows", "offboarding.yaml"), w.Spine.Definition).Workflow!;

        var report = await w.Simulator.ForPeopleAsync(offboarding, null, null, 10, default);

        Assert.Equal(3, report.Runs.Count);
        Assert.All(report.Runs, r => Assert.False(r.Generated));
        foreach (var name in new[] { "Ada Lovelace", "Alan Turing" })
        {
            var run = Assert.Single(report.Runs, r => r.PersonName == name);
            Assert.False(run.WouldFail, string.Join("; ", run.Steps.Select(s => $"{s.StepId}: {s.Outcome} {s.Detail}")));
            Assert.Equal("write", Assert.Single(run.Steps, s => s.StepId == "disable").Outcome);
            Assert.Equal("write", Assert.Single(run.Steps, s => s.StepId == "expire").Outcome);
            Assert.Contains("directory", run.Accounts.Keys);
        }
        // The one without an account really has none: that is what the simulation says.
        var none = Assert.Single(report.Runs, r => r.PersonName == "No Account");
        Assert.Contains("has no account linked in directory", Assert.Single(none.Steps, s => s.StepId == "expire").Detail);
        Assert.Empty(none.Accounts);

        var generated = await w.Simulator.ForGeneratedAsync(offboarding, 3, seed: 1, default);
        Assert.All(generated.Runs, r => Assert.True(r.Generated));

        // Read-only: nothing was written anywhere.
        Assert.Equal(accountsBefore, (await w.AccountsAsync()).Select(a => (a.NativeId, a.Enabled, a.AttributesJson)).OrderBy(a => a.NativeId).ToList());
        await using var db = w.Spine.Db();
        Assert.Equal(2, await db.AccountLinks.CountAsync());
        Assert.Equal(2, await db.Runs.CountAsync());
        Assert.Empty(await db.SandboxObjects.Where(o => o.ObjectClass == "ticket").ToListAsync());
    }
}
