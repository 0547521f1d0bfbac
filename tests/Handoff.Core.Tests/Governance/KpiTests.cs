using Handoff.Core.Governance;

namespace Handoff.Core.Tests.Governance;

public class KpiTests
{
    private static readonly ProcessMap Map = new("p", "P", "offer accepted", null,
    [
        // 30 min × 40 a month = 20 h a month, half automated: still counts as needing a human.
        new ProcessStep("rekey", "Re-key", "HR", "hris", 30m, 40m, 0.05m, 200m, AutomationShare: 0.5m),
        // 6 min × 100 = 10 h a month, done by a workflow: not an intervention any more.
        new ProcessStep("ticket", "Ticket", "HR", "mail", 6m, 100m, 0m, 0m, AutomatedBy: "onboard"),
        // 10 min × 20 = 3.33 h a month.
        new ProcessStep("badge", "Badge", "IT", "badge", 10m, 20m, 0m, 0m),
    ], []);

    [Fact]
    public void The_six_kpis_have_the_targets_of_the_issue()
    {
        Assert.Equal(["hr_hours_per_week", "data_error_rate", "day_one_tickets", "automation_failure_rate", "security_incidents", "audit_completeness"],
            Kpis.BuiltIn.Select(k => k.Id));
        Assert.Equal(new KpiTarget(KpiTargetKind.RelativeChange, -0.5m), Kpis.Find("hr_hours_per_week")!.Target);
        Assert.Equal(new KpiTarget(KpiTargetKind.RelativeChange, -0.7m), Kpis.Find("day_one_tickets")!.Target);
        Assert.Equal(new KpiTarget(KpiTargetKind.Below, 0.01m), Kpis.Find("automation_failure_rate")!.Target);
        Assert.Equal("-50 % vs baseline", Kpis.Find("hr_hours_per_week")!.Target.ToString());
        Assert.Null(Kpis.Find("nope"));
    }

    [Theory]
    [InlineData(50.0, 100.0, KpiStatus.Met)]      // exactly halved
    [InlineData(50.01, 100.0, KpiStatus.NotMet)]
    [InlineData(10.0, null, KpiStatus.Pending)]   // no baseline
    [InlineData(10.0, 0.0, KpiStatus.Pending)]    // a zero baseline cannot be halved
    public void Relative_targets_need_a_baseline(double value, double? baseline, KpiStatus expected) =>
        Assert.Equal(expected, Kpis.Evaluate(new KpiTarget(KpiTargetKind.RelativeChange, -0.5m), (decimal)value, (decimal?)baseline));

    [Fact]
    public void Absolute_targets_judge_the_value_alone_and_no_value_is_pending()
    {
        var below = new KpiTarget(KpiTargetKind.Below, 0.01m);
        Assert.Equal(KpiStatus.Met, Kpis.Evaluate(below, 0.0099m, null));
        Assert.Equal(KpiStatus.NotMet, Kpis.Evaluate(below, 0.01m, null));
        Assert.Equal(KpiStatus.Met, Kpis.Evaluate(new KpiTarget(KpiTargetKind.AtMost, 0m), 0m, null));
        Assert.Equal(KpiStatus.NotMet, Kpis.Evaluate(new KpiTarget(KpiTargetKind.AtMost, 0m), 1m, null));
        Assert.Equal(KpiStatus.NotMet, Kpis.Evaluate(new KpiTarget(KpiTargetKind.AtLeast, 1m), 0.999m, null));
        Assert.Equal(KpiStatus.Pending, Kpis.Evaluate(below, null, 5m));
    }

    [Fact]
    public void Rates_are_null_when_nothing_was_attempted()
    {
        Assert.Null(Kpis.Rate(0, 0));
        Assert.Equal(0.25m, Kpis.Rate(1, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kpis.Rate(-1, 4));
        Assert.Equal(-0.4m, Kpis.Change(6m, 10m));
        Assert.Null(Kpis.Change(6m, null));
    }

    [Fact]
    public void Hours_per_week_divide_by_the_weeks_in_the_window()
    {
        var from = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        // 840 minutes = 14 h over 14 days (2 weeks) = 7 h a week.
        Assert.Equal(7m, Kpis.HoursPerWeek(840m, from, from.AddDays(14)));
        var e = Assert.Throws<ArgumentException>(() => Kpis.HoursPerWeek(1m, from, from));
        Assert.Contains("is empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Baseline_and_intervention_minutes_come_from_the_process_map()
    {
        var cost = ProcessAuditCost.Compute(Map, ProcessCostSettings.Default);
        // (20 + 10 + 3.333…) h a month × 12 ÷ 52 = 400 ÷ 52 = 7.6923 h a week.
        Assert.Equal(7.6923m, Math.Round(Kpis.BaselineHoursPerWeek([cost]), 4));
        // Volume-weighted minutes of the steps still needing a human: (30×40 + 10×20) ÷ 60 = 23.33.
        Assert.Equal(23.33m, Math.Round(Kpis.MinutesPerIntervention([Map]), 2));
        Assert.Equal(0m, Kpis.MinutesPerIntervention([]));
    }

    [Theory]
    [InlineData("hr_hours_per_week", true)]
    [InlineData("nps2", true)]
    [InlineData("Bad", false)]
    [InlineData("x", false)]
    [InlineData("a-b", false)]
    public void Custom_ids_are_lower_case_identifiers(string id, bool valid) => Assert.Equal(valid, Kpis.IsValidId(id));

    [Fact]
    public void Ratios_print_as_percentages() =>
        Assert.Equal(("0.5 %", "3 tickets", "—"), (Kpis.Format(Kpis.Find("data_error_rate")!, 0.005m), Kpis.Format(Kpis.Find("day_one_tickets")!, 3m), Kpis.Format(Kpis.Find("day_one_tickets")!, null)));
}
