using System.Collections;
using System.Globalization;

namespace Handoff.Core.Filters;

/// <summary>
/// RFC 7644 §3.4.2.2 semantics: strings compare case-insensitively (caseExact false), co/sw/ew apply to
/// strings only, gt/ge/lt/le order strings lexicographically, numbers numerically and dates chronologically
/// (a filter string is read as an ISO 8601 date when the attribute is a date). A multi-valued attribute
/// matches when any element does. A comparison that makes no sense (gt on a boolean, a number against a
/// string) is false.
/// </summary>
internal static class FilterEvaluator
{
    public static bool Matches(FilterExpression expression, IFilterSubject subject) => expression switch
    {
        And a => Matches(a.Left, subject) && Matches(a.Right, subject),
        Or o => Matches(o.Left, subject) || Matches(o.Right, subject),
        Not n => !Matches(n.Inner, subject),
        Present p => subject.TryGet(p.Path, out var value) && IsPresent(value),
        Comparison c => Compare(subject.TryGet(c.Path, out var value), value, c.Op, c.Value),
        ValuePathFilter v => MatchesValuePath(v, subject),
        _ => throw new NotSupportedException($"Unknown filter expression {expression.GetType().Name}."),
    };

    private static bool MatchesValuePath(ValuePathFilter filter, IFilterSubject subject)
    {
        if (!subject.TryGet(filter.Path, out var value) || value is null)
            return false;
        foreach (var element in Elements(value))
        {
            if (DictionaryFilterSubject.AsDictionary(element) is not { } complex)
                continue;
            var elementSubject = element as IFilterSubject ?? new DictionaryFilterSubject(complex);
            if (!Matches(filter.Inner, elementSubject))
                continue;
            if (filter.SubAttribute is null)
                return true;
            var sub = new AttributePath(null, filter.SubAttribute);
            var found = elementSubject.TryGet(sub, out var subValue);
            if (filter.Operator is { } op ? Compare(found, subValue, op, filter.Value) : found && IsPresent(subValue))
                return true;
        }
        return false;
    }

    /// <summary>Present: not null, not an empty or blank string, not an empty list.</summary>
    internal static bool IsPresent(object? value) => value switch
    {
        null => false,
        string s => !string.IsNullOrWhiteSpace(s),
        IEnumerable list when DictionaryFilterSubject.AsDictionary(list) is { } complex => complex.Values.Any(IsPresent),
        IEnumerable list => list.Cast<object?>().Any(IsPresent),
        _ => true,
    };

    private static IEnumerable<object?> Elements(object? value) =>
        value is IEnumerable list and not string && DictionaryFilterSubject.AsDictionary(value) is null
            ? list.Cast<object?>()
            : [value];

    private static bool Compare(bool found, object? attribute, ComparisonOperator op, FilterValue? literal)
    {
        var present = found && IsPresent(attribute);
        if (literal is null)
        {
            // "eq null" asks for an absent attribute, "ne null" for a present one; nothing orders null.
            return op switch
            {
                ComparisonOperator.Eq => !present,
                ComparisonOperator.Ne => present,
                _ => false,
            };
        }
        if (!present)
            return op == ComparisonOperator.Ne;

        var comparable = false;
        foreach (var element in Elements(attribute))
        {
            var order = CompareValues(element, literal, op);
            if (order is not { } result)
                continue;
            comparable = true;
            if (op == ComparisonOperator.Ne)
            {
                if (result == 0)
                    return false;
                continue;
            }
            if (Satisfies(op, result))
                return true;
        }
        return op == ComparisonOperator.Ne && comparable;
    }

    private static bool Satisfies(ComparisonOperator op, int result) => op switch
    {
        ComparisonOperator.Eq => result == 0,
        ComparisonOperator.Gt => result > 0,
        ComparisonOperator.Ge => result >= 0,
        ComparisonOperator.Lt => result < 0,
        ComparisonOperator.Le => result <= 0,
        // co/sw/ew: CompareValues returns 0 for a match.
        _ => result == 0,
    };

    /// <summary>
    /// The attribute value against the literal: 0 for equal (or, for co/sw/ew, a match), the sign of the
    /// order otherwise, <see langword="null"/> when the two cannot be compared with <paramref name="op"/>.
    /// </summary>
    private static int? CompareValues(object? attribute, FilterValue literal, ComparisonOperator op)
    {
        var isSubstring = op is ComparisonOperator.Co or ComparisonOperator.Sw or ComparisonOperator.Ew;
        switch (attribute)
        {
            case null:
                return null;
            case bool b:
                if (literal is not FilterBoolean lb || op is not (ComparisonOperator.Eq or ComparisonOperator.Ne))
                    return null;
                return b == lb.Value ? 0 : 1;
            case DateOnly or DateTime or DateTimeOffset:
                if (isSubstring || literal is not FilterString ds || !TryParseDate(ds.Value, out var literalDate))
                    return null;
                return ToInstant(attribute).CompareTo(literalDate);
            case string s:
                if (literal is not FilterString ls)
                    return null;
                return op switch
                {
                    ComparisonOperator.Co => s.Contains(ls.Value, StringComparison.OrdinalIgnoreCase) ? 0 : 1,
                    ComparisonOperator.Sw => s.StartsWith(ls.Value, StringComparison.OrdinalIgnoreCase) ? 0 : 1,
                    ComparisonOperator.Ew => s.EndsWith(ls.Value, StringComparison.OrdinalIgnoreCase) ? 0 : 1,
                    _ => Math.Sign(string.Compare(s, ls.Value, StringComparison.OrdinalIgnoreCase)),
                };
            case double or float:
                if (isSubstring || literal is not FilterNumber dn)
                    return null;
                return Convert.ToDouble(attribute, CultureInfo.InvariantCulture).CompareTo((double)dn.Value);
            case byte or sbyte or short or ushort or int or uint or long or ulong or decimal:
                if (isSubstring || literal is not FilterNumber n)
                    return null;
                return Convert.ToDecimal(attribute, CultureInfo.InvariantCulture).CompareTo(n.Value);
            case Guid or Uri or Enum:
                return CompareValues(attribute.ToString(), literal, op);
            default:
                return null;
        }
    }

    private static DateTimeOffset ToInstant(object value) => value switch
    {
        DateOnly d => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        DateTime { Kind: DateTimeKind.Local } dt => new DateTimeOffset(dt),
        DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
        DateTimeOffset dto => dto,
        _ => throw new ArgumentException("Not a date.", nameof(value)),
    };

    /// <summary>
    /// An ISO 8601 date (<c>2026-01-01</c>, midnight UTC) or date-time (<c>2026-01-01T09:30:00Z</c>; no offset
    /// means UTC).
    /// </summary>
    internal static bool TryParseDate(string text, out DateTimeOffset instant)
    {
        instant = default;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            instant = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }
        return text.Length > 10 && text[10] is 'T' or 't' or ' '
            && DateOnly.TryParseExact(text[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant);
    }
}
