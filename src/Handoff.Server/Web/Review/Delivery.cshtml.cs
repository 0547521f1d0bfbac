using Handoff.Data.Sources;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Review;

/// <summary>One delivery: what it is, and for a held one what it would do if accepted (columns,
/// counts, per-field counts, examples) and why it is held, with Accept and Reject.</summary>
[Authorize(Policy = Capabilities.SystemsRead)]
public sealed class DeliveryModel(HandoffRuntime runtime) : PageModel
{
    public DeliveryRow Delivery { get; private set; } = null!;
    public DeliveryInspection? Report { get; private set; }
    public bool CanDecide { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var delivery = await runtime.Deliveries.FindAsync(id, ct);
        if (delivery is null)
            return NotFound();
        Delivery = delivery;
        Report = DeliveryActions.Inspection(delivery);
        CanDecide = User.HasCapability(Capabilities.SystemsSync) && delivery.Status == "held";
        return Page();
    }

    /// <summary>"12 of 40 (30 %)".</summary>
    public static string Share(int count, int of) =>
        of <= 0 ? count.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{count} of {of} ({100.0 * count / of:0.#} %)");
}
