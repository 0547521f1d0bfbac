using System.Globalization;
using System.Net.Mail;
using System.Text.RegularExpressions;

namespace Handoff.Core.Dictionary;

/// <summary>
/// Converts values between a system's native text and the canonical text the engine stores:
/// dates as <c>yyyy-MM-dd</c>, datetimes as UTC <c>yyyy-MM-ddTHH:mm:ssZ</c>, emails lower-cased,
/// numbers in invariant culture without trailing zeros, booleans as <c>true</c>/<c>false</c> and
/// enums after the binding's map.
/// </summary>
public static partial class ValueConverter
{
    /// <summary>ISO 8601 text (the default): <c>2026-01-05</c> or <c>2026-01-05T09:30:00Z</c>.</summary>
    public const string Iso = "iso";

    /// <summary>Active Directory FILETIME: 100-ns intervals since 1601-01-01 UTC (accountExpires).</summary>
    public const string FileTime = "filetime";

    /// <summary>LDAP generalized time (RFC 4517): <c>20260105093000Z</c>, <c>20260105093000+0100</c>.</summary>
    public const string GeneralizedTime = "generalized_time";

    /// <summary>Whole seconds since 1970-01-01 UTC.</summary>
    public const string UnixSeconds = "unix_seconds";

    /// <summary>The date converters a binding may name.</summary>
    public static IReadOnlyList<string> Converters { get; } = [Iso, FileTime, GeneralizedTime, UnixSeconds];

    /// <summary>Active Directory writes 0 or Int64.MaxValue in accountExpires for "never".</summary>
    public const long FileTimeNever = long.MaxValue;

    private const string DateFormat = "yyyy-MM-dd";
    private const string DateTimeFormat = "yyyy-MM-ddTHH:mm:ssZ";

    private static readonly string[] IsoDateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd",
    ];

    private static readonly Dictionary<string, bool> BoolWords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["true"] = true,
        ["yes"] = true,
        ["y"] = true,
        ["1"] = true,
        ["on"] = true,
        ["t"] = true,
        ["false"] = false,
        ["no"] = false,
        ["n"] = false,
        ["0"] = false,
        ["off"] = false,
        ["f"] = false,
    };

    [GeneratedRegex(@"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$")]
    private static partial Regex GeneralizedTimePattern();

    /// <summary>
    /// Converts a native value to canonical text. Null or blank input is a valid "no value"
    /// (<paramref name="canonical"/> null). On failure returns false with an error that names the
    /// value and what was expected.
    /// </summary>
    public static bool TryToCanonical(FieldDefinition field, FieldBinding? binding, string? raw, out string? canonical, out string? error)
    {
        canonical = null;
        error = null;
        if (string.IsNullOrWhiteSpace(raw))
            return true;
        var text = raw.Trim();
        switch (field.Type)
        {
            case FieldType.String or FieldType.Reference:
                canonical = text;
                return true;
            case FieldType.Date or FieldType.DateTime:
                return TryDate(field.Type == FieldType.DateTime, binding, text, out canonical, out error);
            case FieldType.Email:
                return TryEmail(text, out canonical, out error);
            case FieldType.Enum:
                return TryEnum(field, binding, text, out canonical, out error);
            case FieldType.Number:
                return TryNumber(text, out canonical, out error);
            case FieldType.Bool:
                if (BoolWords.TryGetValue(text, out var b))
                {
                    canonical = b ? "true" : "false";
                    return true;
                }
                error = $"\"{text}\" is not a boolean; expected one of true/false, yes/no, y/n, 1/0, on/off, t/f";
                return false;
            default:
                throw new ArgumentOutOfRangeException(nameof(field), field.Type, "unknown field type");
        }
    }

    /// <summary>
    /// Converts canonical text to the native text a target expects (the inverse of
    /// <see cref="TryToCanonical"/>). A missing date written through <c>filetime</c> becomes
    /// Active Directory's "never" (<see cref="FileTimeNever"/>).
    /// </summary>
    /// <exception cref="FormatException">The canonical value is not in canonical form.</exception>
    public static string? ToNative(FieldDefinition field, FieldBinding binding, string? canonical)
    {
        var isDate = field.Type is FieldType.Date or FieldType.DateTime;
        if (string.IsNullOrEmpty(canonical))
            return isDate && binding.Converter == FileTime ? FileTimeNever.ToString(CultureInfo.InvariantCulture) : null;

        switch (field.Type)
        {
            case FieldType.Date or FieldType.DateTime:
                var instant = field.Type == FieldType.Date
                    ? new DateTimeOffset(DateOnly.ParseExact(canonical, DateFormat, CultureInfo.InvariantCulture).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)
                    : DateTimeOffset.ParseExact(canonical, DateTimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                if (binding.Format is { } format)
                    return instant.UtcDateTime.ToString(format, CultureInfo.InvariantCulture);
                return binding.Converter switch
                {
                    FileTime => instant.UtcDateTime.ToFileTimeUtc().ToString(CultureInfo.InvariantCulture),
                    GeneralizedTime => instant.UtcDateTime.ToString("yyyyMMddHHmmss'Z'", CultureInfo.InvariantCulture),
                    UnixSeconds => instant.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                    _ => canonical,
                };
            case FieldType.Enum:
                // Several native values may map to one canonical value; the first one written wins.
                foreach (var (native, value) in binding.Map)
                {
                    if (value == canonical)
                        return native;
                }
                return canonical;
            default:
                return canonical;
        }
    }

    /// <summary>True when <paramref name="pattern"/> is a .NET date pattern that formats and parses
    /// a date back to the same day (so "MM/dd/yyyy" passes, "MM/yyyy" or "hello" do not).</summary>
    public static bool IsValidDatePattern(string pattern, bool withTime)
    {
        if (string.IsNullOrWhiteSpace(pattern))
            return false;
        var sample = new DateTime(2026, 3, 17, 13, 45, 56, DateTimeKind.Utc);
        try
        {
            var text = sample.ToString(pattern, CultureInfo.InvariantCulture);
            return DateTime.TryParseExact(text, pattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                && parsed.Date == sample.Date
                && (!withTime || parsed.TimeOfDay == TimeSpan.Zero || parsed.TimeOfDay == sample.TimeOfDay);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool TryDate(bool withTime, FieldBinding? binding, string text, out string? canonical, out string? error)
    {
        canonical = null;
        error = null;
        var what = withTime ? "date and time" : "date";
        DateTimeOffset instant;
        if (binding?.Format is { } format)
        {
            if (!DateTimeOffset.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out instant))
            {
                error = $"\"{text}\" is not a {what} in the format {format}";
                return false;
            }
        }
        else
        {
            switch (binding?.Converter ?? Iso)
            {
                case FileTime:
                    if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
                    {
                        error = $"\"{text}\" is not an Active Directory FILETIME (100-ns intervals since 1601-01-01 UTC)";
                        return false;
                    }
                    if (ticks is 0 or FileTimeNever)
                        return true; // "never expires": no date
                    if (ticks > DateTime.MaxValue.ToFileTimeUtc())
                    {
                        error = $"\"{text}\" is out of range for an Active Directory FILETIME";
                        return false;
                    }
                    instant = new DateTimeOffset(DateTime.FromFileTimeUtc(ticks));
                    break;
                case UnixSeconds:
                    if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
                        || seconds < DateTimeOffset.MinValue.ToUnixTimeSeconds() || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
                    {
                        error = $"\"{text}\" is not a Unix time (whole seconds since 1970-01-01 UTC)";
                        return false;
                    }
                    instant = DateTimeOffset.FromUnixTimeSeconds(seconds);
                    break;
                case GeneralizedTime:
                    if (!TryGeneralizedTime(text, out instant))
                    {
                        error = $"\"{text}\" is not an LDAP generalized time (e.g. 20260105093000Z or 20260105093000+0100)";
                        return false;
                    }
                    break;
                default:
                    if (!DateTimeOffset.TryParseExact(text, IsoDateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out instant))
                    {
                        error = withTime
                            ? $"\"{text}\" is not an ISO 8601 date and time (e.g. 2026-01-05T09:30:00Z)"
                            : $"\"{text}\" is not an ISO 8601 date (yyyy-MM-dd)";
                        return false;
                    }
                    break;
            }
        }

        // A date keeps the calendar day as written (in its own offset); a datetime is an instant in UTC.
        canonical = withTime
            ? instant.UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture)
            : instant.DateTime.ToString(DateFormat, CultureInfo.InvariantCulture);
        return true;
    }

    private static bool TryGeneralizedTime(string text, out DateTimeOffset instant)
    {
        instant = default;
        var m = GeneralizedTimePattern().Match(text);
        if (!m.Success)
            return false;
        int Part(int group) => m.Groups[group].Success ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        var zone = m.Groups[8].Value;
        var offset = TimeSpan.Zero;
        if (zone != "Z")
        {
            var hours = int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture);
            var minutes = zone.Length == 5 ? int.Parse(zone.AsSpan(3, 2), CultureInfo.InvariantCulture) : 0;
            if (hours > 23 || minutes > 59)
                return false;
            offset = new TimeSpan(hours, minutes, 0) * (zone[0] == '-' ? -1 : 1);
        }
        try
        {
            instant = new DateTimeOffset(Part(1), Part(2), Part(3), Part(4), Part(5), Part(6), offset);
        }
        catch (ArgumentException)
        {
            // Month 13, hour 24, an offset beyond ±14 h or a result outside the representable range.
            return false;
        }
        if (m.Groups[7].Success)
        {
            // The fraction belongs to the last unit written (RFC 4517): seconds, minutes or hours.
            var unit = m.Groups[6].Success ? TimeSpan.FromSeconds(1) : m.Groups[5].Success ? TimeSpan.FromMinutes(1) : TimeSpan.FromHours(1);
            var fraction = double.Parse("0." + m.Groups[7].Value, CultureInfo.InvariantCulture);
            instant += unit * fraction;
        }
        return true;
    }

    private static bool TryEmail(string text, out string? canonical, out string? error)
    {
        canonical = null;
        error = null;
        var lower = text.ToLowerInvariant();
        // MailAddress also accepts "Name <a@b>"; only a bare address is a valid email value.
        if (!MailAddress.TryCreate(lower, out var address) || address.Address != lower || lower.Any(char.IsWhiteSpace))
        {
            error = $"\"{text}\" is not an email address (expected a bare address like name@example.com)";
            return false;
        }
        canonical = lower;
        return true;
    }

    private static bool TryEnum(FieldDefinition field, FieldBinding? binding, string text, out string? canonical, out string? error)
    {
        canonical = null;
        error = null;
        var map = binding?.Map ?? new Dictionary<string, string>();
        if (map.TryGetValue(text, out var mapped))
            canonical = mapped;
        else if (map.FirstOrDefault(e => string.Equals(e.Key, text, StringComparison.OrdinalIgnoreCase)) is { Key: not null } entry)
            canonical = entry.Value;
        else
            canonical = field.Values.FirstOrDefault(v => v == text)
                ?? field.Values.FirstOrDefault(v => string.Equals(v, text, StringComparison.OrdinalIgnoreCase));

        if (canonical is not null && field.Values.Contains(canonical))
            return true;
        var expected = map.Count > 0 ? map.Keys.Concat(field.Values).Distinct() : field.Values;
        error = $"\"{text}\" is not a value of {field.Name}; expected one of {string.Join(", ", expected)}";
        canonical = null;
        return false;
    }

    private static bool TryNumber(string text, out string? canonical, out string? error)
    {
        canonical = null;
        error = null;
        if (text.Contains(','))
        {
            error = $"\"{text}\" is not a number: thousands separators and decimal commas are not accepted (expected e.g. 1234.5)";
            return false;
        }
        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var value))
        {
            error = $"\"{text}\" is not a number (expected invariant notation, e.g. 1234.5)";
            return false;
        }
        // Dividing by 1.000… drops trailing zeros in decimal's scale: 75000.00 → 75000.
        canonical = (value / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
        return true;
    }
}
