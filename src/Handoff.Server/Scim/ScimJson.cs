using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Handoff.Core.Filters;

namespace Handoff.Server.Scim;

/// <summary>
/// What real SCIM clients send, made canonical: attribute names matched case-insensitively and
/// written with the schema's spelling (<c>Primary</c> → <c>primary</c>, <c>USERNAME</c> → <c>userName</c>),
/// <c>"True"</c>/<c>"False"</c> strings as booleans, a single value where an array belongs wrapped in
/// one, read-only attributes (id, meta, groups) and unknown ones ignored (RFC 7644 §3.3), values of the
/// wrong type refused with <c>invalidValue</c> naming the attribute.
/// </summary>
public static class ScimJson
{
    /// <summary>A client's resource body made canonical; only the attributes it holds.</summary>
    public static JsonObject Normalize(JsonNode? body, ScimResourceType type)
    {
        if (body is not JsonObject input)
            throw ScimException.InvalidSyntax("the body must be a JSON object (a SCIM resource)");
        var result = new JsonObject();
        foreach (var (name, value) in input)
        {
            if (string.Equals(name, "schemas", StringComparison.OrdinalIgnoreCase))
                continue; // rebuilt from the attributes present
            if (type.Extension(name) is { } extension)
            {
                if (value is null)
                    continue;
                if (value is not JsonObject extensionValues)
                    throw ScimException.InvalidValue($"attribute \"{extension.Id}\" must be an object of the extension's attributes");
                var normalized = NormalizeAttributes(extensionValues, extension.Attributes, extension.Id + ":");
                if (normalized.Count > 0)
                    result[extension.Id] = normalized;
                continue;
            }
            if (string.Equals(name, "externalId", StringComparison.OrdinalIgnoreCase))
            {
                if (NormalizeValue(ScimSchemas.Common[1], value, "externalId") is { } externalId)
                    result["externalId"] = externalId;
                continue;
            }
            // "urn:…:User:department" written flat (some clients do) belongs in its extension object.
            if (SplitQualified(type, name) is { } qualified)
            {
                if (NormalizeValue(qualified.Attribute, value, name) is { } v)
                {
                    var ext = result[qualified.Schema.Id] as JsonObject ?? new JsonObject();
                    ext[qualified.Attribute.Name] = v;
                    result[qualified.Schema.Id] = ext;
                }
                continue;
            }
            var attribute = type.Core.Find(name);
            if (attribute is null || attribute.ReadOnly || attribute.Returned == "never")
                continue;
            if (NormalizeValue(attribute, value, attribute.Name) is { } normalizedValue)
                result[attribute.Name] = normalizedValue;
        }
        return result;
    }

    /// <summary>"urn:…:enterprise:2.0:User:department" → (the extension, department).</summary>
    public static (ScimSchemaDefinition Schema, ScimAttribute Attribute)? SplitQualified(ScimResourceType type, string name)
    {
        foreach (var extension in type.Extensions)
        {
            if (name.Length > extension.Id.Length + 1 && name.StartsWith(extension.Id + ":", StringComparison.OrdinalIgnoreCase)
                && extension.Find(name[(extension.Id.Length + 1)..]) is { } attribute)
                return (extension, attribute);
        }
        return null;
    }

    private static JsonObject NormalizeAttributes(JsonObject input, IReadOnlyList<ScimAttribute> attributes, string prefix)
    {
        var result = new JsonObject();
        foreach (var (name, value) in input)
        {
            var attribute = attributes.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));
            if (attribute is null || attribute.ReadOnly || attribute.Returned == "never")
                continue;
            if (NormalizeValue(attribute, value, prefix + attribute.Name) is { } v)
                result[attribute.Name] = v;
        }
        return result;
    }

    /// <summary>A value for <paramref name="attribute"/>, canonical; null when it is null or empty (unassigned).</summary>
    public static JsonNode? NormalizeValue(ScimAttribute attribute, JsonNode? value, string path)
    {
        if (value is null)
            return null;
        if (attribute.MultiValued)
        {
            var items = value is JsonArray array ? array.ToList() : [value];
            var result = new JsonArray();
            foreach (var item in items)
            {
                if (NormalizeSingle(attribute, item, path) is { } v)
                    result.Add(v);
            }
            return result.Count == 0 ? null : result;
        }
        if (value is JsonArray)
            throw ScimException.InvalidValue($"attribute \"{path}\" is single-valued, but an array was sent");
        return NormalizeSingle(attribute, value, path);
    }

    private static JsonNode? NormalizeSingle(ScimAttribute attribute, JsonNode? value, string path)
    {
        if (value is null)
            return null;
        if (attribute.Type == ScimType.Complex)
        {
            if (value is not JsonObject complex)
                throw ScimException.InvalidValue($"attribute \"{path}\" must be an object with the sub-attributes {string.Join(", ", attribute.Subs.Select(s => s.Name))}");
            var result = NormalizeAttributes(complex, attribute.Subs, path + ".");
            return result.Count == 0 ? null : result;
        }
        if (value is not JsonValue scalar)
            throw ScimException.InvalidValue($"attribute \"{path}\" must be a single {TypeName(attribute.Type)} value, not {(value is JsonArray ? "an array" : "an object")}");
        var kind = scalar.GetValueKind();
        switch (attribute.Type)
        {
            case ScimType.Boolean:
                if (kind is JsonValueKind.True or JsonValueKind.False)
                    return JsonValue.Create(kind == JsonValueKind.True);
                // Entra and others send "True"/"False" as strings.
                if (kind == JsonValueKind.String && bool.TryParse(StringOf(scalar, path).Trim(), out var flag))
                    return JsonValue.Create(flag);
                throw ScimException.InvalidValue($"attribute \"{path}\" must be a boolean (true or false), got {scalar.ToJsonString()}");
            case ScimType.Integer or ScimType.Decimal:
                if (kind == JsonValueKind.Number)
                    return scalar.DeepClone();
                if (kind == JsonValueKind.String && decimal.TryParse(StringOf(scalar, path), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                    return JsonValue.Create(number);
                throw ScimException.InvalidValue($"attribute \"{path}\" must be a number, got {scalar.ToJsonString()}");
            case ScimType.DateTime:
                if (kind == JsonValueKind.String && DateTimeOffset.TryParse(StringOf(scalar, path), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
                    return scalar.DeepClone();
                throw ScimException.InvalidValue($"attribute \"{path}\" must be an xsd:dateTime (2027-01-04T09:00:00Z), got {scalar.ToJsonString()}");
            default:
                // Strings and references; a number or boolean sent for a string (employeeNumber: 1234) is taken as its text.
                var text = kind switch
                {
                    JsonValueKind.String => StringOf(scalar, path),
                    JsonValueKind.Number => scalar.ToJsonString(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => throw ScimException.InvalidValue($"attribute \"{path}\" must be a string, got {scalar.ToJsonString()}"),
                };
                if (Unstorable(text) is { } problem)
                    throw ScimException.InvalidValue($"attribute \"{path}\" {problem}");
                if (attribute.Name == "type" && attribute.CanonicalValues is { Count: > 0 } canonical
                    && canonical.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase)) is { } known)
                    text = known; // "Work" → "work", so emails[type eq "work"] finds it
                return text.Length == 0 ? null : JsonValue.Create(text);
        }
    }

    /// <summary>A JSON string's text; an escaped half of a surrogate pair (<c>"\ud800"</c>) is not text and is refused naming the attribute.</summary>
    public static string StringOf(JsonValue value, string path)
    {
        try
        {
            return value.GetValue<string>();
        }
        catch (InvalidOperationException)
        {
            throw ScimException.InvalidValue($"attribute \"{path}\" contains an unpaired surrogate escape (\\uD800–\\uDFFF without its pair)");
        }
    }

    /// <summary>What makes a string impossible to store faithfully: a NUL (PostgreSQL text and jsonb
    /// cannot hold one, and C-string comparisons in directories stop at it) or half of a surrogate pair
    /// (not a character; UTF-8 cannot encode it). Null when the text is fine.</summary>
    public static string? Unstorable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
                return $"contains a NUL character at position {i}";
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
                return $"contains an unpaired surrogate (U+{(int)c:X4}) at position {i}";
        }
        return null;
    }

    private static string TypeName(ScimType type) => type switch
    {
        ScimType.DateTime => "dateTime",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The resource as a source record's native fields. A flattened name is the SCIM path that selects
    /// the value: <c>userName</c>, <c>name.givenName</c>, <c>emails[type eq "work"].value</c> (also
    /// <c>emails.value</c> for the primary or first email), <c>urn:…:enterprise:2.0:User:department</c>,
    /// <c>urn:…:enterprise:2.0:User:manager.value</c>. Booleans are <c>true</c>/<c>false</c>.
    /// Names compare case-insensitively.
    /// </summary>
    public static Dictionary<string, string?> Flatten(JsonObject resource, ScimResourceType type, Guid id)
    {
        var native = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["id"] = id.ToString() };
        foreach (var (name, value) in resource)
        {
            if (value is null)
                continue;
            if (type.Extension(name) is { } extension && value is JsonObject ext)
            {
                foreach (var (attrName, attrValue) in ext)
                {
                    if (extension.Find(attrName) is { } attribute)
                        FlattenAttribute(native, extension.Id + ":" + attribute.Name, attribute, attrValue);
                }
                continue;
            }
            var known = type.Core.Find(name) ?? ScimSchemas.Common.FirstOrDefault(a => a.Name == name);
            if (known is not null)
                FlattenAttribute(native, known.Name, known, value);
        }
        return native;
    }

    private static void FlattenAttribute(Dictionary<string, string?> native, string name, ScimAttribute attribute, JsonNode? value)
    {
        if (value is null)
            return;
        if (attribute.Type != ScimType.Complex)
        {
            if (value is JsonArray values)
                native.TryAdd(name, values.Select(Text).FirstOrDefault());
            else
                native.TryAdd(name, Text(value));
            return;
        }
        var elements = value is JsonArray array ? array.OfType<JsonObject>().ToList() : value is JsonObject single ? [single] : [];
        if (!attribute.MultiValued)
        {
            foreach (var (sub, subValue) in elements.FirstOrDefault() ?? [])
                native.TryAdd(name + "." + sub, Text(subValue));
            return;
        }
        foreach (var element in elements)
        {
            if (element["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String)
            {
                var typeName = t.GetValue<string>();
                foreach (var (sub, subValue) in element.Where(p => p.Key != "type"))
                    native.TryAdd($"{name}[type eq \"{typeName}\"].{sub}", Text(subValue));
            }
        }
        var main = elements.FirstOrDefault(e => e["primary"] is JsonValue p && p.GetValueKind() == JsonValueKind.True) ?? elements.FirstOrDefault();
        foreach (var (sub, subValue) in main ?? [])
            native.TryAdd(name + "." + sub, Text(subValue));
    }

    private static string? Text(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
        _ => value.ToJsonString(),
    };

    /// <summary>Parses an attribute path as used by <c>attributes</c>, <c>sortBy</c> and PATCH
    /// (<c>name.givenName</c>, <c>urn:…:User:department</c>) with the shared filter parser.</summary>
    public static AttributePath ParsePath(string text)
    {
        if (ScimFilter.TryParse(text.Trim() + " pr", out var expression, out _) && expression is Present p)
            return p.Path;
        throw ScimException.InvalidPath($"\"{text}\" is not an attribute path");
    }

    /// <summary>The values of a resource as the shared filter evaluator reads them (strings, booleans,
    /// decimals, nested dictionaries and lists), with meta's dates as instants.</summary>
    public static IReadOnlyDictionary<string, object?> ToFilterValues(JsonObject resource) => (IReadOnlyDictionary<string, object?>)ToObject(resource)!;

    private static object? ToObject(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToObject(p.Value), StringComparer.OrdinalIgnoreCase) as IReadOnlyDictionary<string, object?>,
        JsonArray a => a.Select(ToObject).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.GetValue<decimal>(),
            _ => null,
        },
        _ => null,
    };

    /// <summary>
    /// Applies <c>attributes</c> / <c>excludedAttributes</c> (RFC 7644 §3.9) to a rendered resource:
    /// <c>id</c> and <c>schemas</c> are always returned; a parent named selects all its sub-attributes;
    /// an extension URN selects the whole extension.
    /// </summary>
    public static JsonObject Project(JsonObject resource, ScimResourceType type, IReadOnlyList<string>? attributes, IReadOnlyList<string>? excluded)
    {
        if (attributes is { Count: > 0 })
        {
            var result = new JsonObject();
            foreach (var (name, value) in resource)
            {
                if (name is "schemas" or "id")
                {
                    result[name] = value?.DeepClone();
                    continue;
                }
                var selected = attributes.Select(a => Target(type, a)).ToList();
                if (type.Extension(name) is { } extension)
                {
                    if (selected.Any(s => s.Schema == extension.Id && s.Name is null))
                    {
                        result[name] = value?.DeepClone();
                        continue;
                    }
                    var part = Select(value as JsonObject ?? [], selected.Where(s => s.Schema == extension.Id).ToList());
                    if (part.Count > 0)
                        result[name] = part;
                    continue;
                }
                var core = Select(new JsonObject { [name] = value?.DeepClone() }, selected.Where(s => s.Schema is null).ToList());
                foreach (var (k, v) in core)
                    result[k] = v?.DeepClone();
            }
            return result;
        }
        if (excluded is { Count: > 0 })
        {
            var result = (JsonObject)resource.DeepClone();
            foreach (var target in excluded.Select(a => Target(type, a)))
            {
                if (target.Name is "id" && target.Schema is null)
                    continue; // returned always
                var holder = target.Schema is null ? result : result[target.Schema] as JsonObject;
                if (holder is null)
                    continue;
                if (target.Name is null)
                {
                    result.Remove(target.Schema!);
                    continue;
                }
                var key = holder.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, target.Name, StringComparison.OrdinalIgnoreCase));
                if (key is null)
                    continue;
                if (target.Sub is null)
                    holder.Remove(key);
                else
                    RemoveSub(holder[key], target.Sub);
            }
            return result;
        }
        return resource;
    }

    private static void RemoveSub(JsonNode? node, string sub)
    {
        foreach (var element in node is JsonArray a ? a.OfType<JsonObject>() : node is JsonObject o ? [o] : [])
        {
            var key = element.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, sub, StringComparison.OrdinalIgnoreCase));
            if (key is not null)
                element.Remove(key);
        }
    }

    private sealed record Selection(string? Schema, string? Name, string? Sub);

    private static Selection Target(ScimResourceType type, string text)
    {
        text = text.Trim();
        if (type.Extension(text) is { } whole)
            return new Selection(whole.Id, null, null);
        var path = ParsePath(text);
        var schema = path.Schema is null || string.Equals(path.Schema, type.Core.Id, StringComparison.OrdinalIgnoreCase)
            ? null
            : type.Extension(path.Schema)?.Id ?? path.Schema;
        return new Selection(schema, path.Name, path.SubAttribute);
    }

    private static JsonObject Select(JsonObject holder, List<Selection> selections)
    {
        var result = new JsonObject();
        foreach (var (name, value) in holder)
        {
            var mine = selections.Where(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (mine.Count == 0)
                continue;
            if (mine.Any(s => s.Sub is null) || value is not (JsonObject or JsonArray))
            {
                result[name] = value?.DeepClone();
                continue;
            }
            var subs = mine.Select(s => s.Sub!).ToList();
            JsonObject Keep(JsonObject element)
            {
                var kept = new JsonObject();
                foreach (var (k, v) in element)
                {
                    if (subs.Any(s => string.Equals(s, k, StringComparison.OrdinalIgnoreCase)))
                        kept[k] = v?.DeepClone();
                }
                return kept;
            }
            result[name] = value is JsonArray array
                ? new JsonArray([.. array.OfType<JsonObject>().Select(Keep).Where(k => k.Count > 0)])
                : Keep((JsonObject)value);
        }
        return result;
    }
}
