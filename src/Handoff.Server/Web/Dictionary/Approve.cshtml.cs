using Handoff.Data.Workspace;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Dictionary;

/// <summary>POST only: sign a proposed version as the signed-in charter member.</summary>
[Authorize(Policy = Capabilities.DictionaryApprove)]
public sealed class ApproveModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public int Version { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var report = await DictionaryActions.ApproveAsync(runtime, User, Version, ct);
            TempData["Message"] = report.Status == "active"
                ? $"v{report.Version} is now in effect (signed by {string.Join(", ", report.SignedBy)})."
                : $"v{report.Version} signed; it still needs {report.StillNeeded}.";
        }
        catch (Exception e) when (e is ApprovalRefusedException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Dictionary/Version/{Version}");
    }
}
