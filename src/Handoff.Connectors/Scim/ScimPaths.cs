using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Handoff.Core.Connectors;
using Handoff.Core.Filters;

namespace Handoff.Connectors.Scim;

/// <summary>
/// SCIM attribute paths (RFC 7644 §3.10) as a client writes them into a resource body: <c>title</c>,
/// <c>name.givenName</c>, <c>emails[type eq "work"].value</c> and schema-qualified extension paths
/// <c>urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department</c>. The same paths are the
/// native attribute names a step's <c>attributes:</c> input uses for a scim-client system, so one
/// spelling works for create (a body), PATCH (the op's path) and PUT (the edited resource).
/// </summary>
public static partial class ScimPaths
{
    public const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string GroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
    public const string EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    public const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    public const string WorkEmail = "emails[type eq \"work\"].value";

    /// <summary>Operation-level attribute → SCIM path. Anything else in an operation is a SCIM path already.</summary>
    public static IReadOnlyDictionary<string, string> NativeNames { get; } = new Dictionary<string, string>
    {
        [AccountAttributes.Username] = "userName",
        [AccountAttributes.DisplayName] = "displayName",
        [AccountAttributes.GivenName] = "name.givenName",
        [AccountAttributes.Surname] = "name.familyName",
        [AccountAttributes.Email] = WorkEmail,
        [AccountAttributes.Enabled] = "active",
        [AccountAttributes.Password] = "password",
        [AccountAttributes.Manager] = EnterpriseSchema + ":manager.value",
    };

    /// <summary>A filter comparison <c>path eq "value"</c> with the value quoted and escaped the way the
    /// engine's own SCIM filter parser reads it (quotes, backslashes and control characters escaped).</summary>
    public static string Equal(string path, string value) => $"{path} eq {new FilterString(value)}";

    /// <summary>Writes <paramref name="value"/> at <paramref name="path"/> (null removes it), creating
    /// parent objects, multi-valued elements and the extension's <c>schemas</c> entry as needed.</summary>
    /// <exception cref="FormatException">a path this client cannot write (a filter other than <c>type eq</c>)</exception>
    public static void Set(JsonObject resource, string path, JsonNode? value)
    {
        var target = resource;
        var rest = path;
        if (path.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            var colon = path.LastIndexOf(':');
            var schema = path[..colon];
            rest = path[(colon + 1)..];
            if (Child(resource, schema) is not JsonObject extension)
            {
                if (value is null)
                    return;
                resource[schema] = extension = [];
            }
            if (resource["schemas"] is JsonArray schemas && !schemas.Any(s => string.Equals(s?.ToString(), schema, StringComparison.OrdinalIgnoreCase)))
                schemas.Add(schema);
            target = extension;
        }
        if (TypedPath().Match(rest) is { Success: true } typed)
        {
            SetTyped(target, typed.Groups["attr"].Value, typed.Groups["type"].Value, typed.Groups["sub"].Success ? typed.Groups["sub"].Value : "value", value);
            return;
        }
        if (rest.Contains('[', StringComparison.Ordinal) || rest.Length == 0)
            throw new FormatException($"\"{path}\": only attribute[.sub] paths and attribute[type eq \"…\"].sub filters can be written");
        var parts = rest.Split('.');
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (Child(target, parts[i]) is not JsonObject next)
            {
                if (value is null)
                    return;
                target[parts[i]] = next = [];
            }
            target = next;
        }
        Put(target, parts[^1], value);
    }

    /// <summary>The value at a simple or typed path (<c>name.givenName</c>, <c>emails[type eq "work"].value</c>), or null.</summary>
    public static JsonNode? Get(JsonObject resource, string path)
    {
        JsonObject? target = resource;
        var rest = path;
        if (path.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            var colon = path.LastIndexOf(':');
            target = Child(resource, path[..colon]) as JsonObject;
            rest = path[(colon + 1)..];
        }
        if (target is null)
            return null;
        if (TypedPath().Match(rest) is { Success: true } typed)
        {
            return (Child(target, typed.Groups["attr"].Value) as JsonArray)?.OfType<JsonObject>()
                .FirstOrDefault(e => string.Equals(Child(e, "type")?.ToString(), typed.Groups["type"].Value, StringComparison.OrdinalIgnoreCase)) is { } element
                ? Child(element, typed.Groups["sub"].Success ? typed.Groups["sub"].Value : "value") : null;
        }
        JsonNode? node = target;
        foreach (var part in rest.Split('.'))
            node = node is JsonObject o ? Child(o, part) : null;
        return node;
    }

    /// <summary>A member of an object by name, ignoring case (RFC 7643 §2.1: attribute names are case-insensitive).</summary>
    public static JsonNode? Child(JsonObject o, string name) =>
        o.TryGetPropertyValue(name, out var exact) ? exact
        : o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static void Put(JsonObject o, string name, JsonNode? value)
    {
        var key = o.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) ?? name;
        if (value is null)
            o.Remove(key);
        else
            o[key] = value;
    }

    private static void SetTyped(JsonObject target, string attribute, string type, string sub, JsonNode? value)
    {
        if (Child(target, attribute) is not JsonArray list)
        {
            if (value is null)
                return;
            Put(target, attribute, list = []);
        }
        var element = list.OfType<JsonObject>().FirstOrDefault(e => string.Equals(Child(e, "type")?.ToString(), type, StringComparison.OrdinalIgnoreCase));
        if (element is null)
        {
            if (value is null)
                return;
            element = new JsonObject { ["type"] = type };
            if (list.Count == 0)
                element["primary"] = true;
            list.Add(element);
        }
        if (value is null && sub == "value")
        {
            list.Remove(element);
            return;
        }
        Put(element, sub, value);
    }

    [GeneratedRegex("""^(?<attr>[A-Za-z][\w$-]*)\[\s*type\s+eq\s+"(?<type>[^"\\]*)"\s*\](?:\.(?<sub>[A-Za-z][\w$-]*))?$""", RegexOptions.IgnoreCase)]
    private static partial Regex TypedPath();
}
