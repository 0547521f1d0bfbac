using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Handoff.Data.Security;
using Handoff.Data.Workspace;

using Handoff.Server.Web.Security;

namespace Handoff.Server.Scim;

/// <summary>
/// The SCIM 2.0 server (RFC 7643/7644) under <c>/scim/v2</c>: Users (with the EnterpriseUser and
/// Handoff HR extensions), Groups, Bulk, the discovery endpoints. Anonymous to the web app's cookie
/// scheme: every request carries an API token (<c>Authorization: Bearer hoff_…</c>) of one source
/// system whose connector is <c>scim-server</c>, scoped <c>scim:read</c> (reads) or <c>scim:write</c>
/// (reads and writes). The token's system is the system the resources belong to.
/// </summary>
public static class ScimApi
{
    public const string MediaType = "application/scim+json";
    public const string BasePath = "/scim/v2";
    public const long MaxPayloadBytes = 10 * 1024 * 1024;

    public static IEndpointRouteBuilder MapScimApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(BasePath).WithTags("SCIM").AllowAnonymous();
        group.MapGet("/ServiceProviderConfig", (HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, false, caller => Task.FromResult(Json(200, ScimDiscovery.ServiceProviderConfig(caller))), ct))
            .WithName("ScimServiceProviderConfig").WithSummary("SCIM: what this server supports");
        group.MapGet("/Schemas", (HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, false, caller => Task.FromResult(Json(200, ScimDiscovery.Schemas(caller))), ct))
            .WithName("ScimSchemas").WithSummary("SCIM: the schemas");
        group.MapGet("/Schemas/{id}", (string id, HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, false, caller => Task.FromResult(Json(200, ScimDiscovery.Schema(caller, id))), ct))
            .WithName("ScimSchema").WithSummary("SCIM: one schema");
        group.MapGet("/ResourceTypes", (HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, false, caller => Task.FromResult(Json(200, ScimDiscovery.ResourceTypes(caller))), ct))
            .WithName("ScimResourceTypes").WithSummary("SCIM: the resource types");
        group.MapGet("/ResourceTypes/{name}", (string name, HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, false, caller => Task.FromResult(Json(200, ScimDiscovery.ResourceType(caller, name))), ct))
            .WithName("ScimResourceType").WithSummary("SCIM: one resource type");
        MapResource(group, ScimSchemas.Users, "Users");
        MapResource(group, ScimSchemas.Groups, "Groups");
        group.MapPost("/Bulk", (HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, true, async caller =>
            {
                var body = await ReadBodyAsync(c.Request, ct);
                return Json(200, await new ScimBulk(new ScimService(r)).RunAsync(caller, body, ct));
            }, ct))
            .WithName("ScimBulk").WithSummary("SCIM: many operations in one request, with bulkId references and failOnErrors");
        return app;
    }

    private static void MapResource(RouteGroupBuilder group, ScimResourceType type, string endpoint)
    {
        group.MapGet($"/{endpoint}", (HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, false, async caller =>
            {
                var q = c.Request.Query;
                var query = new ScimService.ListQuery(q["filter"], q["sortBy"], q["sortOrder"], Int(q["startIndex"], "startIndex") ?? 1, Int(q["count"], "count"));
                return Json(200, await ListAsync(new ScimService(r), caller, type, query, List(q["attributes"]), List(q["excludedAttributes"]), ct));
            }, ct))
            .WithName($"ScimList{endpoint}").WithSummary($"SCIM: list or filter {endpoint}");
        group.MapPost($"/{endpoint}/.search", (HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, false, async caller =>
            {
                if (await ReadBodyAsync(c.Request, ct) is not JsonObject body)
                    throw ScimException.InvalidSyntax("a search body must be a JSON object (SearchRequest)");
                string? Text(string name) => Get(body, name)?.ToString();
                var query = new ScimService.ListQuery(Text("filter"), Text("sortBy"), Text("sortOrder"), Int(Text("startIndex"), "startIndex") ?? 1, Int(Text("count"), "count"));
                return Json(200, await ListAsync(new ScimService(r), caller, type, query, Names(Get(body, "attributes")), Names(Get(body, "excludedAttributes")), ct));
            }, ct))
            .WithName($"ScimSearch{endpoint}").WithSummary($"SCIM: search {endpoint} with a POSTed query");
        group.MapPost($"/{endpoint}", (HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, true, async caller =>
            {
                var service = new ScimService(r);
                var body = await ReadBodyAsync(c.Request, ct);
                var stored = await WriteAsync(service, caller, batch => service.CreateAsync(caller, type, body, batch, "", ct), ct);
                return await OneAsync(service, caller, type, stored, c, 201, ct);
            }, ct))
            .WithName($"ScimCreate{endpoint}").WithSummary($"SCIM: create a {type.Name}");
        group.MapGet($"/{endpoint}/{{id}}", (string id, HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, false, async caller =>
            {
                var service = new ScimService(r);
                var stored = await service.GetAsync(caller, type, id, ct);
                var inm = c.Request.Headers.IfNoneMatch.ToString();
                if (inm.Length > 0 && inm.Split(',', StringSplitOptions.TrimEntries).Contains(ScimService.ETag(stored.Row)))
                {
                    c.Response.Headers.ETag = ScimService.ETag(stored.Row);
                    return Results.StatusCode(304);
                }
                return await OneAsync(service, caller, type, stored, c, 200, ct);
            }, ct))
            .WithName($"ScimGet{type.Name}").WithSummary($"SCIM: one {type.Name}");
        group.MapPut($"/{endpoint}/{{id}}", (string id, HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, true, async caller =>
            {
                var service = new ScimService(r);
                var body = await ReadBodyAsync(c.Request, ct);
                var stored = await WriteAsync(service, caller, batch => service.ReplaceAsync(caller, type, id, body, c.Request.Headers.IfMatch, batch, "", ct), ct);
                return await OneAsync(service, caller, type, stored, c, 200, ct);
            }, ct))
            .WithName($"ScimReplace{type.Name}").WithSummary($"SCIM: replace a {type.Name}");
        group.MapPatch($"/{endpoint}/{{id}}", (string id, HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, true, async caller =>
            {
                var service = new ScimService(r);
                var body = await ReadBodyAsync(c.Request, ct);
                var stored = await WriteAsync(service, caller, batch => service.PatchAsync(caller, type, id, body, c.Request.Headers.IfMatch, batch, "", ct), ct);
                return await OneAsync(service, caller, type, stored, c, 200, ct);
            }, ct))
            .WithName($"ScimPatch{type.Name}").WithSummary($"SCIM: add, remove or replace attributes of a {type.Name}");
        group.MapDelete($"/{endpoint}/{{id}}", (string id, HttpContext c, HandoffRuntime r, CancellationToken ct) => Handle(c, r, true, async caller =>
            {
                var service = new ScimService(r);
                await WriteAsync(service, caller, async batch =>
                {
                    await service.DeleteAsync(caller, type, id, c.Request.Headers.IfMatch, batch, "", ct);
                    return true;
                }, ct);
                return Results.StatusCode(204);
            }, ct))
            .WithName($"ScimDelete{type.Name}").WithSummary(type == ScimSchemas.Users
                ? "SCIM: the HR source no longer has this worker (the person is terminated, not erased)"
                : "SCIM: delete a Group");
    }

    /// <summary>Runs one write and takes it through the source pipeline; a refused write's record is
    /// still flushed, so it reaches the quarantine.</summary>
    private static async Task<T> WriteAsync<T>(ScimService service, ScimCaller caller, Func<ScimWriteBatch, Task<T>> write, CancellationToken ct)
    {
        var batch = new ScimWriteBatch();
        try
        {
            return await write(batch);
        }
        finally
        {
            await service.FlushAsync(caller, batch, CancellationToken.None);
        }
    }

    private static async Task<IResult> OneAsync(ScimService service, ScimCaller caller, ScimResourceType type, ScimStored stored, HttpContext c, int status, CancellationToken ct)
    {
        var groups = type == ScimSchemas.Users ? (await service.GroupsOfAsync(caller, [stored.Row.Id], ct)).GetValueOrDefault(stored.Row.Id) : null;
        var rendered = ScimService.Render(caller, type, stored.Row, stored.Resource, groups);
        var projected = ScimJson.Project(rendered, type, List(c.Request.Query["attributes"]), List(c.Request.Query["excludedAttributes"]));
        c.Response.Headers.ETag = ScimService.ETag(stored.Row);
        if (status == 201)
            c.Response.Headers.Location = rendered["meta"]!["location"]!.ToString();
        return Json(status, projected);
    }

    private static async Task<JsonObject> ListAsync(ScimService service, ScimCaller caller, ScimResourceType type, ScimService.ListQuery query,
        IReadOnlyList<string>? attributes, IReadOnlyList<string>? excluded, CancellationToken ct)
    {
        var result = await service.ListAsync(caller, type, query, ct);
        var groups = type == ScimSchemas.Users ? await service.GroupsOfAsync(caller, [.. result.Page.Select(p => p.Row.Id)], ct) : [];
        var resources = new JsonArray();
        foreach (var stored in result.Page)
        {
            var rendered = ScimService.Render(caller, type, stored.Row, stored.Resource, groups.GetValueOrDefault(stored.Row.Id));
            resources.Add(ScimJson.Project(rendered, type, attributes, excluded));
        }
        return new JsonObject
        {
            ["schemas"] = new JsonArray(ScimSchemas.ListResponse),
            ["totalResults"] = result.Total,
            ["startIndex"] = result.StartIndex,
            ["itemsPerPage"] = resources.Count,
            ["Resources"] = resources,
        };
    }

    /// <summary>Authenticates the token, builds the caller, runs <paramref name="action"/>, and turns a
    /// <see cref="ScimException"/> into a SCIM error body.</summary>
    private static async Task<IResult> Handle(HttpContext context, HandoffRuntime runtime, bool write, Func<ScimCaller, Task<IResult>> action, CancellationToken ct)
    {
        try
        {
            var caller = await AuthorizeAsync(context, runtime, write, ct);
            return await action(caller);
        }
        catch (ScimException e)
        {
            if (e.Status == 401)
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"handoff-scim\"";
            return Json(e.Status, e.ToJson());
        }
    }

    private static async Task<ScimCaller> AuthorizeAsync(HttpContext context, HandoffRuntime runtime, bool write, CancellationToken ct)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            throw new ScimException(401, null, "send an API token of the SCIM source system as Authorization: Bearer hoff_…");
        var check = await runtime.Tokens.AuthenticateAsync(header["Bearer ".Length..].Trim(), ct);
        if (!check.Allowed)
            throw new ScimException(401, null, "token refused: " + check.Refusal);
        var token = check.Token!;
        Core.Workspace.WorkspaceDefinition workspace;
        try
        {
            workspace = (await runtime.Workspace.LoadActiveAsync(ct)).Definition;
        }
        catch (WorkspaceStateException e)
        {
            throw new ScimException(503, null, e.Message);
        }
        var system = workspace.FindSystem(token.System);
        string? refusal = null;
        if (system is null || system.Connector != "scim-server")
            refusal = $"token {token.Prefix}… belongs to system '{token.System}', which is not a SCIM source (connector scim-server)";
        else if (!(write ? token.Scopes.Contains(ApiTokens.ScimWrite) : token.Scopes.Contains(ApiTokens.ScimRead) || token.Scopes.Contains(ApiTokens.ScimWrite)))
            refusal = $"token {token.Prefix}… lacks the scope {(write ? ApiTokens.ScimWrite : ApiTokens.ScimRead)}";
        if (refusal is not null)
        {
            await AccessDenials.RecordAsync(runtime, $"token:{token.Id}", AccessDenials.ScimDenied, "route", AccessDenials.Route(context.Request),
                [new("reason", null, refusal)], token.System, ct);
            throw new ScimException(403, null, refusal);
        }
        var request = context.Request;
        return new ScimCaller(workspace, system!, $"{request.Scheme}://{request.Host}{request.PathBase}{BasePath}", runtime.Keys.ContentHash);
    }

    private static async Task<JsonNode?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxPayloadBytes)
            throw new ScimException(413, null, $"the body exceeds {MaxPayloadBytes} bytes");
        var contentType = request.ContentType ?? "";
        if (contentType.Length > 0 && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            throw ScimException.InvalidSyntax($"the body must be {MediaType} (or application/json), not {contentType}");
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxPayloadBytes)
                throw new ScimException(413, null, $"the body exceeds {MaxPayloadBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
            throw ScimException.InvalidSyntax("the request has no body");
        try
        {
            return JsonNode.Parse(buffer.ToArray(), new JsonNodeOptions { PropertyNameCaseInsensitive = false });
        }
        catch (JsonException e)
        {
            throw ScimException.InvalidSyntax($"the body is not JSON: {e.Message}");
        }
    }

    internal static JsonNode? Get(JsonObject o, string name) =>
        o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static int? Int(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ScimException.InvalidValue($"{name} must be an integer, not \"{text}\"");
    }

    private static List<string>? List(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    private static List<string>? Names(JsonNode? node) => node switch
    {
        JsonArray a => [.. a.Select(x => x?.ToString()).OfType<string>()],
        JsonValue v => List(v.ToString()),
        _ => null,
    };

    /// <summary>A JSON answer as application/scim+json.</summary>
    public static IResult Json(int status, JsonNode body) => new ScimResult(status, body);

    private sealed class ScimResult(int status, JsonNode body) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = MediaType + "; charset=utf-8";
            await httpContext.Response.WriteAsync(body.ToJsonString(), Encoding.UTF8);
        }
    }
}
