using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Web;

/// <summary>The REST API with an API token (Bearer) and with the session cookie.</summary>
public sealed class ApiTests
{
    [Fact]
    public async Task An_api_token_acts_with_the_role_of_its_scope_and_nothing_more()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite);
        var viewer = (await host.Runtime.Tokens.CreateAsync("hris", ["api:viewer"], TimeSpan.FromDays(1), "test")).Token;
        var hooks = (await host.Runtime.Tokens.CreateAsync("hris", ["hooks:write"], TimeSpan.FromDays(1), "test")).Token;
        using var client = host.Client();

        async Task<HttpStatusCode> Get(string path, string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (token is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return (await client.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await Get("/api/people/?search=100131", viewer));
        Assert.Equal(HttpStatusCode.Forbidden, await Get("/api/audit/", viewer));
        Assert.Equal(HttpStatusCode.Forbidden, await Get("/api/people/", hooks)); // a webhook token has no API role
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/api/people/", "hoff_not-a-token"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/api/people/", null));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/people/100131");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", viewer);
        var person = JsonDocument.Parse(await (await client.SendAsync(request)).Content.ReadAsStringAsync()).RootElement;
        var start = person.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("field").GetString() == "start_date");
        Assert.Equal("2027-01-11", start.GetProperty("value").GetString());
        Assert.Equal("hris", start.GetProperty("system").GetString());
    }

    [Fact]
    public async Task A_signed_in_session_calls_the_api_and_the_domain_explains_refusals()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite);
        using var client = host.Client();
        await WebTestHost.SignInAsync(client, "hector");
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Equal("hector", me.GetProperty("name").GetString());
        Assert.Equal(["hr_operator"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        var versions = await client.GetFromJsonAsync<JsonElement>("/api/dictionary/versions");
        Assert.Equal("active", versions[0].GetProperty("status").GetString());
        // hector approving v1 again: refused by the store with its reason.
        var approve = await client.PostAsync("/api/dictionary/versions/1/approvals", null);
        Assert.Equal(HttpStatusCode.Conflict, approve.StatusCode);
        Assert.Contains("only a proposed version can be approved", await approve.Content.ReadAsStringAsync());

        var dashboard = await client.GetFromJsonAsync<JsonElement>("/api/dashboard");
        Assert.True(dashboard.GetProperty("people").GetProperty("active").GetInt32() > 0);
        var openapi = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/people/{reference}", openapi);
    }

    [Fact]
    public async Task Workflows_are_validated_simulated_proposed_and_signed_through_the_api()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite);
        using var hector = host.Client();
        await WebTestHost.SignInAsync(hector, "hector");
        var templates = await hector.GetFromJsonAsync<JsonElement>("/api/workflows/templates");
        var yaml = templates.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "pre-hire").GetProperty("yaml").GetString()!;

        // An unknown field: the error names its line and the field.
        var bad = await hector.PostAsJsonAsync("/api/workflows/validation", new { yaml = yaml.Replace("{{ job_title }}", "{{ job_titel }}", StringComparison.Ordinal) });
        var check = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(check.GetProperty("valid").GetBoolean());
        var error = check.GetProperty("errors").EnumerateArray().First();
        Assert.Contains("job_titel", error.GetProperty("message").GetString());
        Assert.True(error.GetProperty("line").GetInt32() > 1);

        var simulation = await (await hector.PostAsJsonAsync("/api/workflows/simulation", new { yaml, mode = "generated", count = 5 })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(5, simulation.GetProperty("people").GetInt32());
        Assert.True(simulation.GetProperty("writes").GetInt32() > 0);

        var proposed = await hector.PostAsJsonAsync("/api/workflows/versions", new { yaml });
        Assert.Equal(HttpStatusCode.Created, proposed.StatusCode);
        // The author's own signature does not count (409 with the store's reason).
        var own = await hector.PostAsync("/api/workflows/versions/pre-hire@v1/approvals", null);
        Assert.Equal(HttpStatusCode.Conflict, own.StatusCode);
        Assert.Contains("authored", await own.Content.ReadAsStringAsync());

        using var olga = host.Client();
        await WebTestHost.SignInAsync(olga, "olga");
        // An it_operator may not sign at all (no workflows.approve).
        Assert.Equal(HttpStatusCode.Forbidden, (await olga.PostAsync("/api/workflows/versions/pre-hire@v1/approvals", null)).StatusCode);
        var version = await olga.GetFromJsonAsync<JsonElement>("/api/workflows/versions/pre-hire@v1");
        Assert.Equal("proposed", version.GetProperty("version").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await olga.GetAsync("/api/workflows/versions/no-such@v9")).StatusCode);
        Assert.Empty((await olga.GetFromJsonAsync<JsonElement>("/api/runs/")).EnumerateArray());
        var openapi = await olga.GetStringAsync("/openapi/v1.json");
        foreach (var path in new[] { "/api/workflows/versions/{reference}/approvals", "/api/runs/{id}/retry", "/api/approvals/{id}/decision", "/api/staged/{id}/decision" })
            Assert.Contains(path, openapi);
    }
}
