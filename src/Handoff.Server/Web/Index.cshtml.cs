using Handoff.Data.People;
using Handoff.Data.Sources;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Web;

/// <summary>The dashboard: people by lifecycle state, what needs action, recent syncs. Any signed-in user.</summary>
public sealed class DashboardModel(HandoffRuntime runtime) : PageModel
{
    private static readonly string[] StateOrder = ["candidate", "pre_hire", "active", "on_leave", "terminated", "purged"];

    public IReadOnlyDictionary<string, int> States { get; private set; } = new Dictionary<string, int>();
    public AttentionCounts Attention { get; private set; } = new(0, 0, 0, 0);
    public IReadOnlyList<SyncRow> Syncs { get; private set; } = [];
    public int ProposedVersions { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var counts = await new PeopleDirectory(runtime.Database).CountByStateAsync(ct);
        States = StateOrder.Where(counts.ContainsKey).Concat(counts.Keys.Except(StateOrder)).ToDictionary(s => s, s => counts[s]);
        var sources = new SourceOverview(runtime.Database);
        Attention = await sources.AttentionAsync(ct);
        Syncs = await sources.RecentSyncsAsync(10, ct);
        await using var db = runtime.Database.CreateContext();
        ProposedVersions = await db.DictionaryVersions.CountAsync(v => v.Status == "proposed", ct);
    }
}
