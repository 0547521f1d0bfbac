using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Systems;

/// <summary>A target system's writes over a period: steps of runs that wrote to it, by outcome.</summary>
/// <param name="Succeeded">steps that completed against the system</param>
/// <param name="Failed">steps that failed, were blocked (permission) or will be retried (transient) against it</param>
public sealed record TargetWrites(int Succeeded, int Failed)
{
    /// <summary>Failed share of the steps that reached an outcome, or null when there were none.</summary>
    public double? ErrorRate => Succeeded + Failed == 0 ? null : (double)Failed / (Succeeded + Failed);
}

/// <summary>One system's line of the integration-health chart.</summary>
/// <param name="SyncErrors">failed syncs plus rows rejected into quarantine by its syncs</param>
public sealed record IntegrationHealth(string System, int SucceededWrites, int FailedWrites, int SyncErrors);

/// <summary>
/// How each connected system is doing, from what Handoff already records: run steps against a target
/// (<c>run_steps.system</c>) and syncs of a source. No extra bookkeeping, so the numbers cannot drift
/// from the run and sync pages they summarise.
/// </summary>
public sealed class SystemHealth(DatabaseOptions database)
{
    private static readonly string[] FailedStatuses = ["failed", "blocked", "retry"];

    /// <summary>Per system: target writes since <paramref name="since"/>.</summary>
    public async Task<IReadOnlyDictionary<string, TargetWrites>> WritesSinceAsync(DateTimeOffset since, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var rows = await db.RunSteps.AsNoTracking()
            .Where(s => s.System != null && s.FinishedAt >= since && (s.Status == "completed" || FailedStatuses.Contains(s.Status)))
            .GroupBy(s => new { s.System, s.Status })
            .Select(g => new { g.Key.System, g.Key.Status, Count = g.Count() })
            .ToListAsync(ct);
        return rows.GroupBy(r => r.System!).ToDictionary(g => g.Key,
            g => new TargetWrites(g.Where(r => r.Status == "completed").Sum(r => r.Count), g.Where(r => r.Status != "completed").Sum(r => r.Count)));
    }

    /// <summary>Every system of the workspace (in its order), with writes and sync errors since <paramref name="since"/>.</summary>
    public async Task<IReadOnlyList<IntegrationHealth>> SinceAsync(DateTimeOffset since, CancellationToken ct)
    {
        var writes = await WritesSinceAsync(since, ct);
        await using var db = database.CreateContext();
        var systems = await db.Systems.AsNoTracking().OrderBy(s => s.Position).Select(s => s.Id).ToListAsync(ct);
        var syncs = await db.Syncs.AsNoTracking().Where(s => s.StartedAt >= since)
            .GroupBy(s => s.System)
            .Select(g => new { System = g.Key, Failed = g.Count(s => s.Status == "failed"), Rejected = g.Sum(s => s.Rejected) })
            .ToListAsync(ct);
        var errors = syncs.ToDictionary(s => s.System, s => s.Failed + s.Rejected);
        return systems.Select(id => new IntegrationHealth(id,
            writes.GetValueOrDefault(id)?.Succeeded ?? 0, writes.GetValueOrDefault(id)?.Failed ?? 0, errors.GetValueOrDefault(id))).ToList();
    }
}
