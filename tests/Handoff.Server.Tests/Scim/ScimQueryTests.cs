using System.Net;
using System.Text.Json.Nodes;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Scim;

/// <summary>Listing: filters (the shared parser, incl. complex value filters), sorting, paging,
/// attributes/excludedAttributes, and POST /.search.</summary>
public sealed class ScimQueryTests
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    private static async Task<ScimHost> WithFiveUsersAsync(string provider)
    {
        var host = await ScimHost.StartAsync(provider);
        (string User, string Given, string Family, string Dept, string Email)[] people =
        [
            ("alan@acme.example", "Alan", "Turing", "Research", "alan@acme.example"),
            ("barbara@acme.example", "Barbara", "Liskov", "Engineering", "barbara@acme.example"),
            ("claude@acme.example", "Claude", "Shannon", "Research", "claude@bell.example"),
            ("donald@acme.example", "Donald", "Knuth", "Engineering", "donald@acme.example"),
            ("edsger@acme.example", "Edsger", "Dijkstra", "Sales", "edsger@acme.example"),
        ];
        var i = 0;
        foreach (var p in people)
        {
            var created = await host.PostAsync("/Users", ScimHost.User(p.User, p.Given, p.Family, externalId: $"94000{++i}", department: p.Dept, workEmail: p.Email));
            Assert.Equal(HttpStatusCode.Created, created.Status);
        }
        return host;
    }

    private static List<string> Names(ScimHost.Answer answer) =>
        [.. answer.Json["Resources"]!.AsArray().Select(r => r!["userName"]!.ToString())];

    private static string Q(string filter) => "/Users?filter=" + Uri.EscapeDataString(filter);

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Filters_use_the_shared_parser_including_complex_value_filters(string provider)
    {
        await using var host = await WithFiveUsersAsync(provider);
        Assert.Equal(["barbara@acme.example"], Names(await host.GetAsync(Q("userName eq \"Barbara@ACME.example\""))));
        Assert.Equal(["claude@acme.example"], Names(await host.GetAsync(Q("externalId eq \"940003\""))));
        Assert.Equal(["claude@acme.example"], Names(await host.GetAsync(Q("emails[type eq \"work\" and value ew \"@bell.example\"]"))));
        Assert.Equal(["claude@acme.example"], Names(await host.GetAsync(Q("emails[type eq \"work\"].value co \"bell\""))));
        Assert.Equal(["alan@acme.example", "claude@acme.example"], Names(await host.GetAsync(Q($"{Enterprise}:department eq \"Research\""))));
        Assert.Equal(["barbara@acme.example", "donald@acme.example", "edsger@acme.example"],
            Names(await host.GetAsync(Q($"not ({Enterprise}:department eq \"Research\")"))));
        Assert.Equal(["alan@acme.example", "edsger@acme.example"],
            Names(await host.GetAsync(Q("userName eq \"alan@acme.example\" or name.familyName sw \"Dij\""))));
        Assert.Equal(["donald@acme.example"],
            Names(await host.GetAsync(Q("userName sw \"d\" and urn:handoff:params:scim:schemas:extension:hr:2.0:User:hireDate eq \"2027-01-04\""))));
        Assert.Equal(5, (await host.GetAsync(Q("active eq true and meta.resourceType eq \"User\""))).Json["totalResults"]!.GetValue<int>());
        Assert.Equal(0, (await host.GetAsync(Q("title pr and userName eq \"nobody\""))).Json["totalResults"]!.GetValue<int>());

        var response = await host.GetAsync(Q("userName eq \"alan@acme.example\""));
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:ListResponse", response.Json["schemas"]![0]!.ToString());
        Assert.Equal(1, response.Json["itemsPerPage"]!.GetValue<int>());
        Assert.Equal(1, response.Json["startIndex"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Sorting_and_paging_follow_startIndex_and_count(string provider)
    {
        await using var host = await WithFiveUsersAsync(provider);
        Assert.Equal(["edsger@acme.example", "donald@acme.example", "claude@acme.example", "barbara@acme.example", "alan@acme.example"],
            Names(await host.GetAsync("/Users?sortBy=userName&sortOrder=descending")));
        // By a sub-attribute (evaluated in memory), ascending by default.
        Assert.Equal(["edsger@acme.example", "donald@acme.example", "barbara@acme.example", "claude@acme.example", "alan@acme.example"],
            Names(await host.GetAsync("/Users?sortBy=name.familyName")));
        // By a multi-valued attribute: its primary value.
        Assert.Equal("claude@acme.example", Names(await host.GetAsync("/Users?sortBy=emails.value&sortOrder=ascending"))[2]);

        var page = await host.GetAsync("/Users?sortBy=userName&startIndex=2&count=2");
        Assert.Equal(["barbara@acme.example", "claude@acme.example"], Names(page));
        Assert.Equal(5, page.Json["totalResults"]!.GetValue<int>());
        Assert.Equal(2, page.Json["startIndex"]!.GetValue<int>());
        Assert.Equal(2, page.Json["itemsPerPage"]!.GetValue<int>());
        var filteredPage = await host.GetAsync(Q($"{Enterprise}:department ne \"Sales\"") + "&sortBy=name.givenName&startIndex=4&count=10");
        Assert.Equal(["donald@acme.example"], Names(filteredPage));
        Assert.Equal(4, filteredPage.Json["totalResults"]!.GetValue<int>());
        var countOnly = await host.GetAsync("/Users?count=0");
        Assert.Equal(5, countOnly.Json["totalResults"]!.GetValue<int>());
        Assert.Empty(countOnly.Json["Resources"]!.AsArray());
        Assert.Empty(Names(await host.GetAsync("/Users?startIndex=6")));

        Assert.Equal(HttpStatusCode.BadRequest, (await host.GetAsync("/Users?count=many")).Status);
        Assert.Equal("invalidValue", (await host.GetAsync("/Users?sortBy=shoeSize")).Json["scimType"]!.ToString());
        Assert.Equal("invalidValue", (await host.GetAsync("/Users?sortBy=userName&sortOrder=sideways")).Json["scimType"]!.ToString());
    }

    [Fact]
    public async Task Attributes_and_excluded_attributes_shape_the_answer()
    {
        await using var host = await WithFiveUsersAsync(TestDatabases.Sqlite);
        var only = (await host.GetAsync(Q("userName eq \"alan@acme.example\"") + $"&attributes=userName,name.givenName,{Enterprise}:department")).Json["Resources"]![0]!.AsObject();
        Assert.Equal(["schemas", "id", "userName", "name", Enterprise], only.Select(p => p.Key).ToList());
        Assert.Equal(["givenName"], only["name"]!.AsObject().Select(p => p.Key).ToList());
        Assert.Equal(["department"], only[Enterprise]!.AsObject().Select(p => p.Key).ToList());

        var without = (await host.GetAsync(Q("userName eq \"alan@acme.example\"") + $"&excludedAttributes=emails,name.familyName,{Enterprise},id")).Json["Resources"]![0]!.AsObject();
        Assert.Null(without["emails"]);
        Assert.Null(without[Enterprise]);
        Assert.NotNull(without["id"]); // returned always
        Assert.Equal("Alan", without["name"]!["givenName"]!.ToString());
        Assert.Null(without["name"]!["familyName"]);
        Assert.NotNull(without["meta"]);

        var id = only["id"]!.ToString();
        var one = await host.SendAsync(HttpMethod.Get, $"/Users/{id}?attributes=emails.value");
        Assert.Equal(["schemas", "id", "emails"], one.Json.Select(p => p.Key).ToList());
        Assert.Equal(["value"], one.Json["emails"]![0]!.AsObject().Select(p => p.Key).ToList());

        var search = await host.SendAsync(HttpMethod.Post, "/Users/.search", new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:SearchRequest"),
            ["filter"] = $"{Enterprise}:department eq \"Engineering\"",
            ["sortBy"] = "userName",
            ["sortOrder"] = "descending",
            ["attributes"] = new JsonArray("userName"),
            ["count"] = 1,
        });
        Assert.Equal(HttpStatusCode.OK, search.Status);
        Assert.Equal(2, search.Json["totalResults"]!.GetValue<int>());
        Assert.Equal(["donald@acme.example"], Names(search));
    }
}
