using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Admin;

[Authorize(Policy = Capabilities.AdminKeys)]
public sealed class KeysModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<KeyStatus> Keys { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Keys = await AdminActions.KeysAsync(runtime, ct);
}
