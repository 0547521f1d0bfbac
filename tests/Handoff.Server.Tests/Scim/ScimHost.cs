using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Handoff.Data.Security;
using Handoff.Data.Tests;
using Handoff.Server.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Handoff.Server.Tests.Scim;

/// <summary>The app in process (TestServer) over a fresh Acme database, with a scim:write token of the
/// hr-scim system, and a way to send SCIM requests and read their JSON answers.</summary>
public sealed class ScimHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScimHost(WebApplication app, DataSpine spine, HandoffRuntime runtime, string token)
    {
        _app = app;
        Spine = spine;
        Runtime = runtime;
        Token = token;
        Client = app.GetTestClient();
    }

    public DataSpine Spine { get; }
    public HandoffRuntime Runtime { get; }
    public HttpClient Client { get; }

    /// <summary>hr-scim, scim:write.</summary>
    public string Token { get; }

    public static async Task<ScimHost> StartAsync(string provider, bool ingestHris = false, string? workspaceDir = null)
    {
        var spine = await DataSpine.StartAsync(provider, workspaceDir: workspaceDir);
        if (ingestHris)
            await spine.SyncCsvAsync("hris");
        var runtime = new HandoffRuntime(spine.Database, spine.Clock, spine.Keys, spine.AuditKey);
        var app = ServeCommand.BuildApp(runtime, "http://127.0.0.1:0", b =>
        {
            b.WebHost.UseTestServer();
            if (Environment.GetEnvironmentVariable("HANDOFF_TEST_LOG") != "1")
                b.Logging.ClearProviders();
            b.Services.RemoveAll<IHostedService>();
        });
        await app.StartAsync();
        var token = await runtime.Tokens.CreateAsync("hr-scim", [ApiTokens.ScimWrite], null, "test");
        return new ScimHost(app, spine, runtime, token.Token);
    }

    public async Task<string> TokenAsync(string system, params string[] scopes) =>
        (await Runtime.Tokens.CreateAsync(system, scopes, null, "test")).Token;

    public sealed record Answer(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)
    {
        public JsonObject Json => Body as JsonObject ?? throw new InvalidOperationException($"no JSON object in the {(int)Status} answer");

        public string? Header(string name) =>
            Response.Headers.TryGetValues(name, out var v) ? string.Join(",", v)
            : Response.Content.Headers.TryGetValues(name, out var c) ? string.Join(",", c) : null;
    }

    public async Task<Answer> SendAsync(HttpMethod method, string path, object? body = null, string? token = null,
        string contentType = "application/scim+json", Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, "/scim/v2" + path);
        var bearer = token ?? Token;
        if (bearer.Length > 0)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/scim+json"));
        if (body is not null)
        {
            var text = body as string ?? (body as JsonNode)?.ToJsonString() ?? System.Text.Json.JsonSerializer.Serialize(body);
            request.Content = new StringContent(text, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        configure?.Invoke(request);
        var response = await Client.SendAsync(request);
        var payload = await response.Content.ReadAsStringAsync();
        return new Answer(response.StatusCode, payload.Length == 0 ? null : JsonNode.Parse(payload), response);
    }

    public Task<Answer> GetAsync(string path, string? token = null) => SendAsync(HttpMethod.Get, path, token: token);
    public Task<Answer> PostAsync(string path, object body) => SendAsync(HttpMethod.Post, path, body);
    public Task<Answer> PatchAsync(string path, object body) => SendAsync(HttpMethod.Patch, path, body);

    /// <summary>A complete Acme worker as an HR system would send it.</summary>
    public static JsonObject User(string userName, string given, string family, string? externalId = null, string department = "Engineering",
        string hireDate = "2027-01-04", string? workEmail = null) => new()
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:handoff:params:scim:schemas:extension:hr:2.0:User"),
            ["userName"] = userName,
            ["externalId"] = externalId,
            ["name"] = new JsonObject { ["givenName"] = given, ["familyName"] = family },
            ["emails"] = new JsonArray(new JsonObject { ["type"] = "work", ["value"] = workEmail ?? userName, ["primary"] = true },
            new JsonObject { ["type"] = "home", ["value"] = $"{given.ToLowerInvariant()}@home.example" }),
            ["title"] = "Engineer",
            ["active"] = true,
            ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = new JsonObject
            {
                ["department"] = department,
                ["costCenter"] = "CC-100",
                ["manager"] = new JsonObject { ["value"] = "100001" },
            },
            ["urn:handoff:params:scim:schemas:extension:hr:2.0:User"] = new JsonObject
            {
                ["hireDate"] = hireDate,
                ["workerType"] = "employee",
            },
        };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
