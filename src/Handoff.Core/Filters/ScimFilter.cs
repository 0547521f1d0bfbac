using System.Diagnostics.CodeAnalysis;

namespace Handoff.Core.Filters;

/// <summary>
/// SCIM 2.0 filters (RFC 7644 §3.4.2.2): one parser for workflow <c>scope</c> and step <c>when</c>
/// conditions over canonical person fields and for the SCIM server's <c>filter</c> query parameter.
/// </summary>
/// <example>
/// <code>
/// var scope = ScimFilter.Parse("department eq \"Sales\" and not (title co \"intern\")");
/// var inScope = scope.Matches(new DictionaryFilterSubject(person));
/// </code>
/// </example>
public static class ScimFilter
{
    /// <summary>The longest filter text <see cref="Parse"/> accepts.</summary>
    public const int MaxLength = 10_000;

    /// <summary>How deeply parentheses, <c>not (…)</c> and <c>[…]</c> may nest.</summary>
    public const int MaxDepth = 64;

    /// <summary>Parses <paramref name="text"/>; operators and keywords are case-insensitive.</summary>
    /// <exception cref="FilterSyntaxException">The text is not a valid filter, too long or nested too deeply.</exception>
    public static FilterExpression Parse(string text) => FilterParser.Parse(text, MaxLength, MaxDepth);

    /// <summary>Parses <paramref name="text"/>, or returns <see langword="false"/> with the reason.</summary>
    public static bool TryParse(
        string text,
        [NotNullWhen(true)] out FilterExpression? expression,
        [NotNullWhen(false)] out FilterSyntaxException? error)
    {
        try
        {
            expression = Parse(text);
            error = null;
            return true;
        }
        catch (FilterSyntaxException e)
        {
            expression = null;
            error = e;
            return false;
        }
    }

    /// <summary>
    /// Checks a parsed filter against the attributes a caller knows (a workflow's declared fields, a SCIM
    /// schema): unknown attributes and comparisons that can never be true, such as
    /// <c>"gt" cannot compare the boolean attribute "active"</c>. Returns the problems, or an empty list.
    /// </summary>
    /// <param name="expression">The filter.</param>
    /// <param name="typeOf">
    /// The type of an attribute, or <see langword="null"/> when there is no such attribute. Sub-attributes are
    /// asked for as <c>name.sub</c> (attributes inside <c>emails[…]</c> as <c>emails.type</c>).
    /// </param>
    public static IReadOnlyList<string> Validate(FilterExpression expression, Func<AttributePath, FilterAttributeType?> typeOf)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(typeOf);
        var errors = new List<string>();
        Validate(expression, null, typeOf, errors);
        return errors.Distinct().ToList();
    }

    private static void Validate(FilterExpression expression, AttributePath? parent, Func<AttributePath, FilterAttributeType?> typeOf, List<string> errors)
    {
        AttributePath Qualify(AttributePath path) => parent is null ? path : parent.Sub(path.Name);

        switch (expression)
        {
            case And a:
                Validate(a.Left, parent, typeOf, errors);
                Validate(a.Right, parent, typeOf, errors);
                break;
            case Or o:
                Validate(o.Left, parent, typeOf, errors);
                Validate(o.Right, parent, typeOf, errors);
                break;
            case Not n:
                Validate(n.Inner, parent, typeOf, errors);
                break;
            case Present p:
                if (typeOf(Qualify(p.Path)) is null)
                    errors.Add($"unknown attribute \"{Qualify(p.Path)}\"");
                break;
            case Comparison c:
                ValidateComparison(Qualify(c.Path), c.Op, c.Value, typeOf, errors);
                break;
            case ValuePathFilter v:
                var type = typeOf(v.Path);
                if (type is null)
                {
                    errors.Add($"unknown attribute \"{v.Path}\"");
                    break;
                }
                if (type != FilterAttributeType.Complex)
                    errors.Add($"\"{v.Path}[...]\" needs a complex attribute, but \"{v.Path}\" is {Article(type.Value)} attribute");
                Validate(v.Inner, v.Path, typeOf, errors);
                if (v.SubAttribute is not null)
                {
                    if (v.Operator is { } op)
                        ValidateComparison(v.Path.Sub(v.SubAttribute), op, v.Value, typeOf, errors);
                    else if (typeOf(v.Path.Sub(v.SubAttribute)) is null)
                        errors.Add($"unknown attribute \"{v.Path.Sub(v.SubAttribute)}\"");
                }
                break;
        }
    }

    private static void ValidateComparison(
        AttributePath path, ComparisonOperator op, FilterValue? value, Func<AttributePath, FilterAttributeType?> typeOf, List<string> errors)
    {
        var opText = FilterExpression.OperatorText(op);
        if (typeOf(path) is not { } type)
        {
            errors.Add($"unknown attribute \"{path}\"");
            return;
        }
        var typeName = TypeName(type);
        var isOrdering = op is ComparisonOperator.Gt or ComparisonOperator.Ge or ComparisonOperator.Lt or ComparisonOperator.Le;
        var isSubstring = op is ComparisonOperator.Co or ComparisonOperator.Sw or ComparisonOperator.Ew;

        if (type is FilterAttributeType.Complex or FilterAttributeType.Binary
            || (type == FilterAttributeType.Boolean && (isOrdering || isSubstring))
            || (isSubstring && type is not (FilterAttributeType.String or FilterAttributeType.Reference)))
        {
            errors.Add($"\"{opText}\" cannot compare the {typeName} attribute \"{path}\"");
            return;
        }
        if (value is null)
        {
            if (op is not (ComparisonOperator.Eq or ComparisonOperator.Ne))
                errors.Add($"\"{opText}\" cannot compare with null (attribute \"{path}\")");
            return;
        }
        var fits = type switch
        {
            FilterAttributeType.String or FilterAttributeType.Reference => value is FilterString,
            FilterAttributeType.Boolean => value is FilterBoolean,
            FilterAttributeType.Number => value is FilterNumber,
            FilterAttributeType.Date or FilterAttributeType.DateTime =>
                value is FilterString s && FilterEvaluator.TryParseDate(s.Value, out _),
            _ => false,
        };
        if (!fits)
        {
            var what = value is FilterString && type is FilterAttributeType.Date or FilterAttributeType.DateTime
                ? $"{value}, which is not an ISO 8601 date"
                : $"the {value.Kind} {value}";
            errors.Add($"the {typeName} attribute \"{path}\" cannot be compared with {what}");
        }
    }

    private static string TypeName(FilterAttributeType type) => type switch
    {
        FilterAttributeType.DateTime => "dateTime",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static string Article(FilterAttributeType type) =>
        ("aeiou".Contains(TypeName(type)[0]) ? "an " : "a ") + TypeName(type);
}
