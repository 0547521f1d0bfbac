using Handoff.Data.People;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Workflows;

/// <summary>POST only: sign a proposed version as the signed-in charter member.</summary>
[Authorize(Policy = Capabilities.WorkflowsApprove)]
public sealed class ApproveModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string Reference { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var report = await WorkflowActions.ApproveAsync(runtime, User, Reference, ct);
            TempData["Message"] = report.StillNeeded is null
                ? $"{Reference} is approved (signed by {string.Join(", ", report.SignedBy)}); it can be activated."
                : $"{Reference} signed; it still needs {report.StillNeeded}.";
        }
        catch (Exception e) when (e is ApprovalRefusedException or WorkflowStateException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Workflows/Version/{Reference}");
    }
}

/// <summary>POST only: activate an approved version (a widening one only as it_admin).</summary>
[Authorize(Policy = Capabilities.WorkflowsActivate)]
public sealed class ActivateModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string Reference { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var v = await WorkflowActions.ActivateAsync(runtime, User, Reference, ct);
            TempData["Message"] = $"{WorkflowStore.Label(v)} is active; the version it replaces is retired, running runs keep their version.";
        }
        catch (Exception e) when (e is ApprovalRefusedException or WorkflowStateException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Workflows/Version/{Reference}");
    }
}

/// <summary>POST only: retire a workflow's active version.</summary>
[Authorize(Policy = Capabilities.WorkflowsActivate)]
public sealed class RetireModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string Workflow { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var v = await WorkflowActions.RetireAsync(runtime, User, Workflow, ct);
            TempData["Message"] = $"{WorkflowStore.Label(v)} retired: it starts no new runs.";
            return Redirect($"/Workflows/Version/{WorkflowStore.Label(v)}");
        }
        catch (Exception e) when (e is ApprovalRefusedException or WorkflowStateException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect("/Workflows");
    }
}

/// <summary>POST only: run an active workflow now for one person or a filter.</summary>
[Authorize(Policy = Capabilities.RunsStart)]
public sealed class StartModel(HandoffRuntime runtime, Health.WorkflowSignal signal) : PageModel
{
    [BindProperty] public string Workflow { get; set; } = "";
    [BindProperty] public string? Person { get; set; }
    [BindProperty] public string? Filter { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var ids = await WorkflowActions.StartAsync(runtime, User, Workflow, Person, Filter, 50, ct);
            signal.Wake();
            TempData["Message"] = $"{ids.Count} run(s) of {Workflow} queued.";
            if (ids.Count == 1)
                return Redirect($"/Runs/Run/{ids[0]}");
            return Redirect($"/Runs?workflow={Uri.EscapeDataString(Workflow)}");
        }
        catch (Exception e) when (e is WorkflowStateException or WorkspaceStateException or PersonNotFoundException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect("/Workflows");
    }
}
