using System.Globalization;
using System.Text.RegularExpressions;

namespace Handoff.Core.Workspace;

/// <summary>The keys of one YAML mapping after strict checking: each allowed key at most once.</summary>
internal sealed class YamlFields(YamlTreeMapping map, Dictionary<string, (YamlTreeNode Key, YamlTreeNode Value)> entries)
{
    public YamlTreeMapping Map { get; } = map;

    public YamlTreeNode? this[string key] => entries.TryGetValue(key, out var e) ? e.Value : null;

    public YamlTreeNode? KeyNode(string key) => entries.TryGetValue(key, out var e) ? e.Key : null;

    public bool Has(string key) => entries.ContainsKey(key);

    public IEnumerable<string> Keys => entries.Keys;
}

/// <summary>
/// A small strict schema walker over <see cref="YamlTreeNode"/>s for one file. Every check reports
/// into a shared error list and returns a neutral value, so loading goes on and all errors of a
/// workspace are reported at once rather than one per attempt.
/// </summary>
internal sealed partial class YamlShapeReader(string file, List<WorkspaceError> errors)
{
    public string File { get; } = file;

    public List<WorkspaceError> Errors { get; } = errors;

    [GeneratedRegex("^[a-z][a-z0-9_-]*$")]
    private static partial Regex IdPattern();

    public void Error(YamlTreeNode at, string message) => Errors.Add(new(File, at.Line, at.Column, message));

    public SourceSpan Span(YamlTreeNode node) => new(File, node.Line, node.Column);

    /// <summary>Checks a mapping's keys: reports unknown keys (listing the allowed ones), duplicate
    /// keys and missing required keys. Returns null when the node is not a mapping.</summary>
    public YamlFields? Mapping(YamlTreeNode? node, string what, IReadOnlyList<string> allowed, IReadOnlyList<string>? required = null)
    {
        if (node is null)
            return null;
        if (node is not YamlTreeMapping map)
        {
            Error(node, $"expected a mapping for {what}, found {node.Describe}");
            return null;
        }
        var entries = new Dictionary<string, (YamlTreeNode, YamlTreeNode)>();
        foreach (var (key, value) in map.Entries)
        {
            if (key is not YamlTreeScalar { IsNull: false } keyScalar)
            {
                Error(key, $"expected a plain key in {what}, found {key.Describe}");
                continue;
            }
            var name = keyScalar.Value;
            if (!allowed.Contains(name))
            {
                Error(key, $"unknown key \"{name}\" in {what}; allowed keys: {string.Join(", ", allowed)}");
                continue;
            }
            if (!entries.TryAdd(name, (key, value)))
                Error(key, $"duplicate key \"{name}\" in {what}");
        }
        foreach (var name in required ?? [])
        {
            if (!entries.ContainsKey(name))
                Error(map, $"missing required key \"{name}\" in {what}");
        }
        return new YamlFields(map, entries);
    }

    /// <summary>A mapping whose keys are free-form (config, bindings, enum maps): duplicates are still errors.</summary>
    public List<(YamlTreeScalar Key, YamlTreeNode Value)> OpenMapping(YamlTreeNode? node, string what)
    {
        var result = new List<(YamlTreeScalar, YamlTreeNode)>();
        if (node is null || node is YamlTreeScalar { IsNull: true })
            return result;
        if (node is not YamlTreeMapping map)
        {
            Error(node, $"expected a mapping for {what}, found {node.Describe}");
            return result;
        }
        var seen = new HashSet<string>();
        foreach (var (key, value) in map.Entries)
        {
            if (key is not YamlTreeScalar { IsNull: false } keyScalar)
            {
                Error(key, $"expected a plain key in {what}, found {key.Describe}");
                continue;
            }
            if (!seen.Add(keyScalar.Value))
            {
                Error(key, $"duplicate key \"{keyScalar.Value}\" in {what}");
                continue;
            }
            result.Add((keyScalar, value));
        }
        return result;
    }

    /// <summary>A list's items; a null value counts as an empty list.</summary>
    public IReadOnlyList<YamlTreeNode> Sequence(YamlTreeNode? node, string what)
    {
        if (node is null || node is YamlTreeScalar { IsNull: true })
            return [];
        if (node is YamlTreeSequence seq)
            return seq.Items;
        Error(node, $"expected a list for {what}, found {node.Describe}");
        return [];
    }

    /// <summary>A scalar string; null when absent, null-valued (and allowed) or of the wrong node type.</summary>
    public string? Text(YamlTreeNode? node, string what, bool required = false)
    {
        switch (node)
        {
            case null:
                return null;
            case YamlTreeScalar { IsNull: true }:
                if (required)
                    Error(node, $"expected a value for {what}, found null");
                return null;
            case YamlTreeScalar scalar:
                return scalar.Value;
            default:
                Error(node, $"expected a scalar for {what}, found {node.Describe}");
                return null;
        }
    }

    /// <summary>An identifier: lower-case letter first, then lower-case letters, digits, _ or -.</summary>
    public string? Id(YamlTreeNode? node, string what)
    {
        var text = Text(node, what, required: true);
        if (text is not null && !IdPattern().IsMatch(text))
        {
            Error(node!, $"\"{text}\" is not a valid {what}: expected lower-case letters, digits, '_' or '-', starting with a letter");
            return null;
        }
        return text;
    }

    public List<string> TextList(YamlTreeNode? node, string what)
    {
        var result = new List<string>();
        foreach (var item in Sequence(node, what))
        {
            if (Text(item, what, required: true) is { } text)
                result.Add(text);
        }
        return result;
    }

    /// <summary>Only true or false (YAML 1.2 core schema); yes/no/on/off are refused as ambiguous.</summary>
    public bool? Bool(YamlTreeNode? node, string what)
    {
        var text = Text(node, what, required: true);
        switch (text)
        {
            case null:
                return null;
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
            default:
                Error(node!, $"expected true or false for {what}, found \"{text}\"");
                return null;
        }
    }

    /// <summary>An enum spelled in snake_case; unknown values are reported with the allowed list.</summary>
    public T? Enum<T>(YamlTreeNode? node, string what) where T : struct, System.Enum
    {
        var text = Text(node, what, required: true);
        if (text is null)
            return null;
        foreach (var value in System.Enum.GetValues<T>())
        {
            if (YamlNames.Of(value) == text)
                return value;
        }
        Error(node!, $"unknown {what} \"{text}\"; expected one of {string.Join(", ", System.Enum.GetValues<T>().Select(v => YamlNames.Of(v)))}");
        return null;
    }
}

/// <summary>The snake_case spelling of enum members used in the YAML files.</summary>
internal static class YamlNames
{
    public static string Of<T>(T value) where T : struct, System.Enum => Snake(value.ToString());

    // DateTime → "datetime" (the YAML spells the type as one word), OnCreate → "on_create".
    private static string Snake(string name) => name switch
    {
        "DateTime" => "datetime",
        _ => string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0
            ? "_" + char.ToLower(c, CultureInfo.InvariantCulture)
            : char.ToLower(c, CultureInfo.InvariantCulture).ToString())),
    };
}
