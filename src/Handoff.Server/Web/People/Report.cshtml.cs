using Handoff.Data.Governance;
using Handoff.Data.People;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.People;

/// <summary>POST only: "report a problem" on a value files a review item for that field (the value is
/// corrected through the review queue) and a feedback report that routes it with its SLA clock.</summary>
[Authorize(Policy = Capabilities.PeopleReport)]
public sealed class ReportModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public Guid PersonId { get; set; }
    [BindProperty] public string Field { get; set; } = "";
    [BindProperty] public string Note { get; set; } = "";
    [BindProperty] public string? Category { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var item = await runtime.Review.ReportAsync(PersonId, Field, Note, User.Actor(), ct);
            var rules = (await runtime.Workspace.LoadActiveAsync(ct)).Definition.Charter.Feedback;
            var category = Category ?? rules.Find("wrong_value")?.Id;
            var (report, _) = await runtime.Feedback.FileAsync(new FeedbackDraft(category, Note, "web", PersonId, Field: Field, ReviewItemId: item.Id), User.Actor(), ct);
            TempData["Message"] = $"Problem with {Field} filed as review item #{item.Id} and feedback #{report.Id} (routed to {Feedback.FeedbackSides.Label(report.Route)}).";
        }
        catch (Exception e) when (e is ReviewException or FeedbackException or Data.Workspace.WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/People/Person/{PersonId}");
    }
}
