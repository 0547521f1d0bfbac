using Handoff.Data.People;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.People;

/// <summary>POST only: "report a problem" on a value files a review item for that field.</summary>
[Authorize(Policy = Capabilities.PeopleReport)]
public sealed class ReportModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public Guid PersonId { get; set; }
    [BindProperty] public string Field { get; set; } = "";
    [BindProperty] public string Note { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var item = await runtime.Review.ReportAsync(PersonId, Field, Note, User.Actor(), ct);
            TempData["Message"] = $"Problem with {Field} filed as review item #{item.Id}.";
        }
        catch (ReviewException e)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/People/Person/{PersonId}");
    }
}
