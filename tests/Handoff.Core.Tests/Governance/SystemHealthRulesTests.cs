using Handoff.Core.Governance;
using Handoff.Core.Workspace;

namespace Handoff.Core.Tests.Governance;

public sealed class SystemHealthRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_error_spike_needs_enough_failures_and_twice_the_baseline()
    {
        Assert.Null(SystemHealthRules.ErrorSpike("ad", "failed writes", "hour", new(4, 4), new(100, 0)));  // too few
        Assert.Null(SystemHealthRules.ErrorSpike("ad", "failed writes", "hour", new(20, 6), new(100, 20))); // 30 % vs 20 %
        var spike = SystemHealthRules.ErrorSpike("ad", "failed writes", "hour", new(20, 12), new(100, 5));
        Assert.NotNull(spike);
        Assert.Equal(("error_spike", FindingSeverity.Critical), (spike.Kind, spike.Severity));
        Assert.Equal(new FailureCount(80, 10), new FailureCount(100, 12) - new FailureCount(20, 2));
    }

    [Theory]
    [InlineData(1000, 700, 0.4, false)]
    [InlineData(1000, 600, 0.4, true)]
    [InlineData(1000, 850, 0.1, true)]
    [InlineData(0, 10, 0.4, false)]
    public void Volume_drop_compares_with_the_previous_full_export(int before, int now, double drop, bool raised) =>
        Assert.Equal(raised, SystemHealthRules.VolumeDrop("hris", before, now, drop, 7) is not null);

    [Fact]
    public void Credentials_warn_14_days_ahead_and_are_critical_once_expired()
    {
        var today = new DateOnly(2027, 1, 17);
        Assert.Null(SystemHealthRules.CredentialsExpiry("ad", new DateOnly(2027, 2, 1), today));
        Assert.Equal(FindingSeverity.Warning, SystemHealthRules.CredentialsExpiry("ad", new DateOnly(2027, 1, 31), today)!.Severity);
        Assert.Contains("in 14 days", SystemHealthRules.CredentialsExpiry("ad", new DateOnly(2027, 1, 31), today)!.Detail);
        Assert.Equal(FindingSeverity.Critical, SystemHealthRules.CredentialsExpiry("ad", today, today)!.Severity);
        Assert.Null(SystemHealthRules.CredentialsExpiry("ad", null, today));
    }

    [Fact]
    public void A_sync_older_than_max_sync_age_is_reported()
    {
        var max = TimeSpan.FromHours(26);
        Assert.Null(SystemHealthRules.SyncAge("hris", Now.AddHours(-25), Now, max));
        Assert.Contains("27 hours ago", SystemHealthRules.SyncAge("hris", Now.AddHours(-27), Now, max)!.Detail);
        Assert.Contains("no successful sync yet", SystemHealthRules.SyncAge("hris", null, Now, max)!.Detail);
        Assert.Null(SystemHealthRules.SyncAge("hris", null, Now, null));
    }

    [Fact]
    public void Quarantine_needs_the_minimum_attempts_and_the_rate()
    {
        var settings = SystemHealthSettings.For(System(("quarantine_failure_rate", "0.5"), ("quarantine_window", "1h"), ("quarantine_min_attempts", "10")));
        Assert.False(SystemHealthRules.ShouldQuarantine(new(9, 9), settings));
        Assert.False(SystemHealthRules.ShouldQuarantine(new(10, 4), settings));
        Assert.True(SystemHealthRules.ShouldQuarantine(new(10, 5), settings));
        Assert.Equal(TimeSpan.FromHours(1), settings.QuarantineWindow);
    }

    [Fact]
    public void Settings_default_and_bad_values_name_the_system_and_key()
    {
        var defaults = SystemHealthSettings.For(System());
        Assert.Equal((0.4, 0.5, 10, (DateOnly?)null), (defaults.VolumeDrop, defaults.QuarantineFailureRate, defaults.QuarantineMinAttempts, defaults.CredentialsExpire));
        var set = SystemHealthSettings.For(System(("credentials_expire", "2027-01-31"), ("max_sync_age", "26h")));
        Assert.Equal((new DateOnly(2027, 1, 31), TimeSpan.FromHours(26)), (set.CredentialsExpire!.Value, set.MaxSyncAge!.Value));

        var e = Assert.Throws<InvalidOperationException>(() => SystemHealthSettings.For(System(("credentials_expire", "31.01.2027"))));
        Assert.Equal("system 'ad': credentials_expire: expected a date like 2027-01-31, found \"31.01.2027\"", e.Message);
        Assert.NotNull(SystemHealthSettings.Check("quarantine_failure_rate", "1.5"));
        Assert.NotNull(SystemHealthSettings.Check("max_sync_age", "soon"));
        Assert.NotNull(SystemHealthSettings.Check("quarantine_min_attempts", "0"));
        Assert.Null(SystemHealthSettings.Check("volume_drop", "0.25"));
    }

    private static SystemDefinition System(params (string Key, string Value)[] config) =>
        new("ad", "AD", SystemKind.Directory, "ldap", SystemOwner.It, config.ToDictionary(c => c.Key, c => c.Value));
}
