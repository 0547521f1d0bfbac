using Handoff.Core.Workflows;
using Handoff.Data.Workflows;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Workflows;

/// <summary>One workflow in the catalogue: its versions, the active one, and the latest.</summary>
public sealed record WorkflowEntry(string Id, string Name, WorkflowVersionRow? Active, WorkflowVersionRow Latest, WorkflowTrigger? Trigger, int Steps,
    IReadOnlyList<WorkflowVersionRow> Versions);

/// <summary>The catalogue: each workflow with its active version, status and trigger; the shipped templates.</summary>
[Authorize(Policy = Capabilities.WorkflowsRead)]
public sealed class WorkflowsIndexModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<WorkflowEntry> Workflows { get; private set; } = [];
    public bool CanPropose { get; private set; }
    public bool CanStart { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var versions = await runtime.Workflows.ListAsync(ct);
        Workflows = versions.GroupBy(v => v.WorkflowId).Select(g =>
        {
            var active = g.FirstOrDefault(v => v.Status == WorkflowVersionStatus.Active);
            var latest = g.MaxBy(v => v.Version)!;
            WorkflowDefinition? definition = null;
            try
            {
                definition = runtime.Workflows.Parse(active ?? latest);
            }
            catch (WorkflowStateException)
            {
            }
            return new WorkflowEntry(g.Key, (active ?? latest).Name, active, latest, definition?.Trigger, definition?.Steps.Count ?? 0, g.OrderByDescending(v => v.Version).ToList());
        }).OrderBy(w => w.Id, StringComparer.Ordinal).ToList();
        CanPropose = User.HasCapability(Capabilities.WorkflowsPropose);
        CanStart = User.HasCapability(Capabilities.RunsStart);
    }
}
