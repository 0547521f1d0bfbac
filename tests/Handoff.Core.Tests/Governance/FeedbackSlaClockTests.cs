using Handoff.Core.Governance;
using Handoff.Core.Workspace;

namespace Handoff.Core.Tests.Governance;

public sealed class FeedbackSlaClockTests
{
    private static readonly FeedbackSlaClock Utc = new(TimeZoneInfo.Utc);

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Hours_and_calendar_days_are_wall_clock_time()
    {
        Assert.Equal(At("2026-11-28T17:00:00Z"), Utc.Deadline(At("2026-11-28T09:00:00Z"), new(8, SlaUnit.Hours)));
        Assert.Equal(At("2026-12-01T09:00:00Z"), Utc.Deadline(At("2026-11-28T09:00:00Z"), new(3, SlaUnit.Days)));
        Assert.Equal(At("2026-11-28T15:24:00Z"), Utc.ReminderAt(At("2026-11-28T09:00:00Z"), new(8, SlaUnit.Hours), 80));
    }

    [Fact]
    public void Business_days_skip_the_weekend()
    {
        // Thursday 15:00 + 2 business days = Monday 15:00 (Saturday and Sunday do not count).
        var thursday = At("2026-11-26T15:00:00Z");
        Assert.Equal(At("2026-11-30T15:00:00Z"), Utc.Deadline(thursday, new(2, SlaUnit.BusinessDays)));
        // 80 % of 2 business days = 38.4 h of weekday time: Thursday 9 h, Friday 24 h, Monday 5.4 h.
        Assert.Equal(At("2026-11-30T05:24:00Z"), Utc.ReminderAt(thursday, new(2, SlaUnit.BusinessDays), 80));
        Assert.Equal(TimeSpan.FromHours(33), Utc.Elapsed(thursday, At("2026-11-30T00:00:00Z"), new(2, SlaUnit.BusinessDays)));
    }

    [Fact]
    public void A_report_filed_on_the_weekend_starts_its_clock_on_monday()
    {
        Assert.Equal(At("2026-12-01T00:00:00Z"), Utc.Deadline(At("2026-11-28T11:00:00Z"), new(1, SlaUnit.BusinessDays)));
        Assert.Equal(TimeSpan.Zero, Utc.Elapsed(At("2026-11-28T11:00:00Z"), At("2026-11-29T23:00:00Z"), new(1, SlaUnit.BusinessDays)));
    }

    [Fact]
    public void Business_days_are_counted_in_the_charters_time_zone()
    {
        var berlin = new FeedbackSlaClock(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        // Friday 23:30 UTC is already Saturday 00:30 in Berlin: the clock starts Monday 00:00 Berlin (Sunday 23:00 UTC).
        Assert.Equal(At("2026-12-01T23:00:00Z"), berlin.Deadline(At("2026-11-27T23:30:00Z"), new(2, SlaUnit.BusinessDays)));
    }

    [Fact]
    public void SLA_text_is_strict()
    {
        Assert.True(FeedbackSla.TryParse("2bd", out var sla));
        Assert.Equal(new FeedbackSla(2, SlaUnit.BusinessDays), sla);
        Assert.Equal("2bd", sla.ToString());
        foreach (var bad in new[] { "2", "0h", "2 d", "1w", "-1d", "bd" })
            Assert.False(FeedbackSla.TryParse(bad, out _), bad);
    }

    [Fact]
    public void Reports_are_routed_by_category_and_unknown_categories_are_named()
    {
        var rules = FeedbackRules.Default;
        Assert.Equal(FeedbackRoute.HrOperations, FeedbackRouting.Category(rules, "wrong_value").Route);
        Assert.Equal(FeedbackRoute.It, FeedbackRouting.Category(rules, "account_access").Route);
        Assert.Equal("other", FeedbackRouting.Category(rules, null).Id);
        var e = Assert.Throws<FeedbackRoutingException>(() => FeedbackRouting.Category(rules, "salary"));
        Assert.Equal("unknown feedback category \"salary\"; the charter's categories: wrong_value, account_access, automation, other", e.Message);
    }

    [Fact]
    public void Escalation_steps_come_due_after_the_breach_in_order_and_per_side()
    {
        var charter = Charter.Empty with
        {
            Escalation = [new("lead-hr", TimeSpan.Zero, SystemOwner.Hr), new("lead-it", TimeSpan.Zero, SystemOwner.It), new("sponsor", TimeSpan.FromDays(1), null)],
        };
        var path = FeedbackRouting.Path(charter, FeedbackRoute.HrOperations);
        Assert.Equal(["lead-hr", "sponsor"], path.Select(s => s.To));
        var deadline = At("2026-11-30T15:00:00Z");
        Assert.Equal(0, FeedbackRouting.DueSteps(path, deadline, deadline.AddMinutes(-1)));
        Assert.Equal(1, FeedbackRouting.DueSteps(path, deadline, deadline));
        Assert.Equal(1, FeedbackRouting.DueSteps(path, deadline, deadline.AddHours(23)));
        Assert.Equal(2, FeedbackRouting.DueSteps(path, deadline, deadline.AddDays(2)));
    }
}
