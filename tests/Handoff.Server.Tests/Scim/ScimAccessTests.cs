using System.Net;
using Handoff.Data.Security;
using Handoff.Data.Tests;
using Handoff.Server.Web.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Scim;

/// <summary>Who may call the SCIM server (a token of the scim-server system, scoped), and the discovery endpoints.</summary>
public sealed class ScimAccessTests
{
    [Fact]
    public async Task Only_a_token_of_the_scim_source_with_the_right_scope_gets_in()
    {
        await using var host = await ScimHost.StartAsync(TestDatabases.Sqlite);
        var user = ScimHost.User("tok@acme.example", "Tok", "En", externalId: "960001");

        var none = await host.SendAsync(HttpMethod.Get, "/Users", token: "");
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Equal("401", none.Json["status"]!.ToString());
        Assert.StartsWith("Bearer", none.Header("WWW-Authenticate"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.GetAsync("/Users", token: "hoff_not-a-real-token")).Status);

        // A token of another system (the HRIS, not a SCIM source) with scim:write: refused.
        var hris = await host.TokenAsync("hris", ApiTokens.ScimWrite);
        var other = await host.SendAsync(HttpMethod.Post, "/Users", user, token: hris);
        Assert.Equal(HttpStatusCode.Forbidden, other.Status);
        Assert.Contains("hris", other.Json["detail"]!.ToString());
        // The right system without a SCIM scope: refused.
        var hooks = await host.TokenAsync("hr-scim", ApiTokens.HooksWrite);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.GetAsync("/Users", token: hooks)).Status);
        // Read-only: reads, never writes.
        var reader = await host.TokenAsync("hr-scim", ApiTokens.ScimRead);
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync("/Users", token: reader)).Status);
        var refused = await host.SendAsync(HttpMethod.Post, "/Users", user, token: reader);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains(ApiTokens.ScimWrite, refused.Json["detail"]!.ToString());
        Assert.Equal(0, (await host.GetAsync("/Users")).Json["totalResults"]!.GetValue<int>());
        // Each refusal is in the audit log, by the token that tried, with the reason it was given.
        await using (var db = host.Runtime.Database.CreateContext())
        {
            var denied = await db.AuditEntries.Where(e => e.Action == AccessDenials.ScimDenied).OrderBy(e => e.Sequence).ToListAsync();
            Assert.Equal(["POST /scim/v2/Users", "GET /scim/v2/Users", "POST /scim/v2/Users"], denied.Select(d => d.ObjectId));
            Assert.Equal(["hris", "hr-scim", "hr-scim"], denied.Select(d => d.System));
            Assert.All(denied, d => Assert.StartsWith("token:", d.Actor, StringComparison.Ordinal));
            Assert.Contains(ApiTokens.ScimWrite, denied[2].FieldsJson, StringComparison.Ordinal);
        }

        // Revoked: refused at once.
        var writer = await host.Runtime.Tokens.CreateAsync("hr-scim", [ApiTokens.ScimWrite], null, "test");
        Assert.Equal(HttpStatusCode.Created, (await host.SendAsync(HttpMethod.Post, "/Users", user, token: writer.Token)).Status);
        await host.Runtime.Tokens.RevokeAsync(writer.Info.Id);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.GetAsync("/Users", token: writer.Token)).Status);

        // A signed-in session cookie is no credential here (the route is anonymous to cookie auth).
        using var request = new HttpRequestMessage(HttpMethod.Get, "/scim/v2/Users");
        request.Headers.Add("Cookie", "handoff.session=whatever");
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Discovery_describes_the_server_the_schemas_and_the_resource_types()
    {
        await using var host = await ScimHost.StartAsync(TestDatabases.Sqlite);
        var config = await host.GetAsync("/ServiceProviderConfig");
        Assert.Equal(HttpStatusCode.OK, config.Status);
        Assert.Equal("application/scim+json", config.Response.Content.Headers.ContentType!.MediaType);
        Assert.True(config.Json["patch"]!["supported"]!.GetValue<bool>());
        Assert.True(config.Json["bulk"]!["supported"]!.GetValue<bool>());
        Assert.Equal(1000, config.Json["bulk"]!["maxOperations"]!.GetValue<int>());
        Assert.True(config.Json["filter"]!["supported"]!.GetValue<bool>());
        Assert.True(config.Json["etag"]!["supported"]!.GetValue<bool>());
        Assert.True(config.Json["sort"]!["supported"]!.GetValue<bool>());
        Assert.Equal("oauthbearertoken", config.Json["authenticationSchemes"]![0]!["type"]!.ToString());

        var schemas = await host.GetAsync("/Schemas");
        Assert.Equal(4, schemas.Json["totalResults"]!.GetValue<int>());
        var ids = schemas.Json["Resources"]!.AsArray().Select(s => s!["id"]!.ToString()).ToList();
        Assert.Contains("urn:handoff:params:scim:schemas:extension:hr:2.0:User", ids);
        var hr = await host.GetAsync("/Schemas/urn:handoff:params:scim:schemas:extension:hr:2.0:User");
        Assert.Equal(["hireDate", "terminationDate", "workerType"], hr.Json["attributes"]!.AsArray().Select(a => a!["name"]!.ToString()));
        var userSchema = await host.GetAsync("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User");
        var userName = userSchema.Json["attributes"]!.AsArray().First(a => a!["name"]!.ToString() == "userName")!;
        Assert.Equal("server", userName["uniqueness"]!.ToString());
        Assert.True(userName["required"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync("/Schemas/urn:nope")).Status);

        var types = await host.GetAsync("/ResourceTypes");
        Assert.Equal(["User", "Group"], types.Json["Resources"]!.AsArray().Select(t => t!["name"]!.ToString()));
        var userType = await host.GetAsync("/ResourceTypes/User");
        Assert.Equal("/Users", userType.Json["endpoint"]!.ToString());
        Assert.Equal(2, userType.Json["schemaExtensions"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync("/ResourceTypes/Widget")).Status);
    }
}
