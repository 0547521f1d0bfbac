using System.Globalization;

namespace Handoff.Core.Sources;

/// <summary>
/// The ordering fact of a record: when the source says it was true (an <c>as_of</c> column, the
/// export time of its file, the webhook's signed timestamp; else when Handoff received it) and the
/// delivery's sequence number as the tie-break. Encoded as one string that sorts in order, so a
/// field's order can be stored beside its value and compared with one ordinal comparison: a fact
/// whose order is lower than the one in force never replaces it.
/// </summary>
public static class RecordOrder
{
    /// <summary>Older than every real order: what values stored before orders existed carry.</summary>
    public const string None = "";

    public static string Of(DateTimeOffset asOf, long sequence) =>
        asOf.UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + "." + Math.Max(0, sequence).ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="candidate"/> is at least as new as <paramref name="inForce"/>
    /// (an equal order is the same fact read again).</summary>
    public static bool IsNotOlder(string candidate, string? inForce) => string.CompareOrdinal(candidate, inForce ?? None) >= 0;

    /// <summary>The sequence part (0 for <see cref="None"/>).</summary>
    public static long Sequence(string? order) =>
        order is { Length: 39 } && long.TryParse(order.AsSpan(20), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : 0;

    /// <summary>The later of two orders.</summary>
    public static string Max(string a, string b) => string.CompareOrdinal(a, b) >= 0 ? a : b;

    /// <summary>A future-dated fact becomes true on its effective day: it is ordered as of that day
    /// (or as of when it was stated, if later), so a fact stated later for an earlier day does not
    /// hide it when its day comes.</summary>
    public static string Effective(string stated, DateOnly effectiveFrom) =>
        Max(stated, Of(new DateTimeOffset(effectiveFrom.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), Sequence(stated)));

    /// <summary>The time part, for messages; null for <see cref="None"/>.</summary>
    public static DateTimeOffset? AsOf(string? order) =>
        order is { Length: >= 19 } && long.TryParse(order.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : null;

    /// <summary>Parses an <c>as_of</c> value: an ISO date-time with offset (UTC without one), an ISO
    /// date (midnight UTC), or a date in <paramref name="dateFormat"/>.</summary>
    public static bool TryParseAsOf(string text, string? dateFormat, out DateTimeOffset asOf)
    {
        text = text.Trim();
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out asOf)
            && text.Length > 10)
            return true;
        foreach (var format in new[] { dateFormat, "yyyy-MM-dd" })
        {
            if (format is not null && DateOnly.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                asOf = new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
                return true;
            }
        }
        asOf = default;
        return false;
    }
}

/// <summary>One delivery of a source (a file, a webhook body, a SCIM request): its sequence number and
/// the time its facts are as of unless a record says otherwise (<c>as_of</c>).</summary>
public sealed record DeliveryStamp(long Sequence, DateTimeOffset AsOf)
{
    public string Order => RecordOrder.Of(AsOf, Sequence);
}
