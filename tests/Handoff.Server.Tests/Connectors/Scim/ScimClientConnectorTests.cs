using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Handoff.Connectors.Scim;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Server.Tests.Connectors.Scim;

/// <summary>
/// The SCIM client connector against a real SCIM server in another process — Handoff's own
/// (<see cref="ScimServerProcess"/>). Every write is read back through the server with its own
/// request, never through the connector. The server's database is SQLite: the provider behind the
/// app is not what these tests are about (the SCIM server's own tests run on both providers).
/// </summary>
[Collection(ScimServerCollection.Name)]
public sealed class ScimClientConnectorTests(ScimServerProcess server)
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    private ScimClientConnector Connector(string update = "patch", int pageSize = 100, string? tokenEnv = null) =>
        ScimClientConnector.For(new SystemDefinition("app", "A SaaS app", SystemKind.App, "scim-client", SystemOwner.It, new Dictionary<string, string>
        {
            ["url"] = server.BaseUrl,
            ["token_env"] = tokenEnv ?? server.TokenEnv,
            ["update"] = update,
            ["page_size"] = pageSize.ToString(CultureInfo.InvariantCulture),
        }), Http);

    private static string Unique() => Guid.NewGuid().ToString("N")[..8];

    private static string Anchor() => "7" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);

    private static TargetOperation Create(string username, string? anchor, string given = "Ada", string family = "Lovelace", params string[] groups) =>
        Create(username, anchor, username, given, family, groups);

    private static TargetOperation Create(string username, string? anchor, string email, string given, string family, string[] groups) =>
        new(TargetOperationKind.Create, ObjectClasses.Account, null, anchor, new Dictionary<string, object?>
        {
            [AccountAttributes.Username] = username,
            [AccountAttributes.GivenName] = given,
            [AccountAttributes.Surname] = family,
            [AccountAttributes.Email] = email,
            [AccountAttributes.Enabled] = false,
            [AccountAttributes.Expires] = null,
            [AccountAttributes.Container] = null,
            [AccountAttributes.Groups] = groups.ToList(),
            ["title"] = "Engineer",
        }, "run-" + Unique() + "/account");

    private static TargetOperation On(TargetOperationKind kind, string id, Dictionary<string, object?>? attributes = null) =>
        new(kind, ObjectClasses.Account, id, null, attributes ?? [], "run-" + Unique() + "/step");

    private async Task<string> CreateGroupAsync(string name)
    {
        var (status, json) = await server.SendAsync(HttpMethod.Post, "/Groups", new JsonObject
        {
            ["schemas"] = new JsonArray(ScimPaths.GroupSchema),
            ["displayName"] = name,
        });
        Assert.True(status == HttpStatusCode.Created, $"POST /Groups answered {(int)status}: {json}");
        return json!["id"]!.ToString();
    }

    private async Task<int> CountAsync(string filter) =>
        (await server.GetAsync("/Users?filter=" + Uri.EscapeDataString(filter)))["totalResults"]!.GetValue<int>();

    [Fact]
    public async Task A_created_user_reads_back_as_written_and_is_found_by_userName_and_externalId()
    {
        var connector = Connector();
        var username = $"ada.{Unique()}@acme.example";
        var anchor = Anchor();
        var result = await connector.ApplyAsync(Create(username, anchor), default);

        Assert.False(result.AlreadyApplied);
        Assert.Equal(username, result.Outputs[AccountAttributes.Username]);
        var user = await server.GetAsync("/Users/" + result.NativeId);
        Assert.Equal(username, user["userName"]!.ToString());
        Assert.Equal(anchor, user["externalId"]!.ToString());
        Assert.Equal("Ada", user["name"]!["givenName"]!.ToString());
        Assert.Equal("Lovelace", user["name"]!["familyName"]!.ToString());
        Assert.Equal("Ada Lovelace", user["displayName"]!.ToString());
        Assert.Equal("Engineer", user["title"]!.ToString());
        Assert.False(user["active"]!.GetValue<bool>());
        var email = Assert.Single(user["emails"]!.AsArray())!;
        Assert.Equal(("work", username), (email["type"]!.ToString(), email["value"]!.ToString()));

        Assert.True(await connector.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, username, default));
        Assert.True(await connector.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, username.ToUpperInvariant(), default)); // userName is caseExact false
        Assert.False(await connector.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, "x" + username, default));
        Assert.Equal(result.NativeId, (await connector.FindUserAsync("externalId", anchor, default))!["id"]!.ToString());
    }

    [Fact]
    public async Task Hostile_userNames_are_escaped_in_filters_and_round_trip()
    {
        var connector = Connector();
        var username = $"o\"brien\\{Unique()} and userName pr or \"x";
        Assert.False(await connector.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, username, default));
        var created = await connector.ApplyAsync(Create(username, Anchor(), "obrien@acme.example", "Pat", "O'Brien", []), default);
        Assert.True(await connector.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, username, default));
        Assert.Equal(username, (await server.GetAsync("/Users/" + created.NativeId))["userName"]!.ToString());
        Assert.Equal(created.NativeId, (await connector.FindUserAsync("userName", username, default))!["id"]!.ToString());
    }

    [Fact]
    public async Task An_update_by_PATCH_replaces_only_what_the_step_names()
    {
        var connector = Connector();
        var id = (await connector.ApplyAsync(Create($"grace.{Unique()}@acme.example", Anchor(), "Grace", "Hopper"), default)).NativeId!;
        var result = await connector.ApplyAsync(On(TargetOperationKind.Update, id, new()
        {
            [AccountAttributes.DisplayName] = "Rear Admiral Grace Hopper",
            ["title"] = "Admiral",
            [$"{Enterprise}:department"] = "Navy",
        }), default);

        Assert.False(result.AlreadyApplied);
        var user = await server.GetAsync("/Users/" + id);
        Assert.Equal("Rear Admiral Grace Hopper", user["displayName"]!.ToString());
        Assert.Equal("Admiral", user["title"]!.ToString());
        Assert.Equal("Navy", user[Enterprise]!["department"]!.ToString());
        Assert.Equal("Grace", user["name"]!["givenName"]!.ToString()); // untouched
        Assert.Equal("W/\"2\"", user["meta"]!["version"]!.ToString()); // one PATCH, one new version
    }

    [Fact]
    public async Task An_update_by_PUT_sends_the_whole_user_with_the_change_and_keeps_the_rest()
    {
        var connector = Connector(update: "put");
        var username = $"alan.{Unique()}@acme.example";
        var anchor = Anchor();
        var id = (await connector.ApplyAsync(Create(username, anchor, "Alan", "Turing"), default)).NativeId!;
        await connector.ApplyAsync(On(TargetOperationKind.Update, id, new()
        {
            [AccountAttributes.Surname] = "Turing-Smith",
            [AccountAttributes.Email] = "alan.ts@acme.example",
            ["title"] = null, // removed
        }), default);

        var user = await server.GetAsync("/Users/" + id);
        Assert.Equal("Turing-Smith", user["name"]!["familyName"]!.ToString());
        Assert.Equal("Alan", user["name"]!["givenName"]!.ToString());
        Assert.Equal("alan.ts@acme.example", Assert.Single(user["emails"]!.AsArray())!["value"]!.ToString());
        Assert.Null(user["title"]);
        Assert.Equal((username, anchor), (user["userName"]!.ToString(), user["externalId"]!.ToString()));
    }

    [Fact]
    public async Task Disable_and_enable_set_active_and_a_repeat_is_already_applied()
    {
        var connector = Connector();
        var id = (await connector.ApplyAsync(Create($"kat.{Unique()}@acme.example", Anchor(), "Katherine", "Johnson"), default)).NativeId!;

        Assert.False((await connector.ApplyAsync(On(TargetOperationKind.Enable, id), default)).AlreadyApplied);
        Assert.True((await server.GetAsync("/Users/" + id))["active"]!.GetValue<bool>());
        Assert.True((await connector.ApplyAsync(On(TargetOperationKind.Enable, id), default)).AlreadyApplied);

        Assert.False((await connector.ApplyAsync(On(TargetOperationKind.Disable, id), default)).AlreadyApplied);
        Assert.False((await server.GetAsync("/Users/" + id))["active"]!.GetValue<bool>());
        Assert.True((await connector.ApplyAsync(On(TargetOperationKind.Disable, id), default)).AlreadyApplied);
        Assert.Equal("W/\"3\"", (await server.GetAsync("/Users/" + id))["meta"]!["version"]!.ToString()); // the repeats wrote nothing
    }

    [Fact]
    public async Task Group_membership_is_patched_on_the_groups_found_by_displayName()
    {
        var connector = Connector();
        var engineering = $"Engineering {Unique()}";
        var vpn = $"VPN \"users\" {Unique()}";
        var engineeringId = await CreateGroupAsync(engineering);
        var vpnId = await CreateGroupAsync(vpn);
        // groups named at creation are joined by the create
        var id = (await connector.ApplyAsync(Create($"mary.{Unique()}@acme.example", Anchor(), "Mary", "Jackson", engineering), default)).NativeId!;
        Assert.Equal([id], (await server.GetAsync("/Groups/" + engineeringId))["members"]!.AsArray().Select(m => m!["value"]!.ToString()));

        var added = await connector.ApplyAsync(On(TargetOperationKind.AddToGroups, id, new() { [AccountAttributes.Groups] = new List<string> { engineering, vpn } }), default);
        Assert.False(added.AlreadyApplied); // VPN was new
        Assert.Equal([id], (await server.GetAsync("/Groups/" + vpnId))["members"]!.AsArray().Select(m => m!["value"]!.ToString()));
        Assert.Single((await server.GetAsync("/Groups/" + engineeringId))["members"]!.AsArray());
        var again = await connector.ApplyAsync(On(TargetOperationKind.AddToGroups, id, new() { [AccountAttributes.Groups] = new List<string> { vpn } }), default);
        Assert.True(again.AlreadyApplied);

        var missing = await Assert.ThrowsAsync<ConnectorException>(() =>
            connector.ApplyAsync(On(TargetOperationKind.AddToGroups, id, new() { [AccountAttributes.Groups] = new List<string> { "No such group " + Unique() } }), default));
        Assert.Equal(ConnectorFailure.NotFound, missing.Failure);
        Assert.Contains("No such group", missing.Message);

        var left = await connector.ApplyAsync(On(TargetOperationKind.RemoveFromGroups, id, new() { [AccountAttributes.Groups] = new List<string> { vpn } }), default);
        Assert.False(left.AlreadyApplied);
        Assert.Empty((await server.GetAsync("/Groups/" + vpnId))["members"]?.AsArray() ?? []);
        Assert.Single((await server.GetAsync("/Groups/" + engineeringId))["members"]!.AsArray());
        Assert.True((await connector.ApplyAsync(On(TargetOperationKind.RemoveFromGroups, id, new() { [AccountAttributes.Groups] = new List<string> { vpn } }), default)).AlreadyApplied);

        // an empty list leaves every group
        await connector.ApplyAsync(On(TargetOperationKind.AddToGroups, id, new() { [AccountAttributes.Groups] = new List<string> { vpn } }), default);
        await connector.ApplyAsync(On(TargetOperationKind.RemoveFromGroups, id, new() { [AccountAttributes.Groups] = new List<string>() }), default);
        Assert.Empty((await server.GetAsync("/Groups/" + vpnId))["members"]?.AsArray() ?? []);
        Assert.Empty((await server.GetAsync("/Groups/" + engineeringId))["members"]?.AsArray() ?? []);
        Assert.Null((await server.GetAsync("/Users/" + id))["groups"]);
        Assert.True((await connector.ApplyAsync(On(TargetOperationKind.RemoveFromGroups, id, new() { [AccountAttributes.Groups] = new List<string>() }), default)).AlreadyApplied);
    }

    [Fact]
    public async Task Delete_removes_the_user_and_a_second_delete_is_already_done()
    {
        var connector = Connector();
        var id = (await connector.ApplyAsync(Create($"hedy.{Unique()}@acme.example", Anchor(), "Hedy", "Lamarr"), default)).NativeId!;

        Assert.False((await connector.ApplyAsync(On(TargetOperationKind.Delete, id), default)).AlreadyApplied);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "/Users/" + id)).Status);
        var again = await connector.ApplyAsync(On(TargetOperationKind.Delete, id), default);
        Assert.True(again.AlreadyApplied);
        Assert.Equal(id, again.NativeId);
    }

    [Fact]
    public async Task An_unknown_id_is_not_found()
    {
        var connector = Connector();
        var unknown = Guid.NewGuid().ToString();
        foreach (var kind in new[] { TargetOperationKind.Update, TargetOperationKind.Disable, TargetOperationKind.AddToGroups })
        {
            var e = await Assert.ThrowsAsync<ConnectorException>(() =>
                connector.ApplyAsync(On(kind, unknown, new() { ["title"] = "x", [AccountAttributes.Groups] = new List<string> { "g" } }), default));
            Assert.Equal(ConnectorFailure.NotFound, e.Failure);
            Assert.Contains(unknown, e.Message);
        }
    }

    [Fact]
    public async Task A_taken_userName_is_a_conflict_with_the_servers_detail()
    {
        var connector = Connector();
        var username = $"taken.{Unique()}@acme.example";
        await connector.ApplyAsync(Create(username, Anchor()), default);

        var e = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(Create(username, Anchor(), "Someone", "Else"), default));
        Assert.Equal(ConnectorFailure.Conflict, e.Failure);
        Assert.False(e.IsTransient);
        Assert.Contains("answered 409 uniqueness", e.Message);
        Assert.Contains(username, e.Message); // the server's detail names the value
        Assert.Equal(1, await CountAsync(ScimPaths.Equal("userName", username)));
    }

    [Fact]
    public async Task A_create_repeated_after_a_crash_finds_its_own_user_and_writes_nothing_twice()
    {
        var username = $"joan.{Unique()}@acme.example";
        var anchor = Anchor();
        var first = await Connector().ApplyAsync(Create(username, anchor, "Joan", "Clarke"), default);
        // The process died before the step's commit. The retry (another process, another connector)
        // asks again — the engine, finding the username taken, now asks for joan2.
        var retried = await Connector().ApplyAsync(Create(username.Replace("joan.", "joan2.", StringComparison.Ordinal), anchor, "Joan", "Clarke"), default);

        Assert.True(retried.AlreadyApplied);
        Assert.Equal(first.NativeId, retried.NativeId);
        Assert.Equal(username, retried.Outputs[AccountAttributes.Username]); // the earlier write's name, not joan2
        Assert.Equal(1, await CountAsync(ScimPaths.Equal("externalId", anchor)));
        Assert.Equal(0, await CountAsync(ScimPaths.Equal("userName", username.Replace("joan.", "joan2.", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Two_creates_of_the_same_worker_racing_make_one_user()
    {
        var username = $"race.{Unique()}@acme.example";
        var anchor = Anchor();
        var results = await Task.WhenAll(Connector().ApplyAsync(Create(username, anchor), default), Connector().ApplyAsync(Create(username, anchor), default));

        Assert.Equal(results[0].NativeId, results[1].NativeId);
        Assert.Single(results, r => !r.AlreadyApplied);
        Assert.Equal(1, await CountAsync(ScimPaths.Equal("externalId", anchor)));
    }

    [Fact]
    public async Task Reading_pages_through_every_user()
    {
        var prefix = $"page.{Unique()}";
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
            ids.Add((await Connector().ApplyAsync(Create($"{prefix}.{i}@acme.example", Anchor(), "Page", $"User{i}"), default)).NativeId!);
        var total = (await server.GetAsync("/Users?count=0"))["totalResults"]!.GetValue<int>();
        Assert.True(total > 2 * 2, "the test needs more than two pages");

        var read = new List<TargetObject>();
        await foreach (var o in Connector(pageSize: 2).ReadAsync(ObjectClasses.Account, default))
            read.Add(o);

        Assert.Equal(total, read.Count);
        Assert.Equal(read.Count, read.Select(o => o.NativeId).Distinct().Count());
        var mine = read.Where(o => ids.Contains(o.NativeId)).OrderBy(o => o.Attributes[AccountAttributes.Surname]).ToList();
        Assert.Equal(5, mine.Count);
        Assert.Equal($"{prefix}.3@acme.example", mine[3].Attributes[AccountAttributes.Username]);
        Assert.Equal($"{prefix}.3@acme.example", mine[3].Attributes[AccountAttributes.Email]);
        Assert.Equal(false, mine[3].Attributes[AccountAttributes.Enabled]);
        // the native names too, as steps and dictionary bindings spell them (reconciliation compares by them)
        Assert.Equal("User3", mine[3].Attributes["name.familyName"]);
        Assert.Equal($"{prefix}.3@acme.example", mine[3].Attributes[ScimPaths.WorkEmail]);
        Assert.Equal("Engineer", mine[3].Attributes["title"]);
        Assert.Matches("^7[0-9]{8}$", mine[3].Anchor);
    }

    [Fact]
    public async Task A_wrong_token_is_denied_and_a_read_only_token_cannot_write()
    {
        var wrongEnv = "HANDOFF_TEST_SCIM_WRONG_" + Unique().ToUpperInvariant();
        var readEnv = "HANDOFF_TEST_SCIM_READ_" + Unique().ToUpperInvariant();
        Environment.SetEnvironmentVariable(wrongEnv, "hoff_" + new string('x', 43));
        Environment.SetEnvironmentVariable(readEnv, server.ReadToken);
        try
        {
            var wrong = await Assert.ThrowsAsync<ConnectorException>(() => Connector(tokenEnv: wrongEnv).ApplyAsync(Create($"w.{Unique()}@acme.example", Anchor()), default));
            Assert.Equal(ConnectorFailure.Denied, wrong.Failure);
            Assert.Contains("answered 401", wrong.Message);
            var check = await Connector(tokenEnv: wrongEnv).TestAsync(default);
            Assert.False(check.Ok);
            Assert.Contains("401", check.Message);

            var readOnly = await Assert.ThrowsAsync<ConnectorException>(() => Connector(tokenEnv: readEnv).ApplyAsync(Create($"r.{Unique()}@acme.example", null), default));
            Assert.Equal(ConnectorFailure.Denied, readOnly.Failure);
            Assert.Contains("answered 403", readOnly.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(wrongEnv, null);
            Environment.SetEnvironmentVariable(readEnv, null);
        }
    }

    [Fact]
    public async Task The_connection_test_and_the_schema_come_from_the_server()
    {
        var connector = Connector();
        var check = await connector.TestAsync(default);
        Assert.True(check.Ok, check.Message);
        Assert.Contains("PATCH supported", check.Message);

        var schema = await connector.DiscoverSchemaAsync(default);
        var account = schema.ObjectClasses.Single(c => c.Name == ObjectClasses.Account);
        var userName = account.Attributes.Single(a => a.Name == "userName");
        Assert.True(userName.Required);
        Assert.True(userName.Unique);
        Assert.Contains(account.Attributes, a => a.Name == "name.givenName");
        Assert.Contains(account.Attributes, a => a.Name == "active" && a.Type == "bool");
        Assert.Contains(account.Attributes, a => a.Name == "emails" && a.MultiValued);
        Assert.Contains(account.Attributes, a => a.Name == $"{Enterprise}:department");
        Assert.Contains(schema.ObjectClasses.Single(c => c.Name == "group").Attributes, a => a.Name == "displayName");
    }
}
