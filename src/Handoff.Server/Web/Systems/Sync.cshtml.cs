using Handoff.Data.Workspace;
using Handoff.Server.Sources;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>POST only: read a CSV system's drop folder now.</summary>
[Authorize(Policy = Capabilities.SystemsSync)]
public sealed class SyncModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string System { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var r = await SourceRuns.SyncAsync(runtime, System, null, ct);
            TempData["Message"] = $"{r.System}: read {r.Read}, created {r.Created}, updated {r.Updated}, unchanged {r.Unchanged}, rejected {r.Rejected}, held for review {r.Held}, future-dated {r.Scheduled} (sync #{r.SyncId}).";
        }
        catch (Exception e) when (e is WorkspaceStateException or Core.Sources.SourceFormatException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Systems#{System}");
    }
}
