using Handoff.Data.Sources;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

[Authorize(Policy = Capabilities.SystemsRead)]
public sealed class SystemsIndexModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<SystemStatus> Systems { get; private set; } = [];
    public bool CanSync { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Systems = await new SourceOverview(runtime.Database).SystemsAsync(ct);
        CanSync = User.HasCapability(Capabilities.SystemsSync);
    }
}
