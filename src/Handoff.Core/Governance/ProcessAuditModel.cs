namespace Handoff.Core.Governance;

/// <summary>How data crosses from one system to the next in the current (pre-automation) process.
/// Everything but <see cref="Api"/> is a human carrying data, which is where errors and hours go.</summary>
public enum HandoffMethod { Email, Spreadsheet, ManualReentry, Api, FileDrop }

/// <summary>
/// A current-state process map (DESIGN §2, governance objects): what starts the process, each step a
/// person does today with its cost drivers, and how data moves between systems. It is recorded before
/// anything is automated, so the savings claimed later have a measured baseline.
/// </summary>
public sealed record ProcessMap(
    string Id,
    string Name,
    string Trigger,
    string? Description,
    IReadOnlyList<ProcessStep> Steps,
    IReadOnlyList<ProcessHandoff> Handoffs)
{
    public ProcessStep? FindStep(string id) => Steps.FirstOrDefault(s => s.Id == id);
}

/// <summary>One step of a process as done today.</summary>
/// <param name="MinutesPerExecution">Hands-on minutes a person spends each time the step is done.</param>
/// <param name="MonthlyVolume">How many times a month the step is done (e.g. hires per month).</param>
/// <param name="ErrorRate">Share of executions with an error (0..1), e.g. a mistyped start date.</param>
/// <param name="DownstreamCostPerError">What one error costs later (rework, a late laptop, a payroll correction), in the rate's currency.</param>
/// <param name="AutomatedBy">The workflow that does this step now (the step then counts as fully automated).</param>
/// <param name="AutomationShare">The planned share of the step automation takes over (0..1); 1 when <paramref name="AutomatedBy"/> is set.</param>
public sealed record ProcessStep(
    string Id,
    string Name,
    string OwnerRole,
    string System,
    decimal MinutesPerExecution,
    decimal MonthlyVolume,
    decimal ErrorRate,
    decimal DownstreamCostPerError,
    string? AutomatedBy = null,
    decimal AutomationShare = 0m)
{
    /// <summary>The share the cost model counts as automated: a step done by a workflow is all automated.</summary>
    public decimal EffectiveAutomationShare => AutomatedBy is not null ? 1m : AutomationShare;
}

/// <summary>Data moving between two systems; <paramref name="Step"/> names the step that carries it, when known.</summary>
public sealed record ProcessHandoff(string From, string To, HandoffMethod Method, string? Data = null, string? Step = null);
