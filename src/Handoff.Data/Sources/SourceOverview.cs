using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Sources;

/// <summary>A connected system with its recent syncs and open quarantine.</summary>
public sealed record SystemStatus(SystemRow System, IReadOnlyList<SyncRow> LastSyncs, int OpenQuarantine);

/// <summary>What needs someone's attention, for the dashboard and <c>GET /api/dashboard</c>.</summary>
public sealed record AttentionCounts(int OpenReview, int OpenQuarantine, int OpenFindings, int PendingChanges, int HeldDeliveries = 0);

/// <summary>Reads syncs, quarantine and systems for the CLI, the pages and the API.</summary>
public sealed class SourceOverview(DatabaseOptions database)
{
    public async Task<IReadOnlyList<SyncRow>> RecentSyncsAsync(int count, CancellationToken ct, string? system = null)
    {
        await using var db = database.CreateContext();
        return await db.Syncs.AsNoTracking().Where(s => system == null || s.System == system).OrderByDescending(s => s.Id).Take(count).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<QuarantineRow>> QuarantineAsync(string? system, bool includeClosed, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.Quarantine.AsNoTracking()
            .Where(q => (includeClosed || q.Status == "open") && (system == null || q.System == system))
            .OrderBy(q => q.Id).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<SystemStatus>> SystemsAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var systems = await db.Systems.AsNoTracking().OrderBy(s => s.Position).ToListAsync(ct);
        var quarantine = await db.Quarantine.AsNoTracking().Where(q => q.Status == "open").GroupBy(q => q.System)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var result = new List<SystemStatus>();
        foreach (var s in systems)
        {
            var syncs = await db.Syncs.AsNoTracking().Where(x => x.System == s.Id).OrderByDescending(x => x.Id).Take(5).ToListAsync(ct);
            result.Add(new SystemStatus(s, syncs, quarantine.GetValueOrDefault(s.Id)));
        }
        return result;
    }

    public async Task<AttentionCounts> AttentionAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return new AttentionCounts(
            await db.ReviewItems.CountAsync(r => r.Status == "open", ct),
            await db.Quarantine.CountAsync(q => q.Status == "open", ct),
            await db.Findings.CountAsync(f => f.Status == "open", ct),
            await db.PendingChanges.CountAsync(p => p.AppliedAt == null, ct),
            await db.Deliveries.CountAsync(d => d.Status == "held", ct));
    }
}
