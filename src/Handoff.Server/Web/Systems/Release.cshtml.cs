using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>POST only: an owner lifts a system's quarantine (audited as them); waiting runs resume.</summary>
[Authorize(Policy = Capabilities.SystemsSync)]
public sealed class ReleaseModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string System { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var runs = await Cli.DriftServices.For(runtime).Quarantine.ReleaseAsync(System, User.Actor(), ct);
            TempData["Message"] = $"{System} released; {runs} waiting run(s) resume now";
        }
        catch (InvalidOperationException e)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect("/Systems");
    }
}
