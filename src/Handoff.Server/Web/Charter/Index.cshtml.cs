using Handoff.Core.Workspace;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Charter;

/// <summary>The workspace charter: owners, members, sponsors, leads, who changes and approves what,
/// the agreed success metrics, the escalation path and the feedback routing with SLAs.</summary>
[Authorize(Policy = Capabilities.ChangeRead)]
public sealed class CharterIndexModel(HandoffRuntime runtime) : PageModel
{
    public Handoff.Core.Workspace.Charter Charter { get; private set; } = Handoff.Core.Workspace.Charter.Empty;
    public string? Problem { get; private set; }

    public string Name(string id) => Charter.FindMember(id) is { } m ? $"{m.Name} ({m.Id})" : id;

    public static string Sides(IReadOnlyList<SystemOwner> sides, string none) =>
        sides.Count == 0 ? none : string.Join(" + ", sides.Select(s => s == SystemOwner.Hr ? "HR" : "IT"));

    public async Task OnGetAsync(CancellationToken ct)
    {
        try
        {
            Charter = (await runtime.Workspace.LoadActiveAsync(ct)).Definition.Charter;
        }
        catch (WorkspaceStateException e)
        {
            Problem = e.Message;
        }
    }
}
