using System.Text.Json;
using System.Text.Json.Nodes;
using Handoff.Core.Filters;

namespace Handoff.Server.Scim;

/// <summary>
/// PATCH (RFC 7644 §3.5.2): add, remove and replace, with an attribute path (<c>name.givenName</c>,
/// <c>urn:…:enterprise:2.0:User:department</c>), a value-filter path (<c>emails[type eq "work"].value</c>,
/// <c>members[value eq "…"]</c>, parsed by the shared filter parser) or no path and a value object.
/// Tolerates what Entra and Okta send: <c>Operations</c>/<c>op</c> in any case (<c>"Replace"</c>), a path-less
/// value object whose keys are paths, a replace of <c>emails[type eq "work"].value</c> when there is no work
/// email yet (it is added), a remove of <c>members</c> with the members to remove as the value.
/// </summary>
public static class ScimPatch
{
    public static JsonObject Apply(JsonObject resource, ScimResourceType type, JsonNode? body)
    {
        if (body is not JsonObject request)
            throw ScimException.InvalidSyntax("a PATCH body must be a JSON object with \"Operations\"");
        var operations = Property(request, "Operations") as JsonArray
            ?? throw ScimException.InvalidSyntax("a PATCH body needs \"Operations\": an array of {op, path, value}");
        var doc = (JsonObject)resource.DeepClone();
        var index = 0;
        foreach (var node in operations)
        {
            if (node is not JsonObject operation)
                throw ScimException.InvalidSyntax($"Operations[{index}] must be an object");
            var op = (Property(operation, "op") as JsonValue)?.GetValueKind() == JsonValueKind.String
                ? Property(operation, "op")!.GetValue<string>().Trim().ToLowerInvariant()
                : throw ScimException.InvalidSyntax($"Operations[{index}] has no \"op\"");
            var pathText = Property(operation, "path") is JsonValue p && p.GetValueKind() == JsonValueKind.String ? p.GetValue<string>() : null;
            var value = Property(operation, "value");
            if (op is not ("add" or "replace" or "remove"))
                throw ScimException.InvalidSyntax($"Operations[{index}]: unknown op \"{op}\" (add, remove or replace)");
            if (string.IsNullOrWhiteSpace(pathText))
            {
                if (op == "remove")
                    throw ScimException.NoTarget($"Operations[{index}]: remove needs a path");
                if (value is not JsonObject values)
                    throw ScimException.InvalidSyntax($"Operations[{index}]: {op} without a path needs an object value");
                foreach (var (key, v) in values)
                {
                    if (string.Equals(key, "schemas", StringComparison.OrdinalIgnoreCase))
                        continue;
                    if (type.Extension(key) is { } extension && v is JsonObject extValues)
                    {
                        foreach (var (sub, subValue) in extValues)
                            ApplyOne(doc, type, op, $"{extension.Id}:{sub}", subValue?.DeepClone());
                        continue;
                    }
                    ApplyOne(doc, type, op, key, v?.DeepClone());
                }
            }
            else
            {
                ApplyOne(doc, type, op, pathText, value?.DeepClone());
            }
            index++;
        }
        return ScimJson.Normalize(doc, type);
    }

    private static JsonNode? Property(JsonObject o, string name) =>
        o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static void ApplyOne(JsonObject doc, ScimResourceType type, string op, string pathText, JsonNode? value)
    {
        FilterExpression? filter = null;
        AttributePath path;
        string? subAfterFilter = null;
        if (pathText.Contains('['))
        {
            if (!ScimFilter.TryParse(pathText, out var parsed, out var error) || parsed is not ValuePathFilter { Operator: null } vp)
                throw ScimException.InvalidPath($"\"{pathText}\" is not a valid path: {error?.Message ?? "expected attr[filter] or attr[filter].sub"}");
            path = vp.Path;
            filter = vp.Inner;
            subAfterFilter = vp.SubAttribute;
        }
        else if (type.Extension(pathText.Trim()) is { } wholeExtension)
        {
            // The whole extension object as the target.
            if (op == "remove")
                doc.Remove(wholeExtension.Id);
            else if (value is JsonObject extValues)
                foreach (var (extName, extValue) in extValues)
                    ApplyOne(doc, type, op, $"{wholeExtension.Id}:{extName}", extValue?.DeepClone());
            return;
        }
        else
        {
            path = ScimJson.ParsePath(pathText);
        }

        // Where the attribute lives: the resource itself or its extension object.
        ScimAttribute? attribute;
        JsonObject holder;
        if (path.Schema is not null && !string.Equals(path.Schema, type.Core.Id, StringComparison.OrdinalIgnoreCase))
        {
            var extension = type.Extension(path.Schema) ?? throw ScimException.InvalidPath($"\"{pathText}\": unknown schema {path.Schema}");
            attribute = extension.Find(path.Name);
            if (doc[extension.Id] is not JsonObject ext)
            {
                ext = new JsonObject();
                if (op != "remove")
                    doc[extension.Id] = ext;
            }
            holder = ext;
        }
        else
        {
            attribute = type.Core.Find(path.Name) ?? ScimSchemas.Common.FirstOrDefault(a => string.Equals(a.Name, path.Name, StringComparison.OrdinalIgnoreCase));
            holder = doc;
        }
        if (attribute is null)
            throw ScimException.InvalidPath($"\"{pathText}\": no attribute \"{path.Name}\" in the {type.Name} schema");
        if (attribute.ReadOnly || attribute.Name == "id")
            throw ScimException.Mutability($"\"{attribute.Name}\" is read-only and cannot be changed");
        var subName = path.SubAttribute ?? subAfterFilter;
        ScimAttribute? sub = null;
        if (subName is not null)
        {
            sub = attribute.Sub(subName) ?? throw ScimException.InvalidPath($"\"{pathText}\": \"{attribute.Name}\" has no sub-attribute \"{subName}\"");
            if (sub.ReadOnly)
                throw ScimException.Mutability($"\"{attribute.Name}.{sub.Name}\" is read-only and cannot be changed");
        }
        var key = attribute.Name;
        var label = pathText.Trim();

        if (filter is not null)
        {
            if (!attribute.MultiValued || attribute.Type != ScimType.Complex)
                throw ScimException.InvalidPath($"\"{pathText}\": a value filter needs a multi-valued complex attribute");
            var elements = holder[key] as JsonArray ?? [];
            var matches = elements.OfType<JsonObject>().Where(e => filter.Matches(new DictionaryFilterSubject(ScimJson.ToFilterValues(e)))).ToList();
            if (op == "remove")
            {
                if (matches.Count == 0)
                    throw ScimException.NoTarget($"\"{label}\" matches no value");
                foreach (var m in matches)
                {
                    if (sub is null)
                        elements.Remove(m);
                    else
                        m.Remove(sub.Name);
                }
                return;
            }
            if (value is null)
                throw ScimException.InvalidSyntax($"{op} of \"{label}\" needs a value");
            if (matches.Count == 0)
            {
                // Entra replaces emails[type eq "work"].value on a user without a work email: add the element.
                if (EqualityTemplate(filter) is not { } template)
                    throw ScimException.NoTarget($"\"{label}\" matches no value");
                if (sub is not null)
                    template[sub.Name] = value;
                else if (value is JsonObject merged)
                    foreach (var (k, v) in merged)
                        template[k] = v?.DeepClone();
                var normalized = ScimJson.NormalizeValue(attribute, new JsonArray(template), label) as JsonArray;
                if (normalized is not null)
                {
                    elements = holder[key] as JsonArray ?? [];
                    elements.Add(normalized[0]!.DeepClone());
                    holder[key] = elements;
                }
                return;
            }
            foreach (var m in matches)
            {
                if (sub is not null)
                {
                    m[sub.Name] = ScimJson.NormalizeValue(sub, value, $"{attribute.Name}.{sub.Name}");
                }
                else if (value is JsonObject merged)
                {
                    if (op == "replace")
                    {
                        foreach (var k in m.Select(p => p.Key).ToList())
                            m.Remove(k);
                    }
                    foreach (var (k, v) in merged)
                        m[k] = v?.DeepClone();
                }
                else
                {
                    throw ScimException.InvalidValue($"{op} of \"{label}\" needs an object value");
                }
            }
            return;
        }

        var existingKey = holder.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
        if (op == "remove")
        {
            if (existingKey is null)
                return;
            if (sub is not null)
            {
                foreach (var element in holder[existingKey] is JsonArray arr ? arr.OfType<JsonObject>() : holder[existingKey] is JsonObject o ? [o] : [])
                    element.Remove(element.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, sub.Name, StringComparison.OrdinalIgnoreCase)) ?? sub.Name);
                return;
            }
            // Entra removes group members with path "members" and the members as the value.
            if (attribute.MultiValued && value is JsonArray toRemove && holder[existingKey] is JsonArray current)
            {
                var gone = toRemove.OfType<JsonObject>().Select(v => v["value"]?.ToJsonString()).Where(v => v is not null).ToHashSet();
                foreach (var element in current.OfType<JsonObject>().Where(e => gone.Contains(e["value"]?.ToJsonString())).ToList())
                    current.Remove(element);
                return;
            }
            holder.Remove(existingKey);
            return;
        }

        if (sub is not null)
        {
            if (attribute.MultiValued)
            {
                foreach (var element in (holder[existingKey ?? key] as JsonArray ?? []).OfType<JsonObject>())
                    element[sub.Name] = ScimJson.NormalizeValue(sub, value, $"{attribute.Name}.{sub.Name}");
                return;
            }
            var complex = existingKey is not null && holder[existingKey] is JsonObject c ? c : new JsonObject();
            complex[sub.Name] = ScimJson.NormalizeValue(sub, value, $"{attribute.Name}.{sub.Name}");
            holder[key] = complex;
            return;
        }

        var newValue = ScimJson.NormalizeValue(attribute, value, attribute.Name);
        if (existingKey is not null && existingKey != key)
            holder.Remove(existingKey);
        var old = existingKey is null ? null : holder[key];
        if (attribute.MultiValued && op == "add" && old is JsonArray oldItems && newValue is JsonArray added)
        {
            foreach (var item in added)
            {
                // Adding a value already there (same "value") replaces it instead of doubling it.
                var same = oldItems.OfType<JsonObject>().FirstOrDefault(o => item is JsonObject io && io["value"] is not null && o["value"]?.ToJsonString() == io["value"]!.ToJsonString());
                if (same is not null)
                    oldItems.Remove(same);
                oldItems.Add(item!.DeepClone());
            }
            return;
        }
        if (!attribute.MultiValued && attribute.Type == ScimType.Complex && old is JsonObject oldComplex && newValue is JsonObject newComplex)
        {
            foreach (var (k, v) in newComplex)
                oldComplex[k] = v?.DeepClone();
            return;
        }
        holder[key] = newValue;
    }

    /// <summary>For <c>type eq "work"</c> (or several eq joined by and): an element with those values.</summary>
    private static JsonObject? EqualityTemplate(FilterExpression filter)
    {
        var template = new JsonObject();
        bool Collect(FilterExpression e)
        {
            switch (e)
            {
                case And a:
                    return Collect(a.Left) && Collect(a.Right);
                case Comparison { Op: ComparisonOperator.Eq, Path.SubAttribute: null } c when c.Value is FilterString s:
                    template[c.Path.Name] = s.Value;
                    return true;
                case Comparison { Op: ComparisonOperator.Eq, Path.SubAttribute: null } c when c.Value is FilterBoolean b:
                    template[c.Path.Name] = b.Value;
                    return true;
                default:
                    return false;
            }
        }
        return Collect(filter) ? template : null;
    }
}
