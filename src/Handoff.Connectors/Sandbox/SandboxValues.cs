using System.Globalization;
using System.Text.Json.Nodes;

namespace Handoff.Connectors.Sandbox;

/// <summary>A constraint an operation breaks, with the failure it is reported as.</summary>
public sealed record SandboxProblem(Core.Connectors.ConnectorFailure Failure, string Message);

/// <summary>Conversions between operation values (strings, booleans, dates, lists) and stored JSON.</summary>
internal static class SandboxValues
{
    public static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable<string> list => string.Join(",", list),
        _ => value.ToString(),
    };

    public static bool? Bool(object? value) => value switch
    {
        null => null,
        bool b => b,
        string s when bool.TryParse(s.Trim(), out var b) => b,
        string s when s.Trim() is "1" or "yes" => true,
        string s when s.Trim() is "0" or "no" => false,
        _ => throw new FormatException($"\"{value}\" is not true or false"),
    };

    /// <summary>A date from a <see cref="DateOnly"/>, a date-time, or text <c>yyyy-MM-dd</c>; empty text is null.</summary>
    public static DateOnly? Date(object? value) => value switch
    {
        null => null,
        DateOnly d => d,
        DateTime t => DateOnly.FromDateTime(t),
        DateTimeOffset t => DateOnly.FromDateTime(t.UtcDateTime),
        string s when string.IsNullOrWhiteSpace(s) => null,
        string s when DateOnly.TryParseExact(s.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) => d,
        string s when DateTimeOffset.TryParse(s.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) => DateOnly.FromDateTime(t.UtcDateTime),
        _ => throw new FormatException($"\"{value}\" is not a date (yyyy-MM-dd)"),
    };

    /// <summary>A list of strings from a list or from comma-separated text.</summary>
    public static List<string> List(object? value) => value switch
    {
        null => [],
        string s => [.. s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
        IEnumerable<string> list => [.. list.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim())],
        System.Collections.IEnumerable items => [.. items.Cast<object?>().Select(Text).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim())],
        _ => [Text(value)!],
    };

    public static JsonNode? Node(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        IEnumerable<string> list => new JsonArray([.. list.Select(v => (JsonNode?)JsonValue.Create(v))]),
        IReadOnlyDictionary<string, string> map => new JsonObject(map.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
        _ => JsonValue.Create(Text(value)),
    };

    /// <summary>A stored value as an operation value: text, boolean, number or list of text.</summary>
    public static object? Value(JsonNode? node) => node switch
    {
        null => null,
        JsonArray a => a.Select(n => n?.ToString() ?? "").ToList(),
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}
