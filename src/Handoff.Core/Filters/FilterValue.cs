using System.Globalization;
using System.Text;

namespace Handoff.Core.Filters;

/// <summary>
/// A literal on the right of a comparison: a JSON string, number or boolean. The JSON <c>null</c>
/// literal is represented by a <see langword="null"/> <see cref="FilterValue"/> in <see cref="Comparison.Value"/>.
/// </summary>
public abstract record FilterValue
{
    /// <summary>The value's type as <see cref="ScimFilter.Validate"/> reports it ("string", "number", "boolean").</summary>
    public abstract string Kind { get; }

    /// <summary>The value written as filter text (a quoted, escaped JSON string for strings).</summary>
    public abstract override string ToString();

    /// <summary>The text of <paramref name="value"/> (or <c>null</c>) as written in a filter.</summary>
    public static string Format(FilterValue? value) => value?.ToString() ?? "null";
}

/// <summary>A JSON string literal, unescaped.</summary>
public sealed record FilterString(string Value) : FilterValue
{
    public override string Kind => "string";

    public override string ToString()
    {
        var text = new StringBuilder(Value.Length + 2).Append('"');
        foreach (var c in Value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }
        return text.Append('"').ToString();
    }
}

/// <summary>A JSON number literal.</summary>
public sealed record FilterNumber(decimal Value) : FilterValue
{
    public override string Kind => "number";

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The literal <c>true</c> or <c>false</c>.</summary>
public sealed record FilterBoolean(bool Value) : FilterValue
{
    public override string Kind => "boolean";

    public override string ToString() => Value ? "true" : "false";
}
