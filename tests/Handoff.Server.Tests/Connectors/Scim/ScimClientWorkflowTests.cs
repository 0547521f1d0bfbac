using System.Net;
using System.Text.Json.Nodes;
using Handoff.Connectors;
using Handoff.Connectors.Scim;
using Handoff.Core.Workspace;
using Handoff.Data.Tests;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Connectors.Scim;

/// <summary>The workflow engine, assembled as in production (<see cref="TargetConnectors.For"/>), runs
/// <c>app.*</c> steps against a <c>connector: scim-client</c> system — the Acme workspace with a SaaS
/// app added whose SCIM base is the <c>handoff serve</c> process of <see cref="ScimServerProcess"/>.</summary>
[Collection(ScimServerCollection.Name)]
public sealed class ScimClientWorkflowTests(ScimServerProcess server)
{
    private const string Joiner = """
        id: saas-joiner
        trigger: { manual: true }
        permissions:
          read: [employee_id, first_name, last_name, job_title]
          write: { saas: [account.create, account.enable, account.update, groups] }
        steps:
          - id: account
            uses: app.create_account
            target: saas
            with:
              username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}'
              email: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}@acme.example'
              groups: [ 'GROUP' ]
          - id: enable
            uses: app.enable
            target: saas
          - id: title
            uses: app.update_account
            target: saas
            with: { attributes: { title: '{{ job_title }}', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'R&D' } }
        """;

    private async Task<(DataSpine Spine, WorkflowEngine Engine, WorkflowStore Workflows)> StartAsync(string provider, string group)
    {
        var dir = Path.Combine(Path.GetTempPath(), "handoff-ws-scim-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        await File.AppendAllTextAsync(Path.Combine(dir, WorkspaceLoader.SystemsFile), $"""
              - id: saas
                name: A SaaS app over SCIM (here, another Handoff)
                kind: app
                connector: scim-client
                owner: it
                config:
                  url: {server.BaseUrl}
                  token_env: {server.TokenEnv}
                  update: patch
                  page_size: "50"

            """);
        var spine = await DataSpine.StartAsync(provider, workspaceDir: dir);
        var workflows = new WorkflowStore(spine.Database, spine.Clock, spine.Audit, spine.Workspace);
        var engine = new WorkflowEngine(spine.Database, spine.Clock, spine.Audit, spine.Workspace, workflows, spine.Keys,
            ws => TargetConnectors.For(ws, spine.Database, spine.Clock));
        var proposal = await workflows.ProposeAsync(Joiner.Replace("GROUP", group, StringComparison.Ordinal), "saas-joiner.yaml", "alice", default);
        await workflows.ApproveAsync($"{proposal.WorkflowId}@v{proposal.Version}", "hector", default);
        if (proposal.Widens.Count > 0)
            await workflows.ApproveAsync($"{proposal.WorkflowId}@v{proposal.Version}", "ivan", default);
        await workflows.ActivateAsync($"{proposal.WorkflowId}@v{proposal.Version}", "tara", default);
        return (spine, engine, workflows);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_joiner_workflow_creates_enables_and_updates_the_app_account_over_scim(string provider)
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var group = $"All staff {suffix}";
        var (created, groupJson) = await server.SendAsync(HttpMethod.Post, "/Groups", new JsonObject
        {
            ["schemas"] = new JsonArray(ScimPaths.GroupSchema),
            ["displayName"] = group,
        });
        Assert.True(created == HttpStatusCode.Created, groupJson?.ToJsonString());
        var last = "Scim" + suffix;
        // a handle, not an e-mail address: the engine numbers a taken value at its end (ada.x2, never ada.x@acme.example2)
        var wanted = $"ada.{last.ToLowerInvariant()}";
        // someone else already has the wanted userName in the app: the step must pick the next one
        var (taken, takenJson) = await server.SendAsync(HttpMethod.Post, "/Users", new JsonObject
        {
            ["schemas"] = new JsonArray(ScimPaths.UserSchema),
            ["userName"] = wanted,
            ["name"] = new JsonObject { ["givenName"] = "Other", ["familyName"] = "Person" },
        });
        Assert.True(taken == HttpStatusCode.Created, takenJson?.ToJsonString());

        var (spine, engine, _) = await StartAsync(provider, group);
        var employeeId = "6" + Random.Shared.Next(10_000_000, 99_999_999);
        await spine.SyncRecordsAsync("hris", WorkflowSpine.Worker(employeeId, "Ada", last, "01/05/2027"));
        var person = (await spine.PersonByKeyAsync("employee_id", employeeId)).Row.Id;
        await engine.StartManualAsync("saas-joiner", person, null, 1, "alice", default);
        for (var i = 0; i < 5; i++)
            await engine.TickAsync(default);

        await using var db = spine.Db();
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.WorkflowId == "saas-joiner");
        var steps = await db.RunSteps.AsNoTracking().Where(s => s.RunId == run.Id).ToListAsync();
        Assert.True(run.Status == RunStatus.Completed, $"run {run.Status}: {run.Error} {string.Join("; ", steps.Select(s => $"{s.StepId} {s.Status} {s.Error}"))}");
        var link = await db.AccountLinks.AsNoTracking().SingleAsync(l => l.System == "saas" && l.PersonId == person);
        var chosen = wanted + "2";
        Assert.Equal(chosen, link.Username);

        var user = await server.GetAsync("/Users/" + link.NativeId);
        Assert.Equal(chosen, user["userName"]!.ToString());
        Assert.Equal(employeeId, user["externalId"]!.ToString());
        Assert.True(user["active"]!.GetValue<bool>());
        Assert.Equal($"ada.{last.ToLowerInvariant()}@acme.example", user["emails"]![0]!["value"]!.ToString());
        Assert.Equal("Engineer", user["title"]!.ToString());
        Assert.Equal("R&D", user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]!["department"]!.ToString());
        Assert.Equal([group], user["groups"]!.AsArray().Select(g => g!["display"]!.ToString()));
        var byAnchor = await server.GetAsync("/Users?filter=" + Uri.EscapeDataString(ScimPaths.Equal("externalId", employeeId)));
        Assert.Equal(1, byAnchor["totalResults"]!.GetValue<int>());

        // Reconciliation reads the app through the same connector (paged): every user is read, the
        // account the run made is tied to its person, the name-squatter without an anchor is unmanaged.
        var reconciler = new Handoff.Data.Reconciliation.Reconciler(spine.Database, spine.Clock, spine.Audit, spine.Workspace, spine.Keys,
            ws => TargetConnectors.For(ws, spine.Database, spine.Clock));
        var report = await reconciler.RunAsync("saas", dryRun: true, "ivan", default);
        Assert.True(report.Report.Status == "completed", report.Report.Status);
        Assert.Equal((await server.GetAsync("/Users?count=0"))["totalResults"]!.GetValue<int>(), report.Report.Accounts);
        Assert.DoesNotContain(report.Items, i => i.NativeId == link.NativeId && i.Class is "unmanaged" or "orphan");
        Assert.Contains(report.Items, i => i.NativeId == takenJson!["id"]!.ToString() && i.Class == "unmanaged");
    }
}
