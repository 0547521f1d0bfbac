using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Review;

/// <summary>POST only: accept or reject a held delivery, as the signed-in user (who may run a sync
/// may decide).</summary>
[Authorize(Policy = Capabilities.SystemsSync)]
public sealed class DecideDeliveryModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public long Id { get; set; }
    [BindProperty] public string Decision { get; set; } = "";
    [BindProperty] public string? Reason { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var actor = DeliveryActions.DecidingActor(User);
            var decided = Decision switch
            {
                "accept" => await DeliveryActions.AcceptAsync(runtime, Id, actor, ct),
                "reject" => await DeliveryActions.RejectAsync(runtime, Id, Reason, actor, ct),
                _ => throw new Data.Sources.DeliveryDecisionException("decide accept or reject"),
            };
            TempData["Message"] = decided.Message + (decided.Sync is { } s
                ? $": {s.Read} read, {s.Created} created, {s.Updated} updated, {s.Unchanged} unchanged, {s.Rejected} rejected into quarantine" : "") + ".";
        }
        catch (Exception e) when (DeliveryActions.IsRefusal(e))
        {
            TempData["Error"] = e.Message;
        }
        return Redirect(await runtime.Deliveries.FindAsync(Id, ct) is null ? "/Review/Deliveries" : $"/Review/Delivery/{Id}");
    }
}
