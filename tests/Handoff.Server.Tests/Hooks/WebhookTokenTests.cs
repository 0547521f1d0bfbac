using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Handoff.Connectors.Webhook;
using Handoff.Data.Security;
using Handoff.Data.Tests;
using Handoff.Server.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Handoff.Server.Tests.Hooks;

/// <summary>API tokens on POST /hooks/{system}: the only credential for a system without a webhook
/// secret; for a system with one, the signature stays required and a token sent along must be valid.</summary>
public sealed class WebhookTokenTests
{
    private static string Secret => HrisWebhookSecret.Value;

    private const string Body = """{"records": [{"Employee_ID": "940001", "Gross_Pay": "1000"}]}""";

    private sealed class Host(WebApplication app, DataSpine spine, HandoffRuntime runtime) : IAsyncDisposable
    {
        public DataSpine Spine => spine;
        public ApiTokens Tokens => runtime.Tokens;

        public async Task<HttpResponseMessage> PostAsync(string system, string key, string? token, bool sign = false, string body = Body)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/{system}") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add(WebhookSignature.IdempotencyHeader, key);
            if (token is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (sign)
            {
                var ts = spine.Clock.Now.ToUnixTimeSeconds();
                request.Headers.Add(WebhookSignature.TimestampHeader, ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(Secret, ts, key, bytes));
            }
            return await app.GetTestClient().SendAsync(request);
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }

    private static async Task<Host> StartAsync(string provider)
    {
        _ = HrisWebhookSecret.Value; // the variable must be set before the first request, signed or not
        var spine = await DataSpine.StartAsync(provider);
        var runtime = new HandoffRuntime(spine.Database, spine.Clock, spine.Keys, spine.AuditKey);
        var app = ServeCommand.BuildApp(runtime, "http://127.0.0.1:0", b =>
        {
            b.WebHost.UseTestServer();
            b.Services.RemoveAll<IHostedService>();
        });
        await app.StartAsync();
        return new Host(app, spine, runtime);
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_system_without_a_secret_accepts_a_delivery_with_its_hooks_write_token(string provider)
    {
        await using var host = await StartAsync(provider);
        var created = await host.Tokens.CreateAsync("payroll", [ApiTokens.HooksWrite], TimeSpan.FromDays(90), "ivan");
        var response = await host.PostAsync("payroll", "p-1", created.Token);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await using var db = host.Spine.Db();
        Assert.Equal(1, await db.WebhookDeliveries.CountAsync(d => d.System == "payroll"));
        Assert.NotNull((await db.ApiTokens.SingleAsync()).LastUsedAt);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_token_delivery_reusing_a_key_with_another_body_is_a_409_and_with_the_same_body_an_idempotent_202(string provider)
    {
        await using var host = await StartAsync(provider);
        var created = await host.Tokens.CreateAsync("payroll", [ApiTokens.HooksWrite], TimeSpan.FromDays(90), "ivan");
        var first = await host.PostAsync("payroll", "pay-1", created.Token);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        var other = await host.PostAsync("payroll", "pay-1", created.Token, body: Body.Replace("1000", "9999", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Contains("\"pay-1\"", await DetailAsync(other));

        var same = await host.PostAsync("payroll", "pay-1", created.Token);
        Assert.Equal(HttpStatusCode.Accepted, same.StatusCode);
        Assert.True((await same.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replayed").GetBoolean());
        Assert.Equal(first.Headers.Location, same.Headers.Location);
        await using var db = host.Spine.Db();
        Assert.Equal(1, await db.WebhookDeliveries.CountAsync(d => d.System == "payroll"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Expired_revoked_wrong_system_and_wrong_scope_tokens_get_401_with_the_reason_and_nothing_is_stored(string provider)
    {
        await using var host = await StartAsync(provider);
        var expiring = await host.Tokens.CreateAsync("payroll", [ApiTokens.HooksWrite], TimeSpan.FromHours(1), "ivan");
        var revoked = await host.Tokens.CreateAsync("payroll", [ApiTokens.HooksWrite], null, "ivan");
        await host.Tokens.RevokeAsync(revoked.Info.Id);
        var otherSystem = await host.Tokens.CreateAsync("hris", [ApiTokens.HooksWrite], null, "ivan");
        var readOnly = await host.Tokens.CreateAsync("payroll", [ApiTokens.ScimRead], null, "ivan");
        host.Spine.Clock.Now = host.Spine.Clock.Now.AddHours(2);

        var cases = new (string Token, string Reason)[]
        {
            (expiring.Token, "expired"),
            (revoked.Token, "was revoked"),
            (otherSystem.Token, "is not for system 'payroll'"),
            (readOnly.Token, "lacks the scope hooks:write"),
            ("hoff_" + new string('x', 43), "unknown token"),
            ("secret", "not a Handoff API token"),
        };
        foreach (var (token, reason) in cases)
        {
            var response = await host.PostAsync("payroll", $"p-{reason}", token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains(reason, await DetailAsync(response));
        }

        // No credential at all for a system without a secret: webhooks are not enabled for it.
        var none = await host.PostAsync("payroll", "p-none", null);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Contains("Authorization: Bearer", await DetailAsync(none));

        await using var db = host.Spine.Db();
        Assert.Equal(0, await db.WebhookDeliveries.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_system_with_a_secret_still_needs_the_signature_and_a_token_sent_along_must_be_valid(string provider)
    {
        await using var host = await StartAsync(provider);
        var valid = await host.Tokens.CreateAsync("hris", [ApiTokens.HooksWrite], null, "ivan");
        var revoked = await host.Tokens.CreateAsync("hris", [ApiTokens.HooksWrite], null, "ivan");
        await host.Tokens.RevokeAsync(revoked.Info.Id);

        var tokenOnly = await host.PostAsync("hris", "h-1", valid.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, tokenOnly.StatusCode);
        Assert.Equal("signature refused", (await tokenOnly.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());

        var signedWithRevoked = await host.PostAsync("hris", "h-2", revoked.Token, sign: true);
        Assert.Equal(HttpStatusCode.Unauthorized, signedWithRevoked.StatusCode);
        Assert.Contains("was revoked", await DetailAsync(signedWithRevoked));

        await using (var db = host.Spine.Db())
            Assert.Equal(0, await db.WebhookDeliveries.CountAsync());

        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync("hris", "h-3", valid.Token, sign: true)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync("hris", "h-4", null, sign: true)).StatusCode);
    }
}

/// <summary>The Acme HRIS webhook secret for every test class in this process: set once, so test
/// classes running in parallel never sign with a secret another one replaced.</summary>
internal static class HrisWebhookSecret
{
    public const string Variable = "HANDOFF_HRIS_WEBHOOK_SECRET";
    public static readonly string Value = Init();

    private static string Init()
    {
        var secret = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        Environment.SetEnvironmentVariable(Variable, secret);
        return secret;
    }
}
