using System.Text.Json.Nodes;

namespace Handoff.Server.Scim;

/// <summary>/ServiceProviderConfig, /Schemas and /ResourceTypes (RFC 7644 §4, RFC 7643 §5–7).</summary>
public static class ScimDiscovery
{
    public static JsonObject ServiceProviderConfig(ScimCaller caller) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemas.ServiceProviderConfigSchema),
        ["documentationUri"] = "https://github.com/handoff/handoff/blob/main/docs/scim.md",
        ["patch"] = new JsonObject { ["supported"] = true },
        ["bulk"] = new JsonObject { ["supported"] = true, ["maxOperations"] = ScimBulk.MaxOperations, ["maxPayloadSize"] = ScimApi.MaxPayloadBytes },
        ["filter"] = new JsonObject { ["supported"] = true, ["maxResults"] = ScimService.MaxResults },
        ["changePassword"] = new JsonObject { ["supported"] = false },
        ["sort"] = new JsonObject { ["supported"] = true },
        ["etag"] = new JsonObject { ["supported"] = true },
        ["authenticationSchemes"] = new JsonArray(new JsonObject
        {
            ["type"] = "oauthbearertoken",
            ["name"] = "Handoff API token",
            ["description"] = "Authorization: Bearer hoff_… — a token of the SCIM source system, scoped scim:read or scim:write (handoff tokens create)",
            ["primary"] = true,
        }),
        ["meta"] = new JsonObject { ["resourceType"] = "ServiceProviderConfig", ["location"] = caller.BaseUrl + "/ServiceProviderConfig" },
    };

    public static JsonObject Schemas(ScimCaller caller)
    {
        var resources = new JsonArray([.. ScimSchemas.All.Select(s => (JsonNode)Schema(caller, s))]);
        return List(resources);
    }

    public static JsonObject Schema(ScimCaller caller, string id) =>
        ScimSchemas.All.FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.OrdinalIgnoreCase)) is { } schema
            ? Schema(caller, schema)
            : throw ScimException.NotFound($"no schema {id}");

    private static JsonObject Schema(ScimCaller caller, ScimSchemaDefinition schema) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemas.SchemaSchema),
        ["id"] = schema.Id,
        ["name"] = schema.Name,
        ["description"] = schema.Description,
        ["attributes"] = new JsonArray([.. schema.Attributes.Select(a => (JsonNode)Attribute(a))]),
        ["meta"] = new JsonObject { ["resourceType"] = "Schema", ["location"] = $"{caller.BaseUrl}/Schemas/{schema.Id}" },
    };

    private static JsonObject Attribute(ScimAttribute a)
    {
        var json = new JsonObject
        {
            ["name"] = a.Name,
            ["type"] = a.Type == ScimType.DateTime ? "dateTime" : a.Type.ToString().ToLowerInvariant(),
            ["multiValued"] = a.MultiValued,
            ["description"] = a.Description,
            ["required"] = a.Required,
            ["caseExact"] = a.CaseExact,
            ["mutability"] = a.Mutability,
            ["returned"] = a.Returned,
            ["uniqueness"] = a.Uniqueness,
        };
        if (a.CanonicalValues is { Count: > 0 } values)
            json["canonicalValues"] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
        if (a.ReferenceTypes is { Count: > 0 } refs)
            json["referenceTypes"] = new JsonArray([.. refs.Select(v => (JsonNode)v)]);
        if (a.Subs.Count > 0)
            json["subAttributes"] = new JsonArray([.. a.Subs.Select(s => (JsonNode)Attribute(s))]);
        return json;
    }

    public static JsonObject ResourceTypes(ScimCaller caller) =>
        List(new JsonArray([.. ScimSchemas.ResourceTypes.Select(t => (JsonNode)ResourceType(caller, t))]));

    public static JsonObject ResourceType(ScimCaller caller, string name) =>
        ScimSchemas.ResourceTypes.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)) is { } type
            ? ResourceType(caller, type)
            : throw ScimException.NotFound($"no resource type {name}");

    private static JsonObject ResourceType(ScimCaller caller, ScimResourceType type) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemas.ResourceTypeSchema),
        ["id"] = type.Name,
        ["name"] = type.Name,
        ["endpoint"] = type.Endpoint,
        ["description"] = type == ScimSchemas.Users ? "A worker, as the HR source system knows them" : "A group of users",
        ["schema"] = type.Core.Id,
        ["schemaExtensions"] = new JsonArray([.. type.Extensions.Select(e => (JsonNode)new JsonObject { ["schema"] = e.Id, ["required"] = false })]),
        ["meta"] = new JsonObject { ["resourceType"] = "ResourceType", ["location"] = $"{caller.BaseUrl}/ResourceTypes/{type.Name}" },
    };

    private static JsonObject List(JsonArray resources) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemas.ListResponse),
        ["totalResults"] = resources.Count,
        ["startIndex"] = 1,
        ["itemsPerPage"] = resources.Count,
        ["Resources"] = resources,
    };
}
