using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Handoff.Server.Health;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Runs;

/// <summary>POST only: run a failed / canceled / completed-with-errors run again from the failed step or a chosen one.</summary>
[Authorize(Policy = Capabilities.RunsOperate)]
public sealed class RetryModel(HandoffRuntime runtime, WorkflowSignal signal) : PageModel
{
    [BindProperty] public Guid Run { get; set; }
    [BindProperty] public string? Step { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            await runtime.Engine.RetryAsync(Run, string.IsNullOrWhiteSpace(Step) ? null : Step, User.Actor(), ct);
            signal.Wake();
            TempData["Message"] = "Run queued again" + (string.IsNullOrWhiteSpace(Step) ? "." : $" from step {Step}.");
        }
        catch (WorkflowStateException e)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Runs/Run/{Run}");
    }
}

/// <summary>POST only: cancel a run that has not finished.</summary>
[Authorize(Policy = Capabilities.RunsOperate)]
public sealed class CancelModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public Guid Run { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            await runtime.Engine.CancelAsync(Run, User.Actor(), ct);
            TempData["Message"] = "Run canceled.";
        }
        catch (WorkflowStateException e)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Runs/Run/{Run}");
    }
}

/// <summary>POST only: approve or reject a human task as the signed-in charter member (the engine checks the role).</summary>
[Authorize(Policy = Capabilities.ApprovalsDecide)]
public sealed class DecideModel(HandoffRuntime runtime, WorkflowSignal signal) : PageModel
{
    [BindProperty] public long Task { get; set; }
    [BindProperty] public bool Approve { get; set; }
    [BindProperty] public string? Comment { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var task = await runtime.Engine.DecideAsync(Task, Approve, User.Actor(), string.IsNullOrWhiteSpace(Comment) ? null : Comment, ct);
            signal.Wake();
            TempData["Message"] = $"Approval #{task.Id} {task.Status} by {task.DecidedBy}; the run resumes.";
        }
        catch (Exception e) when (e is ApprovalRefusedException or WorkflowStateException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect("/Runs/Approvals");
    }
}

/// <summary>POST only: release (execute) or discard a write held by a threshold; charter approvers only.</summary>
[Authorize(Policy = Capabilities.StagedDecide)]
public sealed class ReleaseModel(HandoffRuntime runtime, WorkflowSignal signal) : PageModel
{
    [BindProperty] public long Held { get; set; }
    [BindProperty] public bool Release { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            await runtime.Engine.DecideStagedAsync(Held, null, Release, User.Actor(), ct);
            signal.Wake();
            TempData["Message"] = $"Held write #{Held} {(Release ? "released" : "discarded")}.";
        }
        catch (Exception e) when (e is ApprovalRefusedException or WorkflowStateException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect("/Runs/Approvals#held-writes");
    }
}
