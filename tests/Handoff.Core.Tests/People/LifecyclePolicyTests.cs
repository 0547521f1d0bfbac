using Handoff.Core.Dictionary;
using Handoff.Core.People;

namespace Handoff.Core.Tests.People;

public sealed class LifecyclePolicyTests
{
    private static readonly DateOnly Today = new(2026, 11, 27);

    private static LifecycleAssessment Assess(LifecycleState? previous = null, params (string Field, string? Value)[] values) =>
        LifecyclePolicy.Assess(LifecycleRules.Default, values.ToDictionary(v => v.Field, v => v.Value), Today, previous);

    [Fact]
    public void An_offer_not_yet_accepted_is_a_candidate()
    {
        Assert.Equal(LifecycleState.Candidate, Assess(null, ("start_date", "2027-01-04"), ("offer_status", "pending")).State);
    }

    [Fact]
    public void An_accepted_offer_or_an_HRIS_hire_before_the_start_date_is_a_pre_hire_reviewed_on_the_start_date()
    {
        var accepted = Assess(null, ("start_date", "2027-01-04"), ("offer_status", "accepted"));
        Assert.Equal((LifecycleState.PreHire, new DateOnly(2027, 1, 4)), (accepted.State, accepted.ReviewOn));
        Assert.Equal(LifecycleState.PreHire, Assess(null, ("start_date", "2027-01-04"), ("employee_id", "1")).State);
        // Start date passed but the HRIS has not hired yet: still pre_hire.
        Assert.Equal(LifecycleState.PreHire, Assess(null, ("start_date", "2026-11-01"), ("offer_status", "accepted")).State);
    }

    [Fact]
    public void Active_on_leave_and_terminated_follow_the_dates_and_the_leave_flag()
    {
        Assert.Equal(LifecycleState.Active, Assess(null, ("start_date", "2020-01-06"), ("employee_id", "1")).State);
        Assert.Equal(LifecycleState.OnLeave, Assess(null, ("start_date", "2020-01-06"), ("employee_id", "1"), ("on_leave", "true")).State);
        var notice = Assess(null, ("start_date", "2020-01-06"), ("employee_id", "1"), ("termination_date", "2026-12-18"));
        Assert.Equal((LifecycleState.Active, new DateOnly(2026, 12, 19)), (notice.State, notice.ReviewOn));
        Assert.Equal(LifecycleState.Terminated, Assess(null, ("start_date", "2020-01-06"), ("employee_id", "1"), ("termination_date", "2026-11-27")).State);
    }

    [Fact]
    public void A_start_date_after_the_termination_date_is_a_rehire()
    {
        var rehire = Assess(LifecycleState.Terminated, ("start_date", "2026-12-07"), ("employee_id", "1"), ("termination_date", "2025-03-31"));
        Assert.Equal(LifecycleState.PreHire, rehire.State);
    }

    [Fact]
    public void Purged_is_final()
    {
        Assert.Equal(LifecycleState.Purged, Assess(LifecycleState.Purged, ("start_date", "2020-01-06"), ("employee_id", "1")).State);
    }

    [Fact]
    public void Today_is_the_date_in_the_persons_time_zone()
    {
        var lateEvening = new DateTimeOffset(2026, 11, 27, 23, 30, 0, TimeSpan.Zero);
        var values = new Dictionary<string, string?> { ["time_zone"] = "Asia/Tokyo" };
        Assert.Equal(new DateOnly(2026, 11, 28), PersonClock.Today(LifecycleRules.Default, values, lateEvening));
        Assert.Equal(new DateOnly(2026, 11, 27), PersonClock.Today(LifecycleRules.Default, new Dictionary<string, string?>(), lateEvening));
    }
}
