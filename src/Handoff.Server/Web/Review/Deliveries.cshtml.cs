using Handoff.Data.Sources;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Review;

/// <summary>Review → Deliveries: the recent deliveries of each source (files, webhook bodies, SCIM
/// requests, retries) with their status, and every delivery the guard holds until someone decides.
/// Everyone signed in may read; who may run a sync may decide.</summary>
[Authorize(Policy = Capabilities.SystemsRead)]
public sealed class DeliveriesModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? System { get; set; }
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    public IReadOnlyList<IGrouping<string, DeliveryRow>> BySystem { get; private set; } = [];
    public IReadOnlyList<DeliveryRow> Held { get; private set; } = [];
    public bool CanDecide { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var system = string.IsNullOrWhiteSpace(System) ? null : System;
        var status = string.IsNullOrWhiteSpace(Status) ? null : Status;
        var rows = await DeliveryActions.RecentAsync(runtime, system, status, system is null ? 15 : 100, ct);
        BySystem = [.. rows.GroupBy(d => d.System)];
        Held = [.. rows.Where(d => d.Status == "held").OrderBy(d => d.Id)];
        CanDecide = User.HasCapability(Capabilities.SystemsSync);
    }
}
