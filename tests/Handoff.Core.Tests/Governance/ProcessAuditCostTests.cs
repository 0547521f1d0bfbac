using Handoff.Core.Governance;

namespace Handoff.Core.Tests.Governance;

public class ProcessAuditCostTests
{
    // Two steps whose figures are worked out by hand below.
    private static readonly ProcessMap Map = new("p", "P", "offer accepted", null,
    [
        // 30 min × 40 a month = 1,200 min = 20 h; 5 % of 40 = 2 errors × $200 = $400 a month.
        new ProcessStep("rekey", "Re-key", "HR", "hris", 30m, 40m, 0.05m, 200m, AutomationShare: 0.5m),
        // 6 min × 100 = 600 min = 10 h; no errors; done by a workflow.
        new ProcessStep("ticket", "Ticket", "HR", "mail", 6m, 100m, 0m, 0m, AutomatedBy: "onboard"),
    ], []);

    [Fact]
    public void Default_rate_is_28500_a_year_over_2080_paid_hours()
    {
        Assert.Equal(13.70m, ProcessCostSettings.DefaultHourlyRate);
        Assert.Equal(2080m, ProcessCostSettings.PaidHoursPerYear);
    }

    [Fact]
    public void Step_hours_labour_error_cost_and_saving_match_the_hand_computed_figures()
    {
        var cost = ProcessAuditCost.Compute(Map, new ProcessCostSettings(20m));
        var rekey = cost.Steps[0];
        Assert.Equal(20m, rekey.ManualHoursPerMonth);
        Assert.Equal(240m, rekey.ManualHoursPerYear);
        Assert.Equal(400m, rekey.LabourCostPerMonth);      // 20 h × $20
        Assert.Equal(2m, rekey.ErrorsPerMonth);
        Assert.Equal(400m, rekey.ErrorCostPerMonth);       // 2 × $200
        Assert.Equal(4800m, rekey.ErrorCostPerYear);
        Assert.Equal(10m, rekey.RemainingHoursPerMonth);   // half still manual
        Assert.Equal(400m, rekey.ProjectedSavingPerMonth); // 0.5 × ($400 + $400)
        Assert.Equal(4800m, rekey.ProjectedSavingPerYear);

        var ticket = cost.Steps[1];
        Assert.Equal(10m, ticket.ManualHoursPerMonth);
        Assert.Equal(0m, ticket.RemainingHoursPerMonth);   // automated_by ⇒ share 1
        Assert.Equal(2400m, ticket.ProjectedSavingPerYear); // 10 h × $20 × 12
    }

    [Fact]
    public void Process_totals_are_the_sums_of_its_steps()
    {
        var cost = ProcessAuditCost.Compute(Map, new ProcessCostSettings(20m));
        Assert.Equal(30m, cost.ManualHoursPerMonth);
        Assert.Equal(360m, cost.ManualHoursPerYear);
        Assert.Equal(7200m, cost.LabourCostPerYear);  // 360 h × $20
        Assert.Equal(4800m, cost.ErrorCostPerYear);
        Assert.Equal(12000m, cost.TotalCostPerYear);
        Assert.Equal(7200m, cost.ProjectedSavingPerYear); // 4,800 + 2,400
        Assert.Equal(120m, cost.RemainingHoursPerMonth * 12m); // 10 h a month left
        Assert.Equal(360m / 2080m, cost.FullTimeEquivalents);
    }

    [Fact]
    public void At_the_default_rate_an_hour_costs_13_70()
    {
        var cost = ProcessAuditCost.Compute(Map, ProcessCostSettings.Default);
        Assert.Equal(274m, cost.Steps[0].LabourCostPerMonth); // 20 h × $13.70
    }

    [Fact]
    public void The_acme_onboarding_sample_costs_920_manual_hours_a_year()
    {
        var loaded = ProcessAuditYaml.LoadFile(Path.Combine(TestWorkspace.AcmeSample, "processes", "onboarding.yaml"));
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors));
        var cost = ProcessAuditCost.Compute(loaded.Map!, ProcessCostSettings.Default);
        // (10 + 25 + 15 + 30 + 20 + 15) min × 40 hires = 4,600 min a month = 76⅔ h; × 12 = 920 h.
        Assert.Equal(920m, Math.Round(cost.ManualHoursPerYear, 6));
        Assert.Equal(12604m, Math.Round(cost.LabourCostPerYear, 2)); // 920 h × $13.70
        // Errors a year: 12 × 40 × (0.01×40 + 0.05×180 + 0.08×250 + 0.04×120 + 0.03×300 + 0.1×60) = 12 × 40 × 49.2.
        Assert.Equal(23616m, cost.ErrorCostPerYear);
    }

    [Fact]
    public void A_negative_rate_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessAuditCost.Compute(Map, new ProcessCostSettings(-1m)));
    }
}
