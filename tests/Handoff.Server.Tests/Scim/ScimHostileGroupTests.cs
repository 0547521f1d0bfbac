using System.Net;
using System.Text.Json.Nodes;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Scim;

/// <summary>Group names the hostile corpus found answered with a 500: a name held twice, a NUL, a lone
/// surrogate escaped in JSON, surrounding spaces. Each is a 201 or a 4xx that names the attribute.</summary>
public sealed class ScimHostileGroupTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Hostile_group_names_are_stored_or_refused_naming_the_attribute(string provider)
    {
        await using var host = await ScimHost.StartAsync(provider);
        foreach (var name in new[] { " leading and trailing ", "nul\0byte", "\\ud800", "Zoë 北京 🚀" })
        {
            var json = new JsonObject { ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:Group"), ["members"] = new JsonArray() }.ToJsonString();
            json = json.Insert(1, "\"displayName\":" + (name == "\\ud800" ? "\"\\ud800\"" : System.Text.Json.JsonSerializer.Serialize(name)) + ",");
            for (var i = 0; i < 2; i++)
            {
                var answer = await host.SendAsync(HttpMethod.Post, "/Groups", json);
                Assert.True((int)answer.Status < 500, $"{name} #{i}: {(int)answer.Status} {answer.Body}");
                if (answer.Status != HttpStatusCode.Created)
                    Assert.Contains("displayName", answer.Json["detail"]!.ToString(), StringComparison.Ordinal);
            }
        }
    }
}
