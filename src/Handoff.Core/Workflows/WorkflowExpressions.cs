using System.Collections.Concurrent;
using Handoff.Core.Filters;
using Handoff.Core.Templates;

namespace Handoff.Core.Workflows;

/// <summary>
/// The two expression languages of a workflow, parsed once per text and cached: SCIM filters for
/// <c>scope</c> and <c>when</c> (<see cref="ScimFilter"/>) and Liquid templates for step inputs
/// (<see cref="HandoffTemplate"/>).
/// </summary>
public static class WorkflowExpressions
{
    private const int CacheLimit = 4096;
    private static readonly ConcurrentDictionary<string, FilterExpression> Filters = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, HandoffTemplate> Templates = new(StringComparer.Ordinal);

    /// <summary>Null when the filter parses, else the error (with its column); <paramref name="attributes"/>
    /// are the top-level attribute names it reads.</summary>
    public static string? CheckFilter(string text, out IReadOnlyList<string> attributes)
    {
        attributes = [];
        if (!ScimFilter.TryParse(text, out var expression, out var error))
            return error!.Message;
        attributes = expression!.Attributes.Select(a => a.Name).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return null;
    }

    /// <summary>Null when the template parses, else the error (with line and column); <paramref name="names"/>
    /// are the root names it reads.</summary>
    public static string? CheckTemplate(string text, out IReadOnlyList<string> names)
    {
        names = [];
        if (Templates.TryGetValue(text, out var cached))
        {
            names = cached.ReferencedNames;
            return null;
        }
        if (!HandoffTemplate.TryParse(text, out var template, out var error))
            return $"template \"{Shorten(text)}\": {error!.Message}";
        names = template!.ReferencedNames;
        if (Templates.Count >= CacheLimit)
            Templates.Clear();
        Templates[text] = template;
        return null;
    }

    public static string Render(string template, IReadOnlyDictionary<string, object?> values)
    {
        if (!template.Contains("{{", StringComparison.Ordinal) && !template.Contains("{%", StringComparison.Ordinal))
            return template;
        return Cached(Templates, template, HandoffTemplate.Parse).Render(values);
    }

    public static bool Matches(string filter, IReadOnlyDictionary<string, object?> values) =>
        Cached(Filters, filter, ScimFilter.Parse).Matches(new DictionaryFilterSubject(values));

    private static T Cached<T>(ConcurrentDictionary<string, T> cache, string text, Func<string, T> parse)
    {
        if (cache.TryGetValue(text, out var hit))
            return hit;
        var parsed = parse(text);
        if (cache.Count >= CacheLimit)
            cache.Clear();
        cache[text] = parsed;
        return parsed;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
