using System.Text.Json;
using Handoff.Core.Sources;

namespace Handoff.Connectors.Webhook;

/// <summary>
/// Reads records from a JSON body: one object, an array of objects, or <c>{"records": [...]}</c>.
/// Each record's properties are native field names; strings, numbers, booleans and null are values.
/// A record that is not an object, or that holds a nested object or array, becomes an
/// <see cref="UnreadableRow"/> named by its JSON pointer, and the other records are still read.
/// A body that is not JSON at all is refused whole with <see cref="SourceFormatException"/>.
/// </summary>
public static class JsonRecordReader
{
    public const int MaxDepth = 16;

    public static IReadOnlyList<SourceItem> Read(ReadOnlyMemory<byte> body, string origin)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new SourceFormatException($"{origin}: the body is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}): {FirstSentence(e.Message)}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            JsonElement list;
            string prefix;
            if (root.ValueKind == JsonValueKind.Array)
            {
                list = root;
                prefix = "";
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("records", out var records))
            {
                if (records.ValueKind != JsonValueKind.Array)
                    throw new SourceFormatException($"{origin}: /records must be an array of objects");
                list = records;
                prefix = "/records";
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                return [ReadRecord(root, origin, 1, "")];
            }
            else
            {
                throw new SourceFormatException($"{origin}: the body must be a JSON object, an array of objects or {{\"records\": [...]}}, not {root.ValueKind.ToString().ToLowerInvariant()}");
            }

            var items = new List<SourceItem>(list.GetArrayLength());
            var index = 0;
            foreach (var element in list.EnumerateArray())
            {
                items.Add(ReadRecord(element, origin, index + 1, $"{prefix}/{index}"));
                index++;
            }
            return items;
        }
    }

    private static SourceItem ReadRecord(JsonElement element, string origin, int number, string pointer)
    {
        if (element.ValueKind != JsonValueKind.Object)
            return new UnreadableRow(origin, number, $"expected an object, found {element.ValueKind.ToString().ToLowerInvariant()}", Truncate(element.GetRawText())) { Pointer = pointer };
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var where = $"{pointer}/{Escape(property.Name)}";
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String:
                    values[property.Name] = property.Value.GetString();
                    break;
                case JsonValueKind.Number:
                    values[property.Name] = property.Value.GetRawText();
                    break;
                case JsonValueKind.True:
                case JsonValueKind.False:
                    values[property.Name] = property.Value.GetBoolean() ? "true" : "false";
                    break;
                case JsonValueKind.Null:
                    values[property.Name] = null;
                    break;
                default:
                    return new UnreadableRow(origin, number,
                        $"{where}: expected a string, number, boolean or null, found {property.Value.ValueKind.ToString().ToLowerInvariant()}",
                        Truncate(element.GetRawText()))
                    { Pointer = where };
            }
        }
        return new NativeRecord(origin, number, values) { Pointer = pointer };
    }

    // RFC 6901: "~" and "/" in a member name are escaped in a pointer.
    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string Truncate(string raw) => raw.Length <= 2000 ? raw : raw[..2000] + "…";

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Trim();
    }
}
