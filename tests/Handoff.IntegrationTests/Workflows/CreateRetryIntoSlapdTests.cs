using Handoff.Connectors;
using Handoff.Connectors.Ldap;
using Handoff.Data.Tests;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;
using Handoff.IntegrationTests.Connectors.Ldap;
using Microsoft.EntityFrameworkCore;

namespace Handoff.IntegrationTests.Workflows;

/// <summary>
/// The engine's create step after a lost commit, against the real slapd: the account was added (the
/// process died before the step's commit), so its username is "taken" — but by the person's own
/// entry (same anchor). The retried step must pick the same name and find that entry, not make a
/// second account under the next free name (the crash wave of the fault suite found 8 such doubles
/// when the connector stopped searching before each add).
/// </summary>
public sealed class CreateRetryIntoSlapdTests
{
    private const string Joiner = """
        id: retry-joiner
        trigger: { event: person.pre_hire }
        permissions:
          read: [employee_id, first_name, last_name]
          write: { directory: [account.create] }
        steps:
          - id: account
            uses: directory.create_account
            with: { username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}' }
        """;

    [Fact]
    public async Task A_create_whose_commit_was_lost_links_the_persons_own_entry_and_makes_no_second_one()
    {
        var slapd = TestDirectory.OpenLdap;
        var ou = $"ou=people-retry-{Guid.NewGuid().ToString("N")[..6]},ou=Handoff Tests";
        var workspace = LdapWorkspace.CopyAcme(slapd, ou, rdn: "uid");
        var spine = await DataSpine.StartAsync(TestDatabases.Sqlite, workspaceDir: workspace);
        var workflows = new WorkflowStore(spine.Database, spine.Clock, spine.Audit, spine.Workspace);
        var engine = new WorkflowEngine(spine.Database, spine.Clock, spine.Audit, spine.Workspace, workflows, spine.Keys,
            ws => TargetConnectors.For(ws, spine.Database, spine.Clock), new EngineOptions { Workers = 1 });

        // The earlier attempt's add, as the connector made it, before the process died.
        var id = "9" + Random.Shared.Next(100_000, 999_999);
        var last = "Retry" + Guid.NewGuid().ToString("N")[..6];
        var username = $"ada.{last.ToLowerInvariant()}";
        using (var connector = new LdapConnector("directory", LdapSettings.From(spine.Definition.FindSystem("directory")!)))
            await connector.ApplyAsync(Ops.Create(id, Ops.Person(username, "Ada", last)), default);
        // Someone else holds the next name: a doubled create would take ada.<last>3 and go unnoticed by name alone.
        using (var connector = new LdapConnector("directory", LdapSettings.From(spine.Definition.FindSystem("directory")!)))
            await connector.ApplyAsync(Ops.Create("8" + id[1..], Ops.Person(username + "2", "Other", last)), default);

        var proposal = await workflows.ProposeAsync(Joiner, "retry-joiner.yaml", "alice", default);
        var reference = $"{proposal.WorkflowId}@v{proposal.Version}";
        await workflows.ApproveAsync(reference, "hector", default);
        if (proposal.Widens.Count > 0)
            await workflows.ApproveAsync(reference, "ivan", default);
        await workflows.ActivateAsync(reference, "tara", default);
        await spine.SyncRecordsAsync("hris", WorkflowSpine.Worker(id, "Ada", last, "02/01/2027"));
        for (var i = 0; i < 5; i++)
            await engine.TickAsync(default);

        await using var db = spine.Db();
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.WorkflowId == "retry-joiner");
        var steps = await db.RunSteps.AsNoTracking().Where(s => s.RunId == run.Id).Select(s => s.StepId + " " + s.Status + " " + s.Error + " " + s.OutputsJson).ToListAsync();
        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {string.Join("; ", steps)}");
        var dn = Assert.Single(slapd.Find($"(employeeNumber={id})"));
        var link = await db.AccountLinks.AsNoTracking().SingleAsync();
        Assert.Equal(username, link.Username);
        Assert.Equal(dn, link.NativeId, ignoreCase: true);
        Assert.Empty(slapd.Find($"(uid={username}3)"));
    }
}
