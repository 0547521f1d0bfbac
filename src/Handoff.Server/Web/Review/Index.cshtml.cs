using Handoff.Data.People;
using Handoff.Data.Sources;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Review;

[Authorize(Policy = Capabilities.ReviewRead)]
public sealed class ReviewIndexModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty(SupportsGet = true)] public bool All { get; set; }
    [BindProperty(SupportsGet = true)] public string? System { get; set; }
    public IReadOnlyList<ReviewItemRow> Items { get; private set; } = [];
    public IReadOnlyList<QuarantineRow> Quarantine { get; private set; } = [];
    public bool CanResolve { get; private set; }
    public bool CanRetry { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Items = await runtime.Review.ListAsync(All, ct);
        Quarantine = await new SourceOverview(runtime.Database).QuarantineAsync(System, All, ct);
        CanResolve = User.HasCapability(Capabilities.ReviewResolve);
        CanRetry = User.HasCapability(Capabilities.QuarantineRetry);
    }
}
