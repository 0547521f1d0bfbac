using Handoff.Connectors;
using Handoff.Data.Tests;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;
using Handoff.IntegrationTests.Connectors.Ldap;
using Microsoft.EntityFrameworkCore;

namespace Handoff.IntegrationTests.Workflows;

/// <summary>The workflow engine, assembled as in production (<see cref="TargetConnectors.For"/>), runs
/// pre-hire steps against the real slapd: the Acme workspace with its directory switched from the
/// sandbox to <c>connector: ldap</c>.</summary>
public sealed class PreHireIntoSlapdTests
{
    private const string PreHire = """
        id: pre-hire
        name: Pre-hire into OpenLDAP (the dictionary lets workflow pre-hire write work_email)
        trigger: { manual: true }
        permissions:
          read: [employee_id, first_name, last_name, department, job_title, work_email]
          write:
            directory: [account.create, account.update, groups]
            canonical: [work_email]
        steps:
          - id: account
            uses: directory.create_account
            with:
              username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}'
              enabled: false
              container: 'ou={{ department | slug }},ou=People'
              attributes: { title: '{{ job_title }}', departmentNumber: '{{ department }}' }
          - id: work-email
            uses: set_field
            when: 'not (work_email pr)'
            with: { field: work_email, value: '{{ steps.account.username }}@acme.example' }
          - id: mail-attribute
            uses: directory.update_account
            with: { email: '{{ steps.account.username }}@acme.example' }
          - id: groups
            uses: directory.add_to_groups
            with: { groups: [ 'all-staff', 'dept-{{ department | slug }}' ] }
        """;

    [Fact]
    public async Task A_synced_person_runs_pre_hire_and_the_account_is_in_slapd()
    {
        var slapd = TestDirectory.OpenLdap;
        var workspace = LdapWorkspace.CopyAcme(slapd);
        var spine = await DataSpine.StartAsync(TestDatabases.Sqlite, workspaceDir: workspace);
        var workflows = new WorkflowStore(spine.Database, spine.Clock, spine.Audit, spine.Workspace);
        var engine = new WorkflowEngine(spine.Database, spine.Clock, spine.Audit, spine.Workspace, workflows, spine.Keys,
            ws => TargetConnectors.For(ws, spine.Database, spine.Clock), new EngineOptions { Workers = 2 });

        var employeeId = "9" + Random.Shared.Next(10_000, 99_999);
        var last = "Ldap" + Guid.NewGuid().ToString("N")[..6];
        await spine.SyncRecordsAsync("hris", WorkflowSpine.Worker(employeeId, "Ada", last, "01/05/2027", department: "Research Lab"));
        await engine.TickAsync(default);
        var proposal = await workflows.ProposeAsync(PreHire, "pre-hire-ldap.yaml", "alice", default);
        await workflows.ApproveAsync($"{proposal.WorkflowId}@v{proposal.Version}", "hector", default);
        if (proposal.Widens.Count > 0)
            await workflows.ApproveAsync($"{proposal.WorkflowId}@v{proposal.Version}", "ivan", default);
        await workflows.ActivateAsync($"{proposal.WorkflowId}@v{proposal.Version}", "tara", default);
        var person = (await spine.PersonByKeyAsync("employee_id", employeeId)).Row.Id;

        await engine.StartManualAsync("pre-hire", person, null, 1, "alice", default);
        for (var i = 0; i < 5; i++)
            await engine.TickAsync(default);

        await using var db = spine.Db();
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.WorkflowId == "pre-hire");
        var steps = await db.RunSteps.AsNoTracking().Where(s => s.RunId == run.Id).ToListAsync();
        Assert.True(run.Status == RunStatus.Completed, $"run {run.Status}: {string.Join("; ", steps.Select(s => $"{s.StepId} {s.Status} {s.Error}"))}");

        var username = $"ada.{last.ToLowerInvariant()}";
        var dn = Assert.Single(slapd.Find($"(employeeNumber={employeeId})"));
        Assert.Equal($"uid={username},ou=research-lab,ou=People,{slapd.BaseDn}", dn, ignoreCase: true);
        var entry = slapd.Read(dn)!;
        Assert.Equal(username, entry["uid"].Single());
        Assert.Equal($"Ada {last}", entry["cn"].Single());
        Assert.Equal(last, entry["sn"].Single());
        Assert.Equal("Engineer", entry["title"].Single());
        Assert.Equal("Research Lab", entry["departmentNumber"].Single());
        Assert.Equal($"{username}@acme.example", entry["mail"].Single());
        Assert.Equal("000001010000Z", entry["pwdAccountLockedTime"].Single());
        Assert.Contains(dn, slapd.Read($"cn=all-staff,ou=Groups,{slapd.BaseDn}", "member")!["member"], StringComparer.OrdinalIgnoreCase);
        Assert.Contains(dn, slapd.Read($"cn=dept-research-lab,ou=Groups,{slapd.BaseDn}", "member")!["member"], StringComparer.OrdinalIgnoreCase);
    }
}
