using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Handoff.Connectors.Scim;
using Handoff.Connectors.Tests.Http;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Tests.Scim;

/// <summary>
/// The SCIM client with OAuth 2.0 client credentials (RFC 6749 §4.4): a real token endpoint and a real
/// SCIM listener, each an HTTP server on loopback. The token endpoint checks the client's credentials
/// and issues numbered tokens; the SCIM listener accepts only the tokens it is told are valid.
/// </summary>
public sealed class ScimClientOAuthTests : IDisposable
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(10) };

    private const string Created = """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u-1","userName":"ada"}""";
    private const string List = """{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}""";

    private readonly string _idEnv = "HANDOFF_TEST_SCIM_ID_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _secretEnv = "HANDOFF_TEST_SCIM_SECRET_" + Guid.NewGuid().ToString("N")[..8];
    private readonly LoopbackServer _tokens = new();
    private readonly LoopbackServer _app = new();
    private readonly ConcurrentDictionary<string, bool> _valid = new();
    private int _issued;

    /// <summary>Seconds each issued token lives (its expires_in).</summary>
    private int _lifetime = 3600;

    public ScimClientOAuthTests()
    {
        Environment.SetEnvironmentVariable(_idEnv, "handoff client");
        Environment.SetEnvironmentVariable(_secretEnv, "s3cr:et/+");
        _tokens.Answer = r =>
        {
            var form = r.Body.Split('&').Select(p => p.Split('=')).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
            var basic = r.Headers.TryGetValue("Authorization", out var a) && a.StartsWith("Basic ", StringComparison.Ordinal)
                ? Encoding.UTF8.GetString(Convert.FromBase64String(a[6..])) : null;
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined with ':'
            var (id, secret) = basic is { } b && b.IndexOf(':', StringComparison.Ordinal) is var colon and > 0
                ? (Uri.UnescapeDataString(b[..colon].Replace('+', ' ')), Uri.UnescapeDataString(b[(colon + 1)..].Replace('+', ' ')))
                : (form.GetValueOrDefault("client_id"), form.GetValueOrDefault("client_secret"));
            if (form.GetValueOrDefault("grant_type") != "client_credentials")
                return (400, """{"error":"unsupported_grant_type"}""", null);
            if (id != "handoff client" || secret != "s3cr:et/+")
                return (401, """{"error":"invalid_client","error_description":"unknown client or wrong secret"}""", null);
            var token = "tok-" + Interlocked.Increment(ref _issued);
            _valid[token] = true;
            return (200, new JsonObject { ["access_token"] = token, ["token_type"] = "Bearer", ["expires_in"] = _lifetime, ["scope"] = form.GetValueOrDefault("scope") }.ToJsonString(), null);
        };
        _app.Answer = r =>
        {
            var bearer = r.Headers.TryGetValue("Authorization", out var a) && a.StartsWith("Bearer ", StringComparison.Ordinal) ? a[7..] : null;
            if (bearer is null || !_valid.ContainsKey(bearer))
                return (401, """{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"invalid token"}""", null);
            return r.Method == "POST" ? (201, Created, null) : (200, List, null);
        };
    }

    public void Dispose()
    {
        _tokens.Dispose();
        _app.Dispose();
        Environment.SetEnvironmentVariable(_idEnv, null);
        Environment.SetEnvironmentVariable(_secretEnv, null);
    }

    private ScimClientConnector Connector(Dictionary<string, string>? extra = null)
    {
        var config = new Dictionary<string, string>
        {
            ["url"] = _app.Url + "scim/v2",
            ["token_url"] = _tokens.Url + "oauth2/token",
            ["client_id_env"] = _idEnv,
            ["client_secret_env"] = _secretEnv,
            ["retries"] = "0",
        };
        foreach (var (k, v) in extra ?? [])
            config[k] = v;
        return ScimClientConnector.For(new SystemDefinition("slack", "Slack", SystemKind.App, "scim-client", SystemOwner.It, config), Client);
    }

    private static TargetOperation Create(string username) =>
        new(TargetOperationKind.Create, ObjectClasses.Account, null, null,
            new Dictionary<string, object?> { [AccountAttributes.Username] = username, [AccountAttributes.GivenName] = "Ada" }, "run/" + username);

    private List<string?> Bearers() => [.. _app.Requests.Select(r => r.Headers.TryGetValue("Authorization", out var a) ? a : null)];

    [Fact]
    public async Task The_token_is_fetched_with_basic_client_credentials_and_reused_until_it_expires()
    {
        var connector = Connector(new() { ["scope"] = "scim.write users" });

        await connector.ApplyAsync(Create("ada"), default);
        await Connector(new() { ["scope"] = "scim.write users" }).ApplyAsync(Create("bob"), default); // a new connector, as the next run builds

        var token = Assert.Single(_tokens.Requests);
        Assert.Equal("POST", token.Method);
        Assert.Equal("/oauth2/token", token.Path);
        Assert.StartsWith("application/x-www-form-urlencoded", token.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Contains("grant_type=client_credentials", token.Body, StringComparison.Ordinal);
        Assert.Contains("scope=scim.write+users", token.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("client_secret", token.Body, StringComparison.Ordinal);
        Assert.NotEmpty(_app.Requests);
        Assert.All(Bearers(), b => Assert.Equal("Bearer tok-1", b));
    }

    [Fact]
    public async Task Post_credentials_go_in_the_form_body()
    {
        await Connector(new() { ["token_auth"] = "post" }).ApplyAsync(Create("ada"), default);

        var token = Assert.Single(_tokens.Requests);
        Assert.False(token.Headers.ContainsKey("Authorization"));
        Assert.Contains("client_id=handoff+client", token.Body, StringComparison.Ordinal);
        Assert.All(Bearers(), b => Assert.Equal("Bearer tok-1", b));
    }

    [Fact]
    public async Task An_expired_token_is_replaced_before_the_next_request()
    {
        _lifetime = 1;
        var connector = Connector();
        await connector.ApplyAsync(Create("ada"), default);
        var firstRound = _app.Requests.Count;

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await connector.ApplyAsync(Create("bob"), default);

        Assert.Equal(2, _tokens.Requests.Count);
        Assert.All(Bearers().Take(firstRound), b => Assert.Equal("Bearer tok-1", b));
        Assert.All(Bearers().Skip(firstRound), b => Assert.Equal("Bearer tok-2", b));
    }

    [Fact]
    public async Task A_401_for_a_revoked_token_refreshes_it_once_and_the_request_goes_through()
    {
        var connector = Connector();
        await connector.ApplyAsync(Create("ada"), default);
        _valid.Clear(); // the app revoked every token it gave
        var before = _app.Requests.Count;

        var result = await connector.ApplyAsync(Create("bob"), default);

        Assert.Equal("u-1", result.NativeId);
        Assert.Equal(2, _tokens.Requests.Count);
        var second = Bearers().Skip(before).ToList();
        Assert.Equal("Bearer tok-1", second[0]); // refused with 401 …
        Assert.Equal("Bearer tok-2", second[1]); // … and sent again once with the fresh token
        Assert.All(second.Skip(1), b => Assert.Equal("Bearer tok-2", b));
    }

    [Fact]
    public async Task A_client_whose_fresh_token_is_refused_too_is_denied_after_one_refresh()
    {
        _app.Answer = _ => (401, """{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"client disabled"}""", null);

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector().ApplyAsync(Create("ada"), default));

        Assert.Equal(ConnectorFailure.Denied, e.Failure);
        Assert.Contains("401", e.Message, StringComparison.Ordinal);
        Assert.Contains("client disabled", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, _tokens.Requests.Count);
        Assert.Equal(2, _app.Requests.Count);
    }

    [Fact]
    public async Task A_wrong_secret_is_denied_with_the_endpoints_error_and_no_request_reaches_the_app()
    {
        Environment.SetEnvironmentVariable(_secretEnv, "wrong");

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector().ApplyAsync(Create("ada"), default));

        Assert.Equal(ConnectorFailure.Denied, e.Failure);
        Assert.Contains("config.token_url", e.Message, StringComparison.Ordinal);
        Assert.Contains("answered 401: invalid_client: unknown client or wrong secret", e.Message, StringComparison.Ordinal);
        Assert.Empty(_app.Requests);
    }

    [Fact]
    public async Task An_unset_secret_variable_is_denied_naming_it()
    {
        Environment.SetEnvironmentVariable(_secretEnv, null);

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector().ApplyAsync(Create("ada"), default));

        Assert.Equal(ConnectorFailure.Denied, e.Failure);
        Assert.Contains(_secretEnv + " (config.client_secret_env)", e.Message, StringComparison.Ordinal);
        Assert.Empty(_tokens.Requests);
    }

    [Fact]
    public async Task Parallel_requests_of_a_new_connector_fetch_one_token()
    {
        var connector = Connector();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => connector.ApplyAsync(Create("user" + i), default)));

        Assert.Single(_tokens.Requests);
    }

    [Theory]
    [InlineData("client_id_env", null, "config.token_url needs config.client_id_env")]
    [InlineData("token_env", "APP_TOKEN", "config.token_env and config.token_url exclude each other")]
    [InlineData("token_auth", "jwt", "config.token_auth \"jwt\" must be basic or post")]
    [InlineData("token_url", "ftp://idp.example/token", "config.token_url \"ftp://idp.example/token\" is not an http:// or https:// address")]
    public void Bad_oauth_settings_name_the_system_and_the_key(string key, string? value, string message)
    {
        var config = new Dictionary<string, string>
        {
            ["url"] = "https://app.example/scim/v2",
            ["token_url"] = "https://idp.example/oauth2/token",
            ["client_id_env"] = "APP_ID",
            ["client_secret_env"] = "APP_SECRET",
        };
        if (value is null)
            config.Remove(key);
        else
            config[key] = value;

        var e = Assert.Throws<InvalidOperationException>(() => ScimClientSettings.From(new SystemDefinition("slack", "Slack", SystemKind.App, "scim-client", SystemOwner.It, config)));

        Assert.Contains("system slack: " + message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Client_variables_without_a_token_url_are_refused()
    {
        var config = new Dictionary<string, string> { ["url"] = "https://app.example/scim/v2", ["client_secret_env"] = "APP_SECRET" };

        var e = Assert.Throws<InvalidOperationException>(() => ScimClientSettings.From(new SystemDefinition("slack", "Slack", SystemKind.App, "scim-client", SystemOwner.It, config)));

        Assert.Contains("system slack: config.client_secret_env needs config.token_url", e.Message, StringComparison.Ordinal);
    }
}
