using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Handoff.Server.Scim;

/// <summary>
/// <c>POST /Bulk</c> (RFC 7644 §3.7): operations run in order, except that one referring to
/// <c>bulkId:x</c> (in its path or anywhere in its data, e.g. a group's member) waits until the POST
/// with that bulkId ran; a reference to a failed operation fails, a circle of references is answered
/// 409. <c>failOnErrors</c> stops after that many errors (the rest are neither run nor reported). Every
/// user written goes through the source pipeline in one sync at the end, so a bulk of 1,000 costs one
/// pass through correlation and conflict rules, and a refused operation loses nothing else.
/// </summary>
public sealed class ScimBulk(ScimService service)
{
    public const int MaxOperations = 1000;
    private const string Reference = "bulkId:";

    private sealed record Operation(int Index, string Method, string? BulkId, string Path, string? Version, JsonNode? Data);

    public async Task<JsonObject> RunAsync(ScimCaller caller, JsonNode? body, CancellationToken ct)
    {
        if (body is not JsonObject request)
            throw ScimException.InvalidSyntax("a bulk request must be a JSON object (BulkRequest)");
        if (ScimApi.Get(request, "Operations") is not JsonArray list)
            throw ScimException.InvalidSyntax("a bulk request needs \"Operations\": an array of {method, path, bulkId, data}");
        if (list.Count > MaxOperations)
            throw new ScimException(413, null, $"a bulk request may hold at most {MaxOperations} operations, this one has {list.Count}");
        var failOnErrors = ScimApi.Get(request, "failOnErrors") switch
        {
            null => 0,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) && n >= 0 => n,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && int.TryParse(v.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            var other => throw ScimException.InvalidValue($"failOnErrors must be a non-negative integer, not {other.ToJsonString()}"),
        };

        var operations = new List<Operation>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject o)
                throw ScimException.InvalidSyntax($"Operations[{i}] must be an object");
            string? Text(string name) => ScimApi.Get(o, name) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            operations.Add(new Operation(i, (Text("method") ?? "").Trim().ToUpperInvariant(), Text("bulkId"), Text("path") ?? "", Text("version"), ScimApi.Get(o, "data")?.DeepClone()));
        }
        var duplicate = operations.Where(o => o.BulkId is not null).GroupBy(o => o.BulkId).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw ScimException.InvalidSyntax($"bulkId \"{duplicate.Key}\" is used by more than one operation");
        var declared = operations.Where(o => o.BulkId is not null && o.Method == "POST").ToDictionary(o => o.BulkId!, o => o);

        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        var results = new JsonObject?[operations.Count];
        var batch = new ScimWriteBatch();
        var pending = operations.ToList();
        var errors = 0;
        var stopped = false;
        while (pending.Count > 0 && !stopped)
        {
            var progress = false;
            foreach (var op in pending.ToList())
            {
                var references = References(op);
                if (references.Any(r => declared.ContainsKey(r) && !resolved.ContainsKey(r) && !failed.Contains(r)))
                    continue; // its target has not run yet
                pending.Remove(op);
                progress = true;
                var result = await ExecuteAsync(caller, op, references, resolved, batch, ct);
                results[op.Index] = result;
                if (IsError(result))
                {
                    errors++;
                    if (op.BulkId is not null)
                        failed.Add(op.BulkId);
                    if (failOnErrors > 0 && errors >= failOnErrors)
                    {
                        stopped = true;
                        break;
                    }
                }
            }
            if (!progress)
            {
                // What is left waits on itself: a circle of bulkId references.
                foreach (var op in pending)
                {
                    results[op.Index] = Result(op, 409, null, null, ScimException.Body(409, null, $"operation {op.Index} ({op.Method} {op.Path}) is part of a circle of bulkId references"));
                    errors++;
                    if (failOnErrors > 0 && errors >= failOnErrors)
                        break;
                }
                break;
            }
        }

        await service.FlushAsync(caller, batch, ct);
        return new JsonObject
        {
            ["schemas"] = new JsonArray(ScimSchemas.BulkResponse),
            ["Operations"] = new JsonArray([.. results.Where(r => r is not null).Select(r => (JsonNode)r!)]),
        };
    }

    private static bool IsError(JsonObject result) => int.Parse(result["status"]!.ToString(), CultureInfo.InvariantCulture) >= 400;

    private static HashSet<string> References(Operation op)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (_, v) in o)
                        Walk(v);
                    break;
                case JsonArray a:
                    foreach (var v in a)
                        Walk(v);
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().StartsWith(Reference, StringComparison.Ordinal):
                    found.Add(v.GetValue<string>()[Reference.Length..]);
                    break;
            }
        }
        Walk(op.Data);
        foreach (var segment in op.Path.Split('/'))
        {
            if (segment.StartsWith(Reference, StringComparison.Ordinal))
                found.Add(segment[Reference.Length..]);
        }
        return found;
    }

    private async Task<JsonObject> ExecuteAsync(ScimCaller caller, Operation op, HashSet<string> references, Dictionary<string, string> resolved,
        ScimWriteBatch batch, CancellationToken ct)
    {
        var pointer = $"/Operations/{op.Index}/data";
        try
        {
            var missing = references.FirstOrDefault(r => !resolved.ContainsKey(r));
            if (missing is not null)
                throw new ScimException(409, null, $"bulkId \"{missing}\" refers to no operation that succeeded");
            var path = op.Path;
            foreach (var r in references)
                path = path.Replace(Reference + r, resolved[r], StringComparison.Ordinal);
            var data = Substitute(op.Data, resolved);
            var segments = path.Trim('/').Split('/');
            var type = segments[0].ToLowerInvariant() switch
            {
                "users" => ScimSchemas.Users,
                "groups" => ScimSchemas.Groups,
                _ => throw ScimException.InvalidPath($"\"{op.Path}\" is not /Users or /Groups"),
            };
            var ifMatch = op.Version;
            switch (op.Method)
            {
                case "POST" when segments.Length == 1:
                    {
                        var stored = await service.CreateAsync(caller, type, data, batch, pointer, ct);
                        if (op.BulkId is not null)
                            resolved[op.BulkId] = stored.Row.Id.ToString();
                        return Result(op, 201, Location(caller, type, stored), ScimService.ETag(stored.Row), null);
                    }
                case "PUT" when segments.Length == 2:
                    {
                        var stored = await service.ReplaceAsync(caller, type, segments[1], data, ifMatch, batch, pointer, ct);
                        return Result(op, 200, Location(caller, type, stored), ScimService.ETag(stored.Row), null);
                    }
                case "PATCH" when segments.Length == 2:
                    {
                        var stored = await service.PatchAsync(caller, type, segments[1], data, ifMatch, batch, pointer, ct);
                        return Result(op, 200, Location(caller, type, stored), ScimService.ETag(stored.Row), null);
                    }
                case "DELETE" when segments.Length == 2:
                    await service.DeleteAsync(caller, type, segments[1], ifMatch, batch, pointer, ct);
                    return Result(op, 204, $"{caller.BaseUrl}{type.Endpoint}/{segments[1]}", null, null);
                case "POST" or "PUT" or "PATCH" or "DELETE":
                    throw ScimException.InvalidPath($"\"{op.Path}\" does not fit {op.Method} (POST to /Users or /Groups, the others to /Users/{{id}} or /Groups/{{id}})");
                default:
                    throw ScimException.InvalidSyntax($"unknown method \"{op.Method}\" (POST, PUT, PATCH or DELETE)");
            }
        }
        catch (ScimException e)
        {
            return Result(op, e.Status, null, null, e.ToJson());
        }
    }

    private static string Location(ScimCaller caller, ScimResourceType type, ScimStored stored) => $"{caller.BaseUrl}{type.Endpoint}/{stored.Row.Id}";

    private static JsonNode? Substitute(JsonNode? node, Dictionary<string, string> resolved) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Substitute(p.Value, resolved)))),
        JsonArray a => new JsonArray([.. a.Select(v => Substitute(v, resolved))]),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { } s && s.StartsWith(Reference, StringComparison.Ordinal)
            && resolved.TryGetValue(s[Reference.Length..], out var id) => JsonValue.Create(id),
        _ => node?.DeepClone(),
    };

    private static JsonObject Result(Operation op, int status, string? location, string? version, JsonObject? error)
    {
        var result = new JsonObject { ["method"] = op.Method };
        if (op.BulkId is not null)
            result["bulkId"] = op.BulkId;
        if (version is not null)
            result["version"] = version;
        if (location is not null)
            result["location"] = location;
        result["status"] = status.ToString(CultureInfo.InvariantCulture);
        if (error is not null)
            result["response"] = error;
        return result;
    }
}
