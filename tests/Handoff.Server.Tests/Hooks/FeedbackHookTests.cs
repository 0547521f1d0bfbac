using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Handoff.Connectors.Webhook;
using Handoff.Data.Tests;
using Handoff.Data.Tests.Workflows;
using Handoff.Server.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Handoff.Server.Tests.Hooks;

/// <summary>Feedback by webhook (signed JSON) and by mail (a signed RFC 5322 message from an inbound
/// relay): routed by category, stored once per delivery, refused with a clear error when the
/// signature is wrong. The workspace is Acme's with its own secret variable, so no other test of the
/// process sees it set.</summary>
public sealed class FeedbackHookTests
{
    private const string Variable = "HANDOFF_TEST_FEEDBACK_HOOK_SECRET";
    private static readonly string Secret = Init();

    private static string Init()
    {
        var secret = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        Environment.SetEnvironmentVariable(Variable, secret);
        return secret;
    }

    private sealed class Host(WebApplication app, DataSpine spine) : IAsyncDisposable
    {
        public HttpClient Client { get; } = app.GetTestClient();
        public DataSpine Spine => spine;

        public Task<HttpResponseMessage> PostAsync(string path, string body, string? key = null, string? signature = null, long? timestamp = null, string contentType = "application/json")
        {
            var ts = timestamp ?? spine.Clock.Now.ToUnixTimeSeconds();
            var bytes = Encoding.UTF8.GetBytes(body);
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new(contentType);
            request.Headers.Add(WebhookSignature.TimestampHeader, ts.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(WebhookSignature.SignatureHeader, signature ?? WebhookSignature.Sign(Secret, ts, key ?? "", bytes));
            if (key is not null)
                request.Headers.Add(WebhookSignature.IdempotencyHeader, key);
            return Client.SendAsync(request);
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }

    private static async Task<Host> StartAsync(string provider)
    {
        var workspace = Path.Combine(Path.GetTempPath(), "handoff-tests", "ws-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(workspace, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var charter = Path.Combine(workspace, "charter.yaml");
        File.WriteAllText(charter, File.ReadAllText(charter).Replace("HANDOFF_FEEDBACK_SECRET", Variable, StringComparison.Ordinal));
        var spine = await DataSpine.StartAsync(provider, workspaceDir: workspace);
        await spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900100", "Ada", "Lovelace", "01/05/2020"));
        var runtime = new HandoffRuntime(spine.Database, spine.Clock, spine.Keys, spine.AuditKey);
        var app = ServeCommand.BuildApp(runtime, "http://127.0.0.1:0", b =>
        {
            b.WebHost.UseTestServer();
            b.Services.RemoveAll<IHostedService>();
        });
        await app.StartAsync();
        return new Host(app, spine);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_signed_webhook_report_is_routed_by_category_and_stored_once(string provider)
    {
        await using var host = await StartAsync(provider);
        const string body = """{"category": "account_access", "note": "Ada cannot sign in to the VPN", "employee_id": "900100", "reporter": "servicedesk"}""";

        var response = await host.PostAsync("/hooks/feedback", body, key: "sd-4711");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("it", answer.GetProperty("route").GetString());
        Assert.Equal($"/Feedback/Report/{answer.GetProperty("id").GetInt64()}", response.Headers.Location!.OriginalString);

        var again = await host.PostAsync("/hooks/feedback", body, key: "sd-4711");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replayed").GetBoolean());

        await using var db = host.Spine.Db();
        var row = await db.FeedbackReports.AsNoTracking().SingleAsync();
        var ada = (await host.Spine.PersonByKeyAsync("employee_id", "900100")).Row.Id;
        Assert.Equal(("webhook", "webhook:servicedesk", ada, "account_access"), (row.Channel, row.ReportedBy, row.PersonId, row.Category));
        Assert.Equal(1, await db.AuditEntries.CountAsync(e => e.Action == "feedback.filed"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_mail_from_the_relay_becomes_a_report_once_per_message_id(string provider)
    {
        await using var host = await StartAsync(provider);
        var mail = string.Join("\r\n",
            "From: Ann Example <ann@acme.example>",
            "To: feedback@acme.example",
            "Subject: [account_access] Cannot open the HR portal",
            "Message-ID: <c0ffee@mail.acme.example>",
            "Date: Fri, 27 Nov 2026 10:00:00 +0100",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Since Monday the portal says my account is disabled.",
            "");

        var response = await host.PostAsync("/hooks/feedback/mail", mail, contentType: "message/rfc822");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("/hooks/feedback/mail", mail, contentType: "message/rfc822")).StatusCode);

        await using var db = host.Spine.Db();
        var row = await db.FeedbackReports.AsNoTracking().SingleAsync();
        Assert.Equal(("email", "mail:ann@acme.example", "account_access", "it"), (row.Channel, row.ReportedBy, row.Category, row.Route));
        Assert.Equal("Cannot open the HR portal\n\nSince Monday the portal says my account is disabled.", row.Note);
        Assert.Equal("c0ffee@mail.acme.example", row.ExternalKey);
    }

    [Fact]
    public async Task A_bad_signature_a_stale_timestamp_and_bad_bodies_are_refused_with_the_reason()
    {
        await using var host = await StartAsync(TestDatabases.Sqlite);
        const string body = """{"note": "x"}""";

        var forged = await host.PostAsync("/hooks/feedback", body, key: "k1", signature: WebhookSignature.Sign("not-the-secret", host.Spine.Clock.Now.ToUnixTimeSeconds(), "k1", Encoding.UTF8.GetBytes(body)));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        var problem = await forged.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("signature refused", problem.GetProperty("title").GetString());
        Assert.StartsWith("signature does not match the timestamp, Idempotency-Key and body", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(Variable, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var stale = await host.PostAsync("/hooks/feedback/mail", "From: a@b.example\r\n\r\nx", timestamp: host.Spine.Clock.Now.AddMinutes(-10).ToUnixTimeSeconds());
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Contains("refused as a possible replay", (await stale.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        var noKey = await host.PostAsync("/hooks/feedback", body);
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        var unknown = await host.PostAsync("/hooks/feedback", """{"category": "salary", "note": "x"}""", key: "k2");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Equal("unknown feedback category \"salary\"; the charter's categories: wrong_value, account_access, automation, other",
            (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        var nobody = await host.PostAsync("/hooks/feedback", """{"note": "x", "employee_id": "000000"}""", key: "k3");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, nobody.StatusCode);
        var noSender = await host.PostAsync("/hooks/feedback/mail", "Subject: hi\r\n\r\nbody");
        Assert.Equal(HttpStatusCode.BadRequest, noSender.StatusCode);

        await using var db = host.Spine.Db();
        Assert.False(await db.FeedbackReports.AnyAsync());
    }
}
