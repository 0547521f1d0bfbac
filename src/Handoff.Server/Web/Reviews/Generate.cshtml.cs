using Handoff.Core.Governance;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Reviews;

/// <summary>POST only: generates a new version of a month's review as the signed-in user (audited).</summary>
[Authorize(Policy = Capabilities.MonthlyReviewGenerate)]
public sealed class GenerateModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string Month { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!ReviewMonth.TryParse(Month, out var month))
        {
            TempData["Error"] = $"Month: expected a month like 2026-11, found \"{Month}\"";
            return Redirect("/Reviews");
        }
        try
        {
            var row = await runtime.Reviews.GenerateAsync(month, "user:" + User.Actor(), ct);
            TempData["Message"] = $"review {row.Month} version {row.Version} generated";
            return Redirect($"/Reviews/{row.Month}?version={row.Version}");
        }
        catch (Exception e) when (e is ArgumentException or MonthlyReviewFontException)
        {
            TempData["Error"] = e.Message;
            return Redirect("/Reviews");
        }
    }
}
