using Handoff.Core.Dictionary;
using Handoff.Data.People;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Admin;

[Authorize(Policy = Capabilities.RetentionRead)]
public sealed class RetentionModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty(SupportsGet = true)] public DateOnly? AsOf { get; set; }
    [BindProperty(SupportsGet = true)] public bool DryRun { get; set; }
    public IReadOnlyList<RetentionPolicy> Policies { get; private set; } = [];
    public IReadOnlyList<PurgeAction>? Due { get; private set; }
    public bool CanRun { get; private set; }
    public string? NotReady { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        try
        {
            Policies = (await runtime.Workspace.LoadActiveAsync(ct)).Definition.Dictionary.Retention;
            if (DryRun)
                Due = await AdminActions.RetentionAsync(runtime, true, AsOf, ct);
        }
        catch (WorkspaceStateException e)
        {
            NotReady = e.Message;
        }
        CanRun = User.HasCapability(Capabilities.RetentionRun);
    }
}
