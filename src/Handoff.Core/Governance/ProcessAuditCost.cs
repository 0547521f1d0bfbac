namespace Handoff.Core.Governance;

/// <summary>
/// The rate the cost model prices an hour of manual work at.
/// </summary>
/// <remarks>
/// The default comes from the figure of $28,500 a year for a manual data-entry worker, divided
/// by 2,080 paid hours (52 weeks × 40 hours): 28,500 / 2,080 = 13.7019… ≈ $13.70 an hour. 2,080 is
/// chosen over ~1,880 productive hours (2,080 less holidays and leave, ≈ $15.16) because the salary
/// pays for 2,080 hours and the lower rate keeps the projected savings conservative: a sponsor can
/// raise the rate (loaded cost, benefits, another country) but should never have to discount it.
/// </remarks>
public sealed record ProcessCostSettings(decimal HourlyRate)
{
    public const decimal AnnualSalary = 28_500m;
    public const decimal PaidHoursPerYear = 52m * 40m;

    /// <summary>$13.70: 28,500 / 2,080 rounded to the cent.</summary>
    public static decimal DefaultHourlyRate { get; } = Math.Round(AnnualSalary / PaidHoursPerYear, 2, MidpointRounding.AwayFromZero);

    public static ProcessCostSettings Default { get; } = new(DefaultHourlyRate);
}

/// <summary>What one step costs today and what automating it is projected to save (per month and year).</summary>
public sealed record StepCost(
    ProcessStep Step,
    decimal ManualHoursPerMonth,
    decimal LabourCostPerMonth,
    decimal ErrorsPerMonth,
    decimal ErrorCostPerMonth,
    decimal RemainingHoursPerMonth,
    decimal ProjectedSavingPerMonth)
{
    public decimal ManualHoursPerYear => ManualHoursPerMonth * 12m;
    public decimal LabourCostPerYear => LabourCostPerMonth * 12m;
    public decimal ErrorCostPerYear => ErrorCostPerMonth * 12m;
    public decimal TotalCostPerMonth => LabourCostPerMonth + ErrorCostPerMonth;
    public decimal TotalCostPerYear => TotalCostPerMonth * 12m;
    public decimal RemainingHoursPerYear => RemainingHoursPerMonth * 12m;
    public decimal ProjectedSavingPerYear => ProjectedSavingPerMonth * 12m;
}

/// <summary>A process's cost: its steps' figures and their sums.</summary>
public sealed record ProcessCost(ProcessMap Map, ProcessCostSettings Settings, IReadOnlyList<StepCost> Steps)
{
    public decimal ManualHoursPerMonth => Steps.Sum(s => s.ManualHoursPerMonth);
    public decimal ManualHoursPerYear => ManualHoursPerMonth * 12m;
    public decimal LabourCostPerYear => Steps.Sum(s => s.LabourCostPerYear);
    public decimal ErrorCostPerYear => Steps.Sum(s => s.ErrorCostPerYear);
    public decimal TotalCostPerYear => LabourCostPerYear + ErrorCostPerYear;
    public decimal RemainingHoursPerMonth => Steps.Sum(s => s.RemainingHoursPerMonth);
    public decimal ProjectedSavingPerYear => Steps.Sum(s => s.ProjectedSavingPerYear);

    /// <summary>Full-time data-entry workers the manual hours amount to (hours ÷ 2,080).</summary>
    public decimal FullTimeEquivalents => ManualHoursPerYear / ProcessCostSettings.PaidHoursPerYear;
}

/// <summary>
/// The cost model, pure arithmetic on a process map:
/// hours = minutes × monthly volume ÷ 60; labour = hours × rate; error cost = volume × error rate ×
/// downstream cost per error; a year is twelve months. Automating a share of a step is assumed to
/// remove that share of both its hours and its errors (a workflow does not mistype a date), so the
/// projected saving is share × (labour + error cost).
/// </summary>
public static class ProcessAuditCost
{
    public static ProcessCost Compute(ProcessMap map, ProcessCostSettings settings)
    {
        if (settings.HourlyRate < 0)
            throw new ArgumentOutOfRangeException(nameof(settings), "the hourly rate cannot be negative");
        return new ProcessCost(map, settings, map.Steps.Select(s => Compute(s, settings.HourlyRate)).ToList());
    }

    public static StepCost Compute(ProcessStep step, decimal hourlyRate)
    {
        var hours = step.MinutesPerExecution * step.MonthlyVolume / 60m;
        var labour = hours * hourlyRate;
        var errors = step.MonthlyVolume * step.ErrorRate;
        var errorCost = errors * step.DownstreamCostPerError;
        var share = step.EffectiveAutomationShare;
        return new StepCost(step, hours, labour, errors, errorCost, hours * (1m - share), share * (labour + errorCost));
    }
}
