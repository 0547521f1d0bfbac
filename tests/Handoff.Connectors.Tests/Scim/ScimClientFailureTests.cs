using System.Globalization;
using System.Text.Json.Nodes;
using Handoff.Connectors.Scim;
using Handoff.Connectors.Tests.Http;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Tests.Scim;

/// <summary>
/// The SCIM client's answers to what Handoff's own SCIM server never says — 429 with Retry-After,
/// 503, 500 for ever, a proxy's HTML page — against a real HTTP listener on loopback. (The happy
/// paths, 404, 409 and a wrong token run against the real server: Handoff.Server.Tests, Connectors/Scim.)
/// </summary>
public sealed class ScimClientFailureTests
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(10) };

    private const string Created = """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u-1","userName":"ada"}""";

    private static ScimClientConnector Connector(LoopbackServer server, int retries = 3, int maxWaitSeconds = 30) =>
        new("app", new ScimClientSettings(new Uri(server.Url + "scim/v2/"), null, ScimUpdateMode.Patch, 100, retries,
            TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(maxWaitSeconds)), Client);

    private static TargetOperation Create(string username = "ada") =>
        new(TargetOperationKind.Create, ObjectClasses.Account, null, null,
            new Dictionary<string, object?> { [AccountAttributes.Username] = username, [AccountAttributes.GivenName] = "Ada" }, "run1/account");

    private static string ScimError(int status, string detail, string? scimType = null) => new JsonObject
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:Error"),
        ["status"] = status.ToString(CultureInfo.InvariantCulture),
        ["scimType"] = scimType,
        ["detail"] = detail,
    }.ToJsonString();

    [Fact]
    public async Task A_429_is_retried_after_the_seconds_its_Retry_After_names()
    {
        var calls = 0;
        using var server = new LoopbackServer
        {
            Answer = _ => Interlocked.Increment(ref calls) == 1
                ? (429, ScimError(429, "slow down"), new Dictionary<string, string> { ["Retry-After"] = "2" })
                : (201, Created, null),
        };
        var result = await Connector(server).ApplyAsync(Create(), default);

        Assert.Equal("u-1", result.NativeId);
        Assert.False(result.AlreadyApplied);
        var posts = server.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(2, posts.Count);
        Assert.True(posts[1].At - posts[0].At >= TimeSpan.FromSeconds(1.9), $"retried after {(posts[1].At - posts[0].At).TotalSeconds:0.00} s, not the 2 s asked for");
        Assert.Equal(posts[0].Body, posts[1].Body); // the same request again, rebuilt for the new attempt
    }

    [Fact]
    public async Task A_429_is_retried_at_the_HTTP_date_its_Retry_After_names()
    {
        var calls = 0;
        // three seconds ahead, in the RFC 7231 date format (whole seconds: the wait is between 2 and 3 s)
        var at = DateTimeOffset.UtcNow.AddSeconds(3);
        using var server = new LoopbackServer
        {
            Answer = _ => Interlocked.Increment(ref calls) == 1
                ? (429, ScimError(429, "slow down"), new Dictionary<string, string> { ["Retry-After"] = at.ToString("r", CultureInfo.InvariantCulture) })
                : (201, Created, null),
        };
        await Connector(server).ApplyAsync(Create(), default);

        var posts = server.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(2, posts.Count);
        Assert.True(posts[1].At - posts[0].At >= TimeSpan.FromSeconds(1.5), $"retried after {(posts[1].At - posts[0].At).TotalSeconds:0.00} s, before the date given");
    }

    [Fact]
    public async Task A_Retry_After_longer_than_max_wait_goes_to_the_engine_at_once()
    {
        using var server = new LoopbackServer { Answer = _ => (429, ScimError(429, "daily quota used"), new Dictionary<string, string> { ["Retry-After"] = "3600" }) };
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server, maxWaitSeconds: 30).ApplyAsync(Create(), default));

        Assert.Equal(ConnectorFailure.Unavailable, e.Failure);
        Assert.True(e.IsTransient);
        Assert.Contains("429", e.Message);
        Assert.Contains("daily quota used", e.Message);
        Assert.Contains("Retry-After 3600 s", e.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Two_503s_then_success_is_a_success()
    {
        var calls = 0;
        using var server = new LoopbackServer
        {
            Answer = _ => Interlocked.Increment(ref calls) <= 2 ? (503, "<html>maintenance</html>", null) : (201, Created, null),
        };
        var result = await Connector(server).ApplyAsync(Create(), default);

        Assert.Equal("u-1", result.NativeId);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task A_500_for_ever_is_retried_a_bounded_number_of_times_then_unavailable_for_the_engine()
    {
        using var server = new LoopbackServer { Answer = _ => (500, ScimError(500, "database is down"), null) };
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server, retries: 2).ApplyAsync(Create(), default));

        Assert.Equal(ConnectorFailure.Unavailable, e.Failure);
        Assert.True(e.IsTransient);
        Assert.Contains("answered 500: database is down", e.Message);
        Assert.Contains("after 2 retries", e.Message);
        Assert.Equal(3, server.Requests.Count); // the first try and two retries
    }

    [Fact]
    public async Task A_refused_connection_is_unavailable()
    {
        string url;
        using (var gone = new LoopbackServer())
            url = gone.Url;
        var connector = new ScimClientConnector("app", new ScimClientSettings(new Uri(url + "scim/v2/"), null, ScimUpdateMode.Patch, 100, 1,
            TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1)), Client);
        var e = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(Create(), default));
        Assert.Equal(ConnectorFailure.Unavailable, e.Failure);
        Assert.Contains(url, e.Message);
    }

    [Theory]
    [InlineData(400, "invalidValue", ConnectorFailure.SchemaViolation)]
    [InlineData(401, null, ConnectorFailure.Denied)]
    [InlineData(403, null, ConnectorFailure.Denied)]
    [InlineData(409, "uniqueness", ConnectorFailure.Conflict)]
    [InlineData(412, null, ConnectorFailure.Conflict)]
    public async Task Client_errors_are_permanent_and_carry_the_scim_detail(int status, string? scimType, ConnectorFailure failure)
    {
        using var server = new LoopbackServer { Answer = _ => (status, ScimError(status, "name.givenName is required here", scimType), null) };
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server).ApplyAsync(Create(), default));

        Assert.Equal(failure, e.Failure);
        Assert.False(e.IsTransient);
        Assert.Contains($"answered {status}{(scimType is null ? "" : " " + scimType)}: name.givenName is required here", e.Message);
        Assert.Contains("create user \"ada\"", e.Message);
        Assert.Single(server.Requests); // never retried
    }

    [Fact]
    public async Task A_409_on_create_whose_user_has_our_anchor_is_our_own_earlier_write()
    {
        // the answer to an earlier POST was lost: the look-up before the POST found nothing yet (a
        // replica behind), the POST meets the user, and the look-up after the 409 finds it
        var lookups = 0;
        using var server = new LoopbackServer
        {
            Answer = r => r.Method switch
            {
                "GET" when Interlocked.Increment(ref lookups) == 1 => (200, """{"totalResults":0,"Resources":[]}""", null),
                "GET" => (200, """{"totalResults":1,"Resources":[{"id":"u-9","userName":"ada","externalId":"100042"}]}""", null),
                _ => (409, ScimError(409, "userName ada is taken", "uniqueness"), null),
            },
        };
        var op = Create() with { Anchor = "100042" };
        var result = await Connector(server).ApplyAsync(op, default);

        Assert.True(result.AlreadyApplied);
        Assert.Equal("u-9", result.NativeId);
        Assert.Equal("ada", result.Outputs[AccountAttributes.Username]);
        Assert.Equal(["GET", "POST", "GET"], server.Requests.Select(r => r.Method));
        Assert.All(server.Requests.Where(r => r.Method == "GET"), r => Assert.Contains("filter=externalId eq \"100042\"", r.Query));
        Assert.Contains("\"externalId\":\"100042\"", server.Requests.Single(r => r.Method == "POST").Body);
    }

    [Fact]
    public async Task A_409_on_create_for_someone_else_is_a_conflict()
    {
        using var server = new LoopbackServer
        {
            Answer = r => r.Method == "GET" ? (200, """{"totalResults":0,"Resources":[]}""", null) : (409, ScimError(409, "userName ada is taken", "uniqueness"), null),
        };
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server).ApplyAsync(Create() with { Anchor = "100042" }, default));
        Assert.Equal(ConnectorFailure.Conflict, e.Failure);
        Assert.Contains("uniqueness: userName ada is taken", e.Message);
    }

    [Fact]
    public async Task Filter_values_are_quoted_and_escaped()
    {
        using var server = new LoopbackServer { Answer = _ => (200, """{"totalResults":0,"Resources":[]}""", null) };
        var taken = await Connector(server).IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, "o\"brien\\x", default);

        Assert.False(taken);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/scim/v2/Users", request.Path);
        Assert.Contains("filter=userName eq \"o\\\"brien\\\\x\"", request.Query);
    }

    [Fact]
    public async Task Reading_follows_startIndex_until_totalResults_even_when_the_app_answers_short_pages()
    {
        // 5 users; the app answers at most 2 a page whatever count asks for
        using var server = new LoopbackServer
        {
            Answer = r =>
            {
                var start = int.Parse(r.Query.Split('&').First(p => p.StartsWith("startIndex=", StringComparison.Ordinal))["startIndex=".Length..], CultureInfo.InvariantCulture);
                var page = Enumerable.Range(start, 2).Where(i => i <= 5)
                    .Select(i => (JsonNode)new JsonObject { ["id"] = $"u{i}", ["userName"] = $"user{i}", ["externalId"] = $"90000{i}", ["active"] = i % 2 == 0 });
                return (200, new JsonObject { ["totalResults"] = 5, ["startIndex"] = start, ["Resources"] = new JsonArray([.. page]) }.ToJsonString(), null);
            },
        };
        var read = new List<TargetObject>();
        await foreach (var o in Connector(server).ReadAsync(ObjectClasses.Account, default))
            read.Add(o);

        Assert.Equal(["u1", "u2", "u3", "u4", "u5"], read.Select(o => o.NativeId));
        Assert.Equal("900003", read[2].Anchor);
        Assert.Equal("user3", read[2].Attributes[AccountAttributes.Username]);
        Assert.Equal(true, read[1].Attributes[AccountAttributes.Enabled]);
        Assert.Equal(false, read[2].Attributes[AccountAttributes.Enabled]);
        Assert.Equal(["startIndex=1&count=100", "startIndex=3&count=100", "startIndex=5&count=100"], server.Requests.Select(r => r.Query));
    }

    [Theory]
    [InlineData("url", "ftp://app.example/scim", "config.url \"ftp://app.example/scim\" is not an http:// or https:// address")]
    [InlineData("update", "post", "config.update \"post\" must be patch or put")]
    [InlineData("page_size", "0", "config.page_size \"0\" is not a whole number ≥ 1")]
    public void Bad_settings_name_the_system_and_the_key(string key, string value, string message)
    {
        var config = new Dictionary<string, string> { ["url"] = "https://app.example/scim/v2", [key] = value };
        var e = Assert.Throws<InvalidOperationException>(() => ScimClientSettings.From(new SystemDefinition("slack", "Slack", SystemKind.App, "scim-client", SystemOwner.It, config)));
        Assert.Contains("system slack: " + message, e.Message);
    }

    [Fact]
    public async Task A_token_variable_that_is_not_set_is_denied_naming_the_variable()
    {
        using var server = new LoopbackServer();
        var connector = new ScimClientConnector("app", new ScimClientSettings(new Uri(server.Url), "HANDOFF_TEST_UNSET_" + Guid.NewGuid().ToString("N")[..8],
            ScimUpdateMode.Patch, 100, 0, TimeSpan.Zero, TimeSpan.Zero), Client);
        var e = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(Create(), default));
        Assert.Equal(ConnectorFailure.Denied, e.Failure);
        Assert.Contains("HANDOFF_TEST_UNSET_", e.Message);
        Assert.Contains("config.token_env", e.Message);
        Assert.Empty(server.Requests);
    }
}
