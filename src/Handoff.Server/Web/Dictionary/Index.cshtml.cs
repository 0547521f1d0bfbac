using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Dictionary;

[Authorize(Policy = Capabilities.DictionaryRead)]
public sealed class DictionaryIndexModel(HandoffRuntime runtime) : PageModel
{
    public ActiveWorkspace? Active { get; private set; }
    public string? NotReady { get; private set; }
    public IReadOnlyList<DictionaryVersionRow> Versions { get; private set; } = [];
    public bool CanPropose { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Versions = await runtime.Workspace.VersionsAsync(ct);
        try
        {
            Active = await runtime.Workspace.LoadActiveAsync(ct);
        }
        catch (WorkspaceStateException e)
        {
            NotReady = e.Message;
        }
        CanPropose = User.HasCapability(Capabilities.DictionaryPropose);
    }
}
