using Handoff.Data.Workflows;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Runs;

/// <summary>The approvals inbox (human tasks) and the writes a threshold holds, with their decisions.</summary>
[Authorize(Policy = Capabilities.RunsRead)]
public sealed class ApprovalsModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<HumanTaskRow> Open { get; private set; } = [];
    public IReadOnlyList<HumanTaskRow> Decided { get; private set; } = [];
    public IReadOnlyList<StagedWriteRow> Held { get; private set; } = [];
    public IReadOnlyList<StagedWriteRow> HeldDecided { get; private set; } = [];
    public IReadOnlyDictionary<Guid, string> Names { get; private set; } = new Dictionary<Guid, string>();
    public bool CanDecide { get; private set; }
    public bool CanRelease { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var tasks = await runtime.Engine.ListTasksAsync(false, ct);
        Open = tasks.Where(t => t.Status == "open").ToList();
        Decided = tasks.Where(t => t.Status != "open").OrderByDescending(t => t.DecidedAt).Take(20).ToList();
        var staged = await runtime.Engine.ListStagedAsync(false, ct);
        Held = staged.Where(s => s.Status == "held").ToList();
        HeldDecided = staged.Where(s => s.Status != "held").OrderByDescending(s => s.DecidedAt).Take(20).ToList();
        Names = await new WorkflowOverview(runtime.Database).PersonNamesAsync(tasks.Select(t => t.PersonId).Concat(staged.Select(s => s.PersonId)), ct);
        CanDecide = User.HasCapability(Capabilities.ApprovalsDecide);
        CanRelease = User.HasCapability(Capabilities.StagedDecide);
    }
}
