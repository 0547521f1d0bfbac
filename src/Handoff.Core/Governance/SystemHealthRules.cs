using System.Globalization;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;

namespace Handoff.Core.Governance;

/// <summary>A problem with a connected system (not with a person): drift of its schema, a spike of
/// errors, a missing export, credentials about to expire. <see cref="Key"/> identifies the problem so
/// that it is raised once while it stays open.</summary>
public sealed record SystemFindingDraft(string System, string Kind, string Key, FindingSeverity Severity, string Detail);

/// <summary>Per-system health settings, from the system's config keys (all optional).</summary>
/// <param name="CredentialsExpire">credentials_expire: the day the system's credentials stop working</param>
/// <param name="MaxSyncAge">max_sync_age: longest time without a successful sync (sources)</param>
/// <param name="VolumeDrop">volume_drop: share of rows a full export may lose against the previous one</param>
/// <param name="QuarantineFailureRate">quarantine_failure_rate: failed share of target writes that quarantines</param>
/// <param name="QuarantineWindow">quarantine_window: over how long that share is measured</param>
/// <param name="QuarantineMinAttempts">quarantine_min_attempts: writes needed in the window before judging</param>
public sealed record SystemHealthSettings(
    DateOnly? CredentialsExpire,
    TimeSpan? MaxSyncAge,
    double VolumeDrop,
    double QuarantineFailureRate,
    TimeSpan QuarantineWindow,
    int QuarantineMinAttempts)
{
    /// <summary>The config keys read here; every connector accepts them.</summary>
    public static readonly string[] Keys = ["credentials_expire", "max_sync_age", "volume_drop", "quarantine_failure_rate", "quarantine_window", "quarantine_min_attempts"];

    /// <summary>Checks one config value; returns why it is wrong, or null. The workspace loader reports
    /// it at the value's line.</summary>
    public static string? Check(string key, string value) => key switch
    {
        "credentials_expire" when !DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            => $"credentials_expire: expected a date like 2027-01-31, found \"{value}\"",
        "max_sync_age" or "quarantine_window" when !WorkflowTime.TryParseDuration(value, out var d) || d <= TimeSpan.Zero
            => $"{key}: expected a positive duration like 26h or 1h, found \"{value}\"",
        "volume_drop" or "quarantine_failure_rate" when !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) || r <= 0 || r > 1
            => $"{key}: expected a share between 0 and 1 like 0.4, found \"{value}\"",
        "quarantine_min_attempts" when !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1
            => $"quarantine_min_attempts: expected a whole number of at least 1, found \"{value}\"",
        _ => null,
    };

    public static SystemHealthSettings For(SystemDefinition system)
    {
        foreach (var key in Keys)
        {
            if (system.Setting(key) is { } text && Check(key, text) is { } error)
                throw new InvalidOperationException($"system '{system.Id}': {error}");
        }
        string? S(string k) => system.Setting(k);
        return new SystemHealthSettings(
            S("credentials_expire") is { } c ? DateOnly.ParseExact(c, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
            S("max_sync_age") is { } a && WorkflowTime.TryParseDuration(a, out var age) ? age : null,
            S("volume_drop") is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : 0.4,
            S("quarantine_failure_rate") is { } q ? double.Parse(q, CultureInfo.InvariantCulture) : 0.5,
            S("quarantine_window") is { } w && WorkflowTime.TryParseDuration(w, out var window) ? window : TimeSpan.FromHours(1),
            S("quarantine_min_attempts") is { } m ? int.Parse(m, CultureInfo.InvariantCulture) : 10);
    }
}

/// <summary>Counts of attempts and failures in one period.</summary>
public sealed record FailureCount(int Attempts, int Failed)
{
    public double Rate => Attempts == 0 ? 0 : (double)Failed / Attempts;

    /// <summary>The counts of a longer period without those of a period inside it (the baseline without the spike).</summary>
    public static FailureCount operator -(FailureCount all, FailureCount part) =>
        new(Math.Max(0, all.Attempts - part.Attempts), Math.Max(0, all.Failed - part.Failed));
}

/// <summary>
/// The health rules, pure: the Data layer gathers counts, these decide. Each returns the finding to
/// raise, or null when the system is fine.
/// </summary>
public static class SystemHealthRules
{
    /// <summary>Fewest failures in the recent period before a spike is called (2 failures in 3 tries is noise).</summary>
    public const int MinSpikeFailures = 5;

    /// <summary>Error-rate spike: the recent failure rate is at least twice the 7-day baseline and
    /// 10 points above it. The baseline excludes the recent period itself. <paramref name="what"/> names the failures (failed target writes, quarantined rows).</summary>
    public static SystemFindingDraft? ErrorSpike(string system, string what, string period, FailureCount recent, FailureCount baseline)
    {
        if (recent.Failed < MinSpikeFailures || recent.Rate < 2 * baseline.Rate || recent.Rate < baseline.Rate + 0.1)
            return null;
        var severity = recent.Rate >= 0.5 ? FindingSeverity.Critical : FindingSeverity.Warning;
        return new(system, "error_spike", $"error_spike:{what}:{period}", severity,
            $"{what}: {recent.Failed} of {recent.Attempts} ({recent.Rate:P0}) in the last {period}, against {baseline.Rate:P0} over the last 7 days");
    }

    /// <summary>Volume anomaly: a full export with at least <paramref name="drop"/> fewer rows than the previous one.</summary>
    public static SystemFindingDraft? VolumeDrop(string system, int previousRows, int rows, double drop, long syncId)
    {
        if (previousRows <= 0 || rows > previousRows * (1 - drop))
            return null;
        var lost = 1 - (double)rows / previousRows;
        return new(system, "volume", $"volume:{syncId}", lost >= 0.9 ? FindingSeverity.Critical : FindingSeverity.Warning,
            $"the export of sync {syncId} has {rows} rows, {lost:P0} fewer than the previous full export ({previousRows}); a truncated file would look like leavers");
    }

    /// <summary>Credentials that expire within <paramref name="warnDays"/> days (or did).</summary>
    public static SystemFindingDraft? CredentialsExpiry(string system, DateOnly? expires, DateOnly today, int warnDays = 14)
    {
        if (expires is not { } day || day.DayNumber - today.DayNumber > warnDays)
            return null;
        var left = day.DayNumber - today.DayNumber;
        return new(system, "credentials", $"credentials:{day:yyyy-MM-dd}", left <= 0 ? FindingSeverity.Critical : FindingSeverity.Warning,
            left <= 0 ? $"the credentials expired on {day:yyyy-MM-dd}" : $"the credentials expire on {day:yyyy-MM-dd}, in {left} day{(left == 1 ? "" : "s")}");
    }

    /// <summary>Last successful sync older than <paramref name="maxAge"/> (or none at all).</summary>
    public static SystemFindingDraft? SyncAge(string system, DateTimeOffset? lastSuccess, DateTimeOffset now, TimeSpan? maxAge)
    {
        if (maxAge is not { } max || (lastSuccess is { } last && now - last <= max))
            return null;
        return new(system, "sync_age", "sync_age", FindingSeverity.Warning,
            lastSuccess is { } l
                ? $"the last successful sync was {l:yyyy-MM-dd HH:mm} UTC, {(now - l).TotalHours:0} hours ago (max_sync_age {WorkflowTime.Format(max)})"
                : $"no successful sync yet (max_sync_age {WorkflowTime.Format(max)})");
    }

    /// <summary>Whether a target's writes in the quarantine window failed often enough to stop writing to it.</summary>
    public static bool ShouldQuarantine(FailureCount window, SystemHealthSettings settings) =>
        window.Attempts >= settings.QuarantineMinAttempts && window.Rate >= settings.QuarantineFailureRate;
}
