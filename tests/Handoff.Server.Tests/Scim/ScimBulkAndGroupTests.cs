using System.Net;
using System.Text.Json.Nodes;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Scim;

/// <summary>/Bulk with bulkId references and failOnErrors; Groups with membership and Entra-style member PATCH.</summary>
public sealed class ScimBulkAndGroupTests
{
    private static JsonObject Op(string method, string path, string? bulkId = null, JsonNode? data = null, string? version = null)
    {
        var op = new JsonObject { ["method"] = method, ["path"] = path };
        if (bulkId is not null)
            op["bulkId"] = bulkId;
        if (version is not null)
            op["version"] = version;
        if (data is not null)
            op["data"] = data;
        return op;
    }

    private static JsonObject Bulk(int? failOnErrors, params JsonObject[] ops)
    {
        var body = new JsonObject { ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:BulkRequest"), ["Operations"] = new JsonArray([.. ops]) };
        if (failOnErrors is { } f)
            body["failOnErrors"] = f;
        return body;
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_bulk_resolves_bulkId_references_and_a_bad_operation_loses_nothing_else(string provider)
    {
        await using var host = await ScimHost.StartAsync(provider);
        var answer = await host.PostAsync("/Bulk", Bulk(null,
            // The group refers to a user created later in the same request: it waits for it.
            Op("POST", "/Groups", "g1", new JsonObject { ["displayName"] = "Research", ["members"] = new JsonArray(new JsonObject { ["value"] = "bulkId:u1" }) }),
            Op("POST", "/Users", "u1", ScimHost.User("alan@acme.example", "Alan", "Turing", externalId: "950001")),
            Op("POST", "/Users", "bad", ScimHost.User("bad@acme.example", "Bad", "Date", externalId: "950002", hireDate: "31/31/2027")),
            Op("PATCH", "/Users/bulkId:u1", data: new JsonObject { ["Operations"] = new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = "title", ["value"] = "Cryptanalyst" }) }),
            Op("POST", "/Users", "u3", ScimHost.User("grace@acme.example", "Grace", "Hopper", externalId: "950003")),
            Op("PUT", "/Users/bulkId:bad", data: ScimHost.User("bad@acme.example", "Bad", "Date")),
            Op("DELETE", $"/Users/{Guid.NewGuid()}")));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:BulkResponse", answer.Json["schemas"]![0]!.ToString());
        var ops = answer.Json["Operations"]!.AsArray();
        Assert.Equal(["201", "201", "400", "200", "201", "409", "404"], ops.Select(o => o!["status"]!.ToString()));
        Assert.Equal("g1", ops[0]!["bulkId"]!.ToString());
        var userLocation = ops[1]!["location"]!.ToString();
        var userId = userLocation[(userLocation.LastIndexOf('/') + 1)..];
        Assert.Equal("W/\"2\"", (await host.GetAsync($"/Users/{userId}")).Header("ETag"));
        var error = ops[2]!["response"]!;
        Assert.Equal("invalidValue", error["scimType"]!.ToString());
        Assert.Contains("urn:handoff:params:scim:schemas:extension:hr:2.0:User:hireDate", error["detail"]!.ToString());

        // The group holds the user created after it; the user's read-only groups show it.
        var groupLocation = ops[0]!["location"]!.ToString();
        var group = await host.GetAsync("/Groups/" + groupLocation[(groupLocation.LastIndexOf('/') + 1)..]);
        Assert.Equal(userId, group.Json["members"]![0]!["value"]!.ToString());
        Assert.Equal("User", group.Json["members"]![0]!["type"]!.ToString());
        var user = await host.GetAsync($"/Users/{userId}");
        Assert.Equal("Research", user.Json["groups"]![0]!["display"]!.ToString());
        Assert.Equal("Cryptanalyst", user.Json["title"]!.ToString());

        // Both good users are people; the bad one is quarantined with its pointer in the request.
        Assert.Equal("Cryptanalyst", (await host.Spine.PersonByKeyAsync("employee_id", "950001")).Values["job_title"].Value);
        Assert.Equal("Grace", (await host.Spine.PersonByKeyAsync("employee_id", "950003")).Values["first_name"].Value);
        await using var db = host.Spine.Db();
        Assert.Equal(2, await db.SourceRecords.CountAsync(s => s.System == "hr-scim"));
        var quarantined = await db.Quarantine.SingleAsync(q => q.System == "hr-scim");
        Assert.Equal("/Operations/2/data", quarantined.Pointer);
        Assert.Equal("urn:handoff:params:scim:schemas:extension:hr:2.0:User:hireDate", quarantined.Field);
        Assert.Equal(1, await db.Syncs.CountAsync(s => s.System == "hr-scim"));
    }

    [Fact]
    public async Task FailOnErrors_stops_the_bulk_and_circular_references_are_refused()
    {
        await using var host = await ScimHost.StartAsync(TestDatabases.Sqlite);
        var answer = await host.PostAsync("/Bulk", Bulk(2,
            Op("POST", "/Users", "a", ScimHost.User("a@acme.example", "A", "One", externalId: "950011")),
            Op("POST", "/Users", "b", ScimHost.User("a@acme.example", "A", "Again")),
            Op("POST", "/Widgets", "c", new JsonObject()),
            Op("POST", "/Users", "d", ScimHost.User("d@acme.example", "D", "Four", externalId: "950014"))));
        var ops = answer.Json["Operations"]!.AsArray();
        Assert.Equal(["201", "409", "400"], ops.Select(o => o!["status"]!.ToString()));
        Assert.Equal("uniqueness", ops[1]!["response"]!["scimType"]!.ToString());
        Assert.Equal("invalidPath", ops[2]!["response"]!["scimType"]!.ToString());
        Assert.Equal(1, (await host.GetAsync("/Users")).Json["totalResults"]!.GetValue<int>());

        var circle = await host.PostAsync("/Bulk", Bulk(null,
            Op("POST", "/Groups", "x", new JsonObject { ["displayName"] = "X", ["members"] = new JsonArray(new JsonObject { ["value"] = "bulkId:y" }) }),
            Op("POST", "/Groups", "y", new JsonObject { ["displayName"] = "Y", ["members"] = new JsonArray(new JsonObject { ["value"] = "bulkId:x" }) }),
            Op("PATCH", "/Users/bulkId:nowhere", data: new JsonObject { ["Operations"] = new JsonArray() })));
        Assert.Equal(["409", "409", "409"], circle.Json["Operations"]!.AsArray().Select(o => o!["status"]!.ToString()).Order());

        Assert.Equal("invalidSyntax", (await host.PostAsync("/Bulk", Bulk(null, Op("POST", "/Users", "same"), Op("POST", "/Users", "same")))).Json["scimType"]!.ToString());
        var tooMany = Bulk(null, [.. Enumerable.Range(0, 1001).Select(i => Op("DELETE", $"/Users/{Guid.NewGuid()}"))]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await host.PostAsync("/Bulk", tooMany)).Status);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Groups_store_membership_and_take_member_patches_as_entra_sends_them(string provider)
    {
        await using var host = await ScimHost.StartAsync(provider);
        var u1 = (await host.PostAsync("/Users", ScimHost.User("one@acme.example", "One", "User", externalId: "950021"))).Json["id"]!.ToString();
        var u2 = (await host.PostAsync("/Users", ScimHost.User("two@acme.example", "Two", "User", externalId: "950022"))).Json["id"]!.ToString();
        var created = await host.PostAsync("/Groups", new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:Group"),
            ["displayName"] = "All staff",
            ["externalId"] = "all-staff",
            ["members"] = new JsonArray(new JsonObject { ["value"] = u1 }),
        });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var gid = created.Json["id"]!.ToString();
        Assert.EndsWith($"/Users/{u1}", created.Json["members"]![0]!["$ref"]!.ToString());

        var added = await host.PatchAsync($"/Groups/{gid}", new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:PatchOp"),
            ["Operations"] = new JsonArray(new JsonObject { ["op"] = "Add", ["path"] = "members", ["value"] = new JsonArray(new JsonObject { ["value"] = u2 }) }),
        });
        Assert.Equal(2, added.Json["members"]!.AsArray().Count);
        var removed = await host.PatchAsync($"/Groups/{gid}", new JsonObject
        {
            ["Operations"] = new JsonArray(
                new JsonObject { ["op"] = "Remove", ["path"] = $"members[value eq \"{u1}\"]" },
                new JsonObject { ["op"] = "Replace", ["path"] = "displayName", ["value"] = "Everyone" }),
        });
        Assert.Equal(u2, Assert.Single(removed.Json["members"]!.AsArray())!["value"]!.ToString());
        Assert.Equal("Everyone", removed.Json["displayName"]!.ToString());
        // Entra's non-standard remove: path "members" with the members as the value.
        var emptied = await host.PatchAsync($"/Groups/{gid}", new JsonObject
        {
            ["Operations"] = new JsonArray(new JsonObject { ["op"] = "remove", ["path"] = "members", ["value"] = new JsonArray(new JsonObject { ["value"] = u2 }) }),
        });
        Assert.Null(emptied.Json["members"]);
        Assert.Null((await host.GetAsync($"/Users/{u2}")).Json["groups"]);

        var unknownMember = await host.PatchAsync($"/Groups/{gid}", new JsonObject
        {
            ["Operations"] = new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "members", ["value"] = new JsonArray(new JsonObject { ["value"] = Guid.NewGuid().ToString() }) }),
        });
        Assert.Equal("invalidValue", unknownMember.Json["scimType"]!.ToString());

        Assert.Equal(1, (await host.GetAsync("/Groups?filter=" + Uri.EscapeDataString("displayName eq \"everyone\""))).Json["totalResults"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NoContent, (await host.SendAsync(HttpMethod.Delete, $"/Groups/{gid}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync($"/Groups/{gid}")).Status);
        await using var db = host.Spine.Db();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "scim.group.created"));
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "scim.group.deleted"));
        Assert.Equal(0, await db.People.CountAsync(p => p.DisplayName == "Everyone"));
    }
}
