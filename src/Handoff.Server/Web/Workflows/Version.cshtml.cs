using Handoff.Core.Workflows;
using Handoff.Data.Workflows;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Workflows;

/// <summary>One version (<c>WORKFLOW@vN</c>): YAML, status, approvals, what it widens, the diff from the
/// version before, and the actions the user may take on it.</summary>
[Authorize(Policy = Capabilities.WorkflowsRead)]
public sealed class VersionModel(HandoffRuntime runtime) : PageModel
{
    public WorkflowVersionRow Version { get; private set; } = null!;
    public WorkflowDefinition? Definition { get; private set; }
    public IReadOnlyList<string> Widens { get; private set; } = [];
    public string? Diff { get; private set; }
    public string? PreviousLabel { get; private set; }
    public IReadOnlyList<RunRow> Runs { get; private set; } = [];
    public bool CanApprove { get; private set; }
    public bool CanActivate { get; private set; }
    public bool CanPropose { get; private set; }
    public bool CanStart { get; private set; }

    public async Task<IActionResult> OnGetAsync(string reference, CancellationToken ct)
    {
        try
        {
            Version = await runtime.Workflows.GetAsync(reference, ct);
        }
        catch (WorkflowStateException)
        {
            return NotFound();
        }
        try
        {
            Definition = runtime.Workflows.Parse(Version);
        }
        catch (WorkflowStateException)
        {
        }
        Widens = WorkflowActions.Widens(Version);
        var versions = (await runtime.Workflows.ListAsync(ct)).Where(v => v.WorkflowId == Version.WorkflowId).ToList();
        // Compared with the version in effect (what it would replace), else the one before it.
        var previous = versions.FirstOrDefault(v => v.Status == WorkflowVersionStatus.Active && v.Id != Version.Id)
            ?? versions.LastOrDefault(v => v.Version < Version.Version);
        if (previous is not null)
        {
            PreviousLabel = WorkflowStore.Label(previous);
            Diff = await runtime.Workflows.DiffAsync(PreviousLabel, WorkflowStore.Label(Version), ct);
        }
        Runs = await runtime.Engine.ListRunsAsync(new RunQuery(WorkflowId: Version.WorkflowId, Limit: 20), ct);
        CanApprove = User.HasCapability(Capabilities.WorkflowsApprove);
        CanActivate = User.HasCapability(Capabilities.WorkflowsActivate);
        CanPropose = User.HasCapability(Capabilities.WorkflowsPropose);
        CanStart = User.HasCapability(Capabilities.RunsStart);
        return Page();
    }
}
