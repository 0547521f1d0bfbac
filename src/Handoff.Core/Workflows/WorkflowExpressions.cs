namespace Handoff.Core.Workflows;

// PLACEHOLDER until the filter/template branch merges — replaced then.
public static class WorkflowExpressions
{
    public static string? CheckFilter(string text, out IReadOnlyList<string> attributes)
    {
        attributes = [];
        return null;
    }

    public static string? CheckTemplate(string text, out IReadOnlyList<string> names)
    {
        names = [];
        return null;
    }

    public static string Render(string template, IReadOnlyDictionary<string, object?> values) => template;

    public static bool Matches(string filter, IReadOnlyDictionary<string, object?> values) => true;
}
