using System.Text;
using System.Text.Json;
using Handoff.Connectors.Webhook;
using Handoff.Core.Workspace;
using Handoff.Data.Tests;
using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Connectors.Tests.Http;

/// <summary>The <c>http.call</c> step through the engine to a real loopback server: signed, idempotent,
/// its answer used by the next step; a 503 retried, a 400 failing the step.</summary>
public sealed class HttpCallWorkflowTests
{
    private const string Workflow = """
        id: badge
        trigger: { manual: true }
        permissions:
          read: [first_name, last_name, start_date]
          write: { badge-office: [http.call], servicedesk: [ticket.create] }
        steps:
          - id: badge
            uses: http.call
            retry: { attempts: 3, delay: 10ms }
            with:
              path: badges
              body: '{"name": {{ first_name | append: " " | append: last_name | json }}, "from": {{ start_date | json }}}'
          - id: ticket
            uses: ticketing.create_ticket
            with: { title: 'Badge {{ steps.badge.id }} for {{ first_name }}' }
        """;

    private static async Task<(DataSpine Spine, WorkflowEngine Engine)> StartAsync(string provider, string url, string secretEnv)
    {
        var dir = Path.Combine(Path.GetTempPath(), "handoff-ws-http-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        await File.AppendAllTextAsync(Path.Combine(dir, WorkspaceLoader.SystemsFile), $"""
              - id: badge-office
                name: Badge office (custom extension)
                kind: other
                connector: http
                owner: it
                config:
                  url: {url}
                  secret_env: {secretEnv}

            """);
        var spine = await DataSpine.StartAsync(provider, workspaceDir: dir);
        var workflows = new WorkflowStore(spine.Database, spine.Clock, spine.Audit, spine.Workspace);
        var engine = new WorkflowEngine(spine.Database, spine.Clock, spine.Audit, spine.Workspace, workflows, spine.Keys,
            ws => TargetConnectors.For(ws, spine.Database, spine.Clock));
        await workflows.ProposeAsync(Workflow, "badge.yaml", "alice", default);
        await workflows.ApproveAsync("badge", "hector", default);
        await workflows.ApproveAsync("badge", "ivan", default);
        await workflows.ActivateAsync("badge", "tara", default);
        await spine.SyncRecordsAsync("hris", new Dictionary<string, string?>
        {
            ["Employee_ID"] = "900700",
            ["Legal_First_Name"] = "Zoë",
            ["Legal_Last_Name"] = "O'Brien \"Z\"",
            ["Employment_Begin_Date"] = "12/02/2026",
            ["Department"] = "Engineering",
            ["Worker_Type"] = "Regular",
        });
        return (spine, engine);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_custom_extension_is_called_signed_and_its_answer_feeds_the_next_step(string provider)
    {
        using var server = new LoopbackServer();
        var calls = 0;
        server.Answer = _ => Interlocked.Increment(ref calls) == 1 ? (503, "{\"error\":\"warming up\"}", null) : (201, "{\"id\":\"B-501\"}", null);
        var secretEnv = "HANDOFF_TEST_BADGE_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(secretEnv, "badge-secret");
        var (spine, engine) = await StartAsync(provider, server.Url, secretEnv);
        var person = (await spine.PersonByKeyAsync("employee_id", "900700")).Row.Id;

        await engine.StartManualAsync("badge", person, null, 1, "alice", default);
        await engine.RunDueAsync(10, default);

        await using var db = spine.Db();
        var run = await db.Runs.SingleAsync();
        Assert.Equal(RunStatus.Completed, run.Status);
        var steps = await db.RunSteps.Where(s => s.RunId == run.Id).OrderBy(s => s.Id).ToListAsync();
        Assert.Equal(2, steps[0].Attempts); // the 503 was retried
        Assert.Equal("Badge B-501 for Zoë", JsonDocument.Parse((await db.SandboxObjects.SingleAsync(o => o.ObjectClass == "ticket")).AttributesJson).RootElement.GetProperty("title").GetString());

        Assert.Equal(2, server.Requests.Count);
        var request = server.Requests.Last();
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("Zoë O'Brien \"Z\"", body.RootElement.GetProperty("name").GetString());
        Assert.Equal("2026-12-02", body.RootElement.GetProperty("from").GetString());
        Assert.Equal($"{run.Id:N}/badge", request.Headers[WebhookSignature.IdempotencyHeader]);
        Assert.Null(WebhookSignature.Verify("badge-secret", request.Headers[WebhookSignature.TimestampHeader], request.Headers[WebhookSignature.SignatureHeader],
            request.Headers[WebhookSignature.IdempotencyHeader], Encoding.UTF8.GetBytes(request.Body), spine.Clock.Now));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_refused_call_fails_the_step_with_the_servers_answer(string provider)
    {
        using var server = new LoopbackServer { Answer = _ => (400, "{\"error\":\"unknown desk\"}", null) };
        var secretEnv = "HANDOFF_TEST_BADGE_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(secretEnv, "badge-secret");
        var (spine, engine) = await StartAsync(provider, server.Url, secretEnv);
        var person = (await spine.PersonByKeyAsync("employee_id", "900700")).Row.Id;
        await engine.StartManualAsync("badge", person, null, 1, "alice", default);
        await engine.RunDueAsync(10, default);
        await using var db = spine.Db();
        var run = await db.Runs.SingleAsync();
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("answered 400", run.Error);
        Assert.Contains("unknown desk", run.Error);
        Assert.Single(server.Requests); // permanent: not retried
    }
}
