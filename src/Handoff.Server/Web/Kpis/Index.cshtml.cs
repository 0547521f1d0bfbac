using Handoff.Data.Governance;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Kpis;

/// <summary>The KPIs of issue #7: each with baseline, target, the frozen 30/60/90-day actuals, the
/// last 30 days, status and a six-month trend. Read-only: figures are computed, observations are
/// entered with <c>handoff kpi observe</c>, so the page has nothing to forge.</summary>
[Authorize(Policy = Capabilities.KpisRead)]
public sealed class KpisIndexModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<KpiOverview> Kpis { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Kpis = await runtime.Kpis.OverviewAsync(ct);
}
