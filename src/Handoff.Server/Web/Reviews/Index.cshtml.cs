using Handoff.Core.Governance;
using Handoff.Data.Governance;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Reviews;

/// <summary>The archive of monthly reviews: every month and version, with the generate form for the
/// roles that prepare the review meeting.</summary>
[Authorize(Policy = Capabilities.MonthlyReviewRead)]
public sealed class ReviewsIndexModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<MonthlyReviewVersion> Versions { get; private set; } = [];
    public bool CanGenerate { get; private set; }
    public string Schedule { get; private set; } = "";
    /// <summary>The month the form suggests: the last complete one.</summary>
    public string DefaultMonth { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken ct)
    {
        Versions = await runtime.Reviews.ListAsync(ct);
        CanGenerate = User.HasCapability(Capabilities.MonthlyReviewGenerate);
        Schedule = await runtime.Reviews.ScheduleAsync(ct);
        DefaultMonth = ReviewMonth.From(runtime.Clock.GetUtcNow()).Previous.ToString();
    }

    /// <summary>The review stylesheet, served so the in-app page needs no inline style under the CSP.</summary>
    public ContentResult OnGetCss() => Content(MonthlyReviewHtml.Css, "text/css");
}
