using System.Globalization;
using System.Text;
using Fluid;
using Fluid.Values;

namespace Handoff.Core.Templates;

/// <summary>
/// The HR filters Handoff adds to Liquid: <c>slug</c>, <c>normalize_diacritics</c>, <c>add_days</c> and
/// <c>format_date</c>. The text functions are public so other code (unique-value generation, connectors)
/// shapes names the same way templates do.
/// </summary>
public static class HrFilters
{
    /// <summary>Canonical date text, as dates render in templates.</summary>
    public const string DateFormat = "yyyy-MM-dd";

    /// <summary>Canonical date-time text (UTC), as date-times render in templates.</summary>
    public const string DateTimeFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    // Letters that Unicode decomposition does not split into a base letter and a mark.
    private static readonly Dictionary<char, string> Letters = new()
    {
        ['ß'] = "ss",
        ['ẞ'] = "SS",
        ['ø'] = "o",
        ['Ø'] = "O",
        ['æ'] = "ae",
        ['Æ'] = "AE",
        ['œ'] = "oe",
        ['Œ'] = "OE",
        ['ł'] = "l",
        ['Ł'] = "L",
        ['đ'] = "d",
        ['Đ'] = "D",
        ['ð'] = "d",
        ['Ð'] = "D",
        ['þ'] = "th",
        ['Þ'] = "Th",
        ['ı'] = "i",
        ['ħ'] = "h",
        ['Ħ'] = "H",
        ['ŧ'] = "t",
        ['Ŧ'] = "T",
        ['ŋ'] = "ng",
        ['Ŋ'] = "NG",
    };

    /// <summary>Apostrophes are dropped by <see cref="Slug"/> so "O'Brien" becomes "obrien", not "o-brien".</summary>
    private static readonly HashSet<char> Apostrophes = ['\'', '’', 'ʼ', '‘', '`', '´'];

    /// <summary>"Zoë Núñez" → "Zoe Nunez"; also ß → ss, ø → o, æ → ae, ł → l, đ → d, þ → th.</summary>
    public static string NormalizeDiacritics(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var result = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
                continue;
            if (Letters.TryGetValue(c, out var replacement))
                result.Append(replacement);
            else
                result.Append(c);
        }
        return result.ToString().Normalize(NormalizationForm.FormC);
    }

    /// <summary>
    /// "Zoë O'Brien-Núñez" → "zoe-obrien-nunez": diacritics removed, lower case, apostrophes dropped, every
    /// other run of characters that are not ASCII letters or digits replaced by <paramref name="separator"/>
    /// (and none at either end).
    /// </summary>
    public static string Slug(string text, string separator = "-")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(separator);
        var result = new StringBuilder(text.Length);
        var pendingSeparator = false;
        foreach (var c in NormalizeDiacritics(text).ToLowerInvariant())
        {
            if (Apostrophes.Contains(c))
                continue;
            if (char.IsAsciiLetterOrDigit(c))
            {
                if (pendingSeparator && result.Length > 0)
                    result.Append(separator);
                pendingSeparator = false;
                result.Append(c);
            }
            else
            {
                pendingSeparator = true;
            }
        }
        return result.ToString();
    }

    internal static void Register(FilterCollection filters)
    {
        filters.AddFilter("slug", (input, arguments, _) =>
        {
            var separator = arguments.Count > 0 ? arguments.At(0).ToStringValue() : "-";
            return Result(new StringValue(Slug(input.ToStringValue(), separator)));
        });
        filters.AddFilter("normalize_diacritics", (input, _, _) => Result(new StringValue(NormalizeDiacritics(input.ToStringValue()))));
        filters.AddFilter("add_days", (input, arguments, _) => Result(AddDays(input, arguments)));
        filters.AddFilter("format_date", (input, arguments, _) => Result(FormatDate(input, arguments)));
    }

    private static ValueTask<FluidValue> Result(FluidValue value) => ValueTask.FromResult(value);

    private static FluidValue AddDays(FluidValue input, FilterArguments arguments)
    {
        if (arguments.Count != 1 || arguments.At(0).Type != FluidValues.Number)
            throw new TemplateRenderException("add_days needs a whole number of days, e.g. add_days: -3");
        var days = arguments.At(0).ToNumberValue();
        if (days != decimal.Truncate(days) || Math.Abs(days) > 1_000_000)
            throw new TemplateRenderException($"add_days needs a whole number of days, not {days.ToString(CultureInfo.InvariantCulture)}");
        if (input.IsNil() || input.ToStringValue().Length == 0)
            return NilValue.Instance;
        try
        {
            return ReadDate(input, "add_days") switch
            {
                DateOnly date => new StringValue(date.AddDays((int)days).ToString(DateFormat, CultureInfo.InvariantCulture)),
                DateTimeOffset instant => new StringValue(instant.AddDays((int)days).UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture)),
                _ => NilValue.Instance,
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new TemplateRenderException($"add_days: {input.ToStringValue()} plus {days} days is out of range", e);
        }
    }

    private static FluidValue FormatDate(FluidValue input, FilterArguments arguments)
    {
        if (arguments.Count != 1 || arguments.At(0).Type != FluidValues.String)
            throw new TemplateRenderException("format_date needs a .NET date format, e.g. format_date: \"yyyy-MM-dd\"");
        if (input.IsNil() || input.ToStringValue().Length == 0)
            return NilValue.Instance;
        var pattern = arguments.At(0).ToStringValue();
        try
        {
            return new StringValue(ReadDate(input, "format_date") switch
            {
                DateOnly date => date.ToDateTime(TimeOnly.MinValue).ToString(pattern, CultureInfo.InvariantCulture),
                DateTimeOffset instant => instant.ToString(pattern, CultureInfo.InvariantCulture),
                _ => "",
            });
        }
        catch (FormatException e)
        {
            throw new TemplateRenderException($"format_date: \"{pattern}\" is not a valid .NET date format", e);
        }
    }

    /// <summary>A <see cref="DateOnly"/> for a date, a <see cref="DateTimeOffset"/> for a date and time.</summary>
    private static object ReadDate(FluidValue input, string filter)
    {
        if (input.Type == FluidValues.DateTime && input.ToObjectValue() is DateTimeOffset value)
            return value;
        var text = input.ToStringValue().Trim();
        if (DateOnly.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return date;
        if (text.Length > 10 && DateOnly.TryParseExact(text[..10], DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
            return instant;
        throw new TemplateRenderException($"{filter}: \"{text}\" is not an ISO 8601 date (yyyy-MM-dd)");
    }

    /// <summary>How template values become Liquid values: dates as ISO text, whatever the culture.</summary>
    internal static object? ConvertValue(object value) => value switch
    {
        DateOnly date => date.ToString(DateFormat, CultureInfo.InvariantCulture),
        DateTimeOffset instant => instant.UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture),
        DateTime { Kind: DateTimeKind.Local } time => time.ToUniversalTime().ToString(DateTimeFormat, CultureInfo.InvariantCulture),
        DateTime time => time.ToString(DateTimeFormat, CultureInfo.InvariantCulture),
        _ => null,
    };
}
