using System.Text;

namespace Handoff.Core.Filters;

/// <summary>The comparison operators of RFC 7644 §3.4.2.2, except <c>pr</c>, which is <see cref="Present"/>.</summary>
public enum ComparisonOperator
{
    /// <summary><c>eq</c>: equal.</summary>
    Eq,
    /// <summary><c>ne</c>: not equal.</summary>
    Ne,
    /// <summary><c>co</c>: the string contains the value.</summary>
    Co,
    /// <summary><c>sw</c>: the string starts with the value.</summary>
    Sw,
    /// <summary><c>ew</c>: the string ends with the value.</summary>
    Ew,
    /// <summary><c>gt</c>: greater than.</summary>
    Gt,
    /// <summary><c>ge</c>: greater than or equal.</summary>
    Ge,
    /// <summary><c>lt</c>: less than.</summary>
    Lt,
    /// <summary><c>le</c>: less than or equal.</summary>
    Le,
}

/// <summary>
/// A parsed SCIM filter (RFC 7644 §3.4.2.2). Build one with <see cref="ScimFilter.Parse"/>; test a person
/// or resource with <see cref="Matches"/>; <see cref="ToString"/> gives canonical text that parses back to
/// an equal expression.
/// </summary>
public abstract record FilterExpression
{
    /// <summary>Whether <paramref name="subject"/> satisfies this filter.</summary>
    public bool Matches(IFilterSubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return FilterEvaluator.Matches(this, subject);
    }

    /// <summary>
    /// Every attribute the filter reads, each once (case-insensitively), in order of appearance. Attributes read
    /// inside a value filter are qualified with their parent: <c>emails[type eq "work"]</c> reads <c>emails.type</c>.
    /// </summary>
    public IReadOnlyList<AttributePath> Attributes
    {
        get
        {
            var seen = new HashSet<AttributePath>();
            var paths = new List<AttributePath>();
            Collect(this, null, seen, paths);
            return paths;
        }
    }

    /// <summary>Canonical filter text: lower-case operators, single spaces, parentheses only where needed.</summary>
    public sealed override string ToString()
    {
        var text = new StringBuilder();
        Write(text);
        return text.ToString();
    }

    /// <summary>Binding strength: or = 1, and = 2, everything else 3.</summary>
    internal virtual int Precedence => 3;

    internal abstract void Write(StringBuilder text);

    internal void WriteOperand(StringBuilder text, bool parenthesize)
    {
        if (parenthesize)
        {
            text.Append('(');
            Write(text);
            text.Append(')');
        }
        else
        {
            Write(text);
        }
    }

    internal static string OperatorText(ComparisonOperator op) => op.ToString().ToLowerInvariant();

    private static void Collect(FilterExpression expression, AttributePath? parent, HashSet<AttributePath> seen, List<AttributePath> paths)
    {
        void Add(AttributePath path)
        {
            var qualified = parent is null ? path : parent.Sub(path.Name);
            if (seen.Add(qualified))
                paths.Add(qualified);
        }

        switch (expression)
        {
            case Comparison c: Add(c.Path); break;
            case Present p: Add(p.Path); break;
            case Not n: Collect(n.Inner, parent, seen, paths); break;
            case And a:
                Collect(a.Left, parent, seen, paths);
                Collect(a.Right, parent, seen, paths);
                break;
            case Or o:
                Collect(o.Left, parent, seen, paths);
                Collect(o.Right, parent, seen, paths);
                break;
            case ValuePathFilter v:
                Collect(v.Inner, v.Path, seen, paths);
                if (v.SubAttribute is not null && seen.Add(v.Path.Sub(v.SubAttribute)))
                    paths.Add(v.Path.Sub(v.SubAttribute));
                break;
        }
    }
}

/// <summary><c>path op value</c>; a <see langword="null"/> <paramref name="Value"/> is the JSON literal <c>null</c>.</summary>
public sealed record Comparison(AttributePath Path, ComparisonOperator Op, FilterValue? Value) : FilterExpression
{
    internal override void Write(StringBuilder text) =>
        text.Append(Path).Append(' ').Append(OperatorText(Op)).Append(' ').Append(FilterValue.Format(Value));
}

/// <summary><c>path pr</c>: the attribute has a value that is not null or empty.</summary>
public sealed record Present(AttributePath Path) : FilterExpression
{
    internal override void Write(StringBuilder text) => text.Append(Path).Append(" pr");
}

/// <summary><c>left and right</c>.</summary>
public sealed record And(FilterExpression Left, FilterExpression Right) : FilterExpression
{
    internal override int Precedence => 2;

    internal override void Write(StringBuilder text)
    {
        Left.WriteOperand(text, Left.Precedence < Precedence);
        text.Append(" and ");
        Right.WriteOperand(text, Right.Precedence <= Precedence);
    }
}

/// <summary><c>left or right</c>.</summary>
public sealed record Or(FilterExpression Left, FilterExpression Right) : FilterExpression
{
    internal override int Precedence => 1;

    internal override void Write(StringBuilder text)
    {
        Left.WriteOperand(text, Left.Precedence < Precedence);
        text.Append(" or ");
        Right.WriteOperand(text, Right.Precedence <= Precedence);
    }
}

/// <summary><c>not (inner)</c>.</summary>
public sealed record Not(FilterExpression Inner) : FilterExpression
{
    internal override void Write(StringBuilder text)
    {
        text.Append("not ");
        Inner.WriteOperand(text, parenthesize: true);
    }
}

/// <summary>
/// A complex value filter: <c>emails[type eq "work" and primary eq true]</c> matches when one element of the
/// (multi-valued) complex attribute <paramref name="Path"/> satisfies <paramref name="Inner"/>, whose paths name
/// sub-attributes of that element.
/// With a <paramref name="SubAttribute"/>, <c>emails[type eq "work"].value</c> (canonically
/// <c>emails[type eq "work"].value pr</c>) matches when a selected element has that sub-attribute, and
/// <c>emails[type eq "work"].value ew "@acme.com"</c> when a selected element's sub-attribute satisfies
/// <paramref name="Operator"/> and <paramref name="Value"/>.
/// </summary>
public sealed record ValuePathFilter(
    AttributePath Path,
    FilterExpression Inner,
    string? SubAttribute = null,
    ComparisonOperator? Operator = null,
    FilterValue? Value = null) : FilterExpression
{
    internal override void Write(StringBuilder text)
    {
        text.Append(Path).Append('[');
        Inner.Write(text);
        text.Append(']');
        if (SubAttribute is null)
            return;
        text.Append('.').Append(SubAttribute);
        if (Operator is { } op)
            text.Append(' ').Append(OperatorText(op)).Append(' ').Append(FilterValue.Format(Value));
        else
            text.Append(" pr");
    }
}
