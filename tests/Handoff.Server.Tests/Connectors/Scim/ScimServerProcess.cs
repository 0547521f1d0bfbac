using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Handoff.Data.Tests;
using Handoff.Server.Tests.Cli;

namespace Handoff.Server.Tests.Connectors.Scim;

/// <summary>One server process for every test class of the collection (each <c>handoff</c> start costs
/// seconds of the shared CPUs); the tests use unique names so they do not see each other's users.</summary>
[CollectionDefinition(Name)]
public sealed class ScimServerCollection : ICollectionFixture<ScimServerProcess>
{
    public const string Name = "handoff serve as a SCIM app";
}

/// <summary>
/// Handoff's own SCIM server as the app under the SCIM client: <c>handoff serve</c> in a separate
/// process with its own SQLite database and key ring, the Acme workspace applied and its dictionary
/// signed, and a <c>scim:write</c> token of the hr-scim system created with <c>handoff tokens create</c>
/// — all through the CLI, as an operator would. Listens on 127.0.0.1, ports 5200–5219.
/// </summary>
public sealed partial class ScimServerProcess : IAsyncLifetime
{
    private Process? _server;
    private Task? _drain;
    private readonly StringBuilder _output = new();

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "handoff-scim-client", Guid.NewGuid().ToString("N"));

    public string[] Common => ["--db", Path.Combine(Dir, "handoff.db"), "--keys-dir", Path.Combine(Dir, "keys")];

    /// <summary>The SCIM base, e.g. http://127.0.0.1:5203/scim/v2 (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>hr-scim, scim:write.</summary>
    public string Token { get; private set; } = "";

    /// <summary>hr-scim, scim:read only.</summary>
    public string ReadToken { get; private set; } = "";

    /// <summary>The environment variable holding <see cref="Token"/>, as a system's config.token_env names it.</summary>
    public string TokenEnv { get; } = "HANDOFF_TEST_SCIM_TOKEN_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task<string> RunAsync(params string[] args)
    {
        var (exit, output) = await HandoffProcess.RunAsync([.. args, .. Common]);
        Assert.True(exit == 0, $"handoff {string.Join(' ', args)} failed:\n{output}");
        return output;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        await RunAsync("apply", "-f", Repository.AcmeWorkspace, "--as", "hector");
        await RunAsync("dictionary", "approve", "1", "--as", "alice");
        await RunAsync("dictionary", "approve", "1", "--as", "ivan");
        Token = TokenText().Match(await RunAsync("tokens", "create", "--system", "hr-scim", "--scope", "scim:write", "--expires", "1d", "--name", "scim client tests", "--as", "ivan")).Value;
        ReadToken = TokenText().Match(await RunAsync("tokens", "create", "--system", "hr-scim", "--scope", "scim:read", "--expires", "1d", "--name", "read only", "--as", "ivan")).Value;
        Assert.False(string.IsNullOrEmpty(Token) || string.IsNullOrEmpty(ReadToken), "tokens create printed no token");
        Environment.SetEnvironmentVariable(TokenEnv, Token);

        // a free port of the range; a port taken between the check and the bind makes serve exit: try the next
        foreach (var port in Enumerable.Range(5200, 20).Where(Free))
        {
            _output.Clear();
            _server = HandoffProcess.Start(["serve", "--urls", $"http://127.0.0.1:{port}", .. Common]);
            _drain = Task.WhenAll(Drain(_server.StandardOutput), Drain(_server.StandardError));
            BaseUrl = $"http://127.0.0.1:{port}/scim/v2";
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!_server.HasExited && DateTime.UtcNow < deadline)
            {
                try
                {
                    using var answer = await Http.GetAsync(BaseUrl + "/ServiceProviderConfig");
                    return; // any answer: it listens
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(250);
                }
            }
            if (!_server.HasExited)
                Assert.Fail($"handoff serve did not answer on port {port} within 120 s:\n{_output}");
            await _drain;
        }
        Assert.Fail($"handoff serve could not listen on any port 5200-5219:\n{_output}");
    }

    private async Task Drain(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
                _output.AppendLine(line);
        }
    }

    private static bool Free(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A request to the server with the write token: what the app holds, read back independently of the connector.</summary>
    public async Task<(HttpStatusCode Status, JsonObject? Json)> SendAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, BaseUrl + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/scim+json");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject);
    }

    public async Task<JsonObject> GetAsync(string path)
    {
        var (status, json) = await SendAsync(HttpMethod.Get, path);
        Assert.True(status == HttpStatusCode.OK, $"GET {path} answered {(int)status}: {json}");
        return json!;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_server is { } server)
        {
            if (!server.HasExited)
                server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            server.Dispose();
        }
        Environment.SetEnvironmentVariable(TokenEnv, null);
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex("hoff_[0-9A-Za-z]{43}")]
    private static partial Regex TokenText();
}
