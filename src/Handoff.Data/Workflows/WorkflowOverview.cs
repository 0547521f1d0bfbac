using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Workflows;

/// <summary>Runs per status since a time (the dashboard's "runs today").</summary>
public sealed record RunCounts(IReadOnlyDictionary<string, int> ByStatus)
{
    public int Of(string status) => ByStatus.GetValueOrDefault(status);
}

/// <summary>
/// Read-only summaries of the engine's tables for the web pages: run counts for the dashboard, what
/// waits for a person (open approvals, held writes), and a person's linked accounts. The engine's own
/// reads (<see cref="WorkflowEngine.ListRunsAsync"/>, <see cref="WorkflowEngine.GetRunAsync"/>) stay where they are.
/// </summary>
public sealed class WorkflowOverview(DatabaseOptions database)
{
    public async Task<RunCounts> RunCountsSinceAsync(DateTimeOffset since, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var rows = await db.Runs.AsNoTracking().Where(r => r.CreatedAt >= since)
            .GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return new RunCounts(rows.ToDictionary(r => r.Key, r => r.Count));
    }

    /// <summary>Open approvals and writes held by a threshold: what needs a human.</summary>
    public async Task<(int OpenApprovals, int HeldWrites)> NeedsActionAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return (await db.HumanTasks.CountAsync(t => t.Status == "open", ct), await db.StagedWrites.CountAsync(s => s.Status == "held", ct));
    }

    /// <summary>The person's accounts in target systems (the link rows the engine keeps).</summary>
    public async Task<IReadOnlyList<AccountLinkRow>> AccountLinksAsync(Guid personId, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.AccountLinks.AsNoTracking().Where(l => l.PersonId == personId).OrderBy(l => l.System).ToListAsync(ct);
    }

    /// <summary>Display names of the given people (for run lists), by id.</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> PersonNamesAsync(IEnumerable<Guid> ids, CancellationToken ct)
    {
        var wanted = ids.Distinct().ToList();
        await using var db = database.CreateContext();
        return await db.People.AsNoTracking().Where(p => wanted.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.DisplayName, ct);
    }
}
