using Handoff.Data.People;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Review;

/// <summary>POST only: decide a review item (link / new / dismiss / accept).</summary>
[Authorize(Policy = Capabilities.ReviewResolve)]
public sealed class ResolveModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public long Id { get; set; }
    [BindProperty] public string Decision { get; set; } = "";
    [BindProperty] public string? Person { get; set; }
    [BindProperty] public string? System { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var item = await ReviewActions.ResolveAsync(runtime, Id, new ReviewResolution(Decision, Person, System), User.Actor(), ct);
            TempData["Message"] = $"Review item {item.Id} resolved: {item.Resolution}.";
        }
        catch (Exception e) when (e is ReviewException or PersonNotFoundException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect("/Review");
    }
}
