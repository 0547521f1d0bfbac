using Handoff.Core.Governance;
using Handoff.Data.Governance;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Processes;

/// <summary>The process audit: every current-state process with what it costs a year and what
/// automating it is projected to save, at the workspace's hourly rate.</summary>
[Authorize(Policy = Capabilities.ProcessesRead)]
public sealed class ProcessesIndexModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<(StoredProcessMap Stored, ProcessCost Cost)> Processes { get; private set; } = [];
    public ProcessCostSettings Settings { get; private set; } = ProcessCostSettings.Default;
    public bool CanEdit { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Settings = await runtime.Processes.SettingsAsync(ct);
        Processes = [.. (await runtime.Processes.ListAsync(ct)).Select(p => (p, ProcessAuditCost.Compute(p.Map, Settings)))];
        CanEdit = User.HasCapability(Capabilities.ProcessesEdit);
    }
}
