using System.Globalization;
using System.Text.RegularExpressions;

namespace Handoff.Core.Workflows;

/// <summary>Durations as workflows write them (<c>30m</c>, <c>12h</c>, <c>-7d</c>) and local times in a person's zone.</summary>
public static partial class WorkflowTime
{
    [GeneratedRegex(@"^\s*([+-]?\d{1,6})\s*(ms|s|m|h|d|w)\s*$")]
    private static partial Regex DurationPattern();

    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (text is null || DurationPattern().Match(text) is not { Success: true } m)
            return false;
        var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        duration = m.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => TimeSpan.FromDays(7 * n),
        };
        return true;
    }

    public static string Format(TimeSpan span) =>
        span.Ticks % TimeSpan.TicksPerDay == 0 ? $"{span.TotalDays:0}d"
        : span.Ticks % TimeSpan.TicksPerHour == 0 ? $"{span.TotalHours:0}h"
        : span.Ticks % TimeSpan.TicksPerMinute == 0 ? $"{span.TotalMinutes:0}m"
        : $"{span.TotalSeconds:0}s";

    /// <summary>The instant a local wall-clock time happens on a day in a zone. A time skipped by a
    /// daylight-saving jump moves forward by the gap; a repeated time takes its first occurrence.</summary>
    public static DateTimeOffset At(DateOnly day, TimeOnly time, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(time, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
            local = local.AddHours(1);
        var offset = zone.IsAmbiguousTime(local)
            ? zone.GetAmbiguousTimeOffsets(local).Max()
            : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    public static TimeZoneInfo Zone(string? id) =>
        id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
}
