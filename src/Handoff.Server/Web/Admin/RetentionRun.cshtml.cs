using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Admin;

/// <summary>POST only: apply the retention policies now (one audit entry per person).</summary>
[Authorize(Policy = Capabilities.RetentionRun)]
public sealed class RetentionRunModel(HandoffRuntime runtime) : PageModel
{
    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var done = await AdminActions.RetentionAsync(runtime, false, null, ct);
        TempData["Message"] = $"Retention: {done.Count} person(s) purged or pseudonymized; one audit entry each.";
        return Redirect("/Admin/Retention");
    }
}
