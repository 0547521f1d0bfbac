using Handoff.Data.Workflows;

namespace Handoff.Data.Tests.Workflows;

public sealed class RunAuditTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Audit_completeness_counts_every_committed_step_and_names_one_without_an_entry(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        var start = w.Clock.Now.AddMinutes(-1);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900500", "Ada", "Lovelace", "01/05/2020"));
        await w.ActivateAsync("""
            id: two-steps
            trigger: { manual: true }
            permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
            steps:
              - id: a
                uses: ticketing.create_ticket
                with: { title: 'A {{ first_name }}' }
              - id: b
                uses: ticketing.create_ticket
                with: { title: 'B {{ first_name }}' }
            """);
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900500")).Row.Id;
        await w.Engine.StartManualAsync("two-steps", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);

        var complete = await w.Spine.Audit.CompletenessAsync(start, w.Clock.Now.AddMinutes(1), default);
        Assert.Empty(complete.Missing);
        Assert.Equal(complete.Expected, complete.Logged);
        Assert.True(complete.Expected >= 2);

        // A step written behind the engine's back (no audit entry) is found and named.
        await using (var db = w.Spine.Db())
        {
            var run = (await w.RunsAsync()).Single();
            db.RunSteps.Add(new RunStepRow { RunId = run.Id, StepId = "sneaky", Uses = "ticketing.create_ticket", Status = "completed", StartedAt = w.Clock.Now, FinishedAt = w.Clock.Now.AddSeconds(5) });
            await db.SaveChangesAsync();
        }
        var incomplete = await w.Spine.Audit.CompletenessAsync(start, w.Clock.Now.AddMinutes(1), default);
        Assert.Equal(complete.Expected + 1, incomplete.Expected);
        Assert.Contains(incomplete.Missing, m => m.Contains("step sneaky") && m.Contains("has no audit entry"));
    }
}

public sealed class DeleteTwiceTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_delete_of_an_account_that_is_already_gone_counts_as_done_and_drops_the_link(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900600", "Ada", "Lovelace", "01/05/2020"));
        await w.ActivateAsync("""
            id: create
            trigger: { manual: true }
            permissions: { read: [employee_id, first_name, last_name], write: { directory: [account.create] } }
            steps:
              - id: create
                uses: directory.create_account
                with: { username: ada.l }
            """);
        await w.ActivateAsync("""
            id: remove
            trigger: { manual: true }
            permissions: { write: { directory: [account.delete] } }
            steps:
              - id: delete
                uses: directory.delete
            """);
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900600")).Row.Id;
        await w.Engine.StartManualAsync("create", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        var account = Assert.Single(await w.AccountsAsync());

        // Our own earlier delete went through, but its commit was lost: the account is gone, the link is not.
        var connector = new Connectors.Sandbox.SandboxConnectors(w.Spine.Definition, w.Spine.Database, w.Clock).Find("directory")!;
        await connector.ApplyAsync(new Core.Connectors.TargetOperation(Core.Connectors.TargetOperationKind.Delete, "account", account.NativeId, null,
            new Dictionary<string, object?>(), "earlier/delete"), default);

        await w.Engine.StartManualAsync("remove", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        Assert.Equal(RunStatus.Completed, (await w.RunsAsync("remove")).Single().Status);
        await using var db = w.Spine.Db();
        Assert.Empty(db.AccountLinks);
        Assert.Contains("already_applied", string.Join("", db.AuditEntries.Where(a => a.Action == "directory.delete").Select(a => a.FieldsJson)));
    }
}
