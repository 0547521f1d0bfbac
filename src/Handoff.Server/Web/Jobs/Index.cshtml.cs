using Handoff.Data.Jobs;
using Handoff.Server.Jobs;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Jobs;

/// <summary>The recent background jobs of the kinds the user may start (and so see).</summary>
public sealed class JobsIndexModel(BackgroundJobQueue jobs) : PageModel
{
    public IReadOnlyList<BackgroundJobRow> Jobs { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Jobs = await jobs.Store.RecentAsync(JobAccess.KindsFor(User), 50, ct);
}
