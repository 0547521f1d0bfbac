using Handoff.Core.Governance;
using Handoff.Core.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Systems;

/// <summary>
/// Runs the health rules (<see cref="SystemHealthRules"/>) over what is recorded — run steps against
/// targets, syncs of sources — raises the findings, closes those whose condition cleared, and
/// quarantines failing targets. Run by the health worker every few minutes and by <c>handoff drift check</c>.
/// </summary>
public sealed class SystemHealthCheck(DatabaseOptions database, TimeProvider clock, DriftMonitor findings, SystemQuarantine quarantine)
{
    private static readonly string[] ConditionKinds = ["credentials", "sync_age", "error_spike"];

    public async Task<IReadOnlyList<SystemFindingDraft>> RunAsync(WorkspaceDefinition workspace, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var all = new List<SystemFindingDraft>();
        foreach (var system in workspace.Systems)
        {
            var settings = SystemHealthSettings.For(system);
            var isSource = ConnectorCatalog.Find(system.Connector)?.IsSource ?? false;
            var drafts = new List<SystemFindingDraft?> { SystemHealthRules.CredentialsExpiry(system.Id, settings.CredentialsExpire, today) };
            await using (var db = database.CreateContext())
            {
                if (isSource)
                {
                    var last = await db.Syncs.AsNoTracking().Where(s => s.System == system.Id && s.Status == "completed")
                        .MaxAsync(s => (DateTimeOffset?)s.StartedAt, ct);
                    drafts.Add(SystemHealthRules.SyncAge(system.Id, last, now, settings.MaxSyncAge));
                    var week = await CountRowsAsync(db, system.Id, now.AddDays(-7), ct);
                    var hour = await CountRowsAsync(db, system.Id, now.AddHours(-1), ct);
                    var day = await CountRowsAsync(db, system.Id, now.AddDays(-1), ct);
                    drafts.Add(SystemHealthRules.ErrorSpike(system.Id, "quarantined rows", "hour", hour, week - hour));
                    drafts.Add(SystemHealthRules.ErrorSpike(system.Id, "quarantined rows", "day", day, week - day));
                }
                else
                {
                    var week = await SystemQuarantine.CountWritesAsync(db, system.Id, now.AddDays(-7), ct);
                    var hour = await SystemQuarantine.CountWritesAsync(db, system.Id, now.AddHours(-1), ct);
                    var day = await SystemQuarantine.CountWritesAsync(db, system.Id, now.AddDays(-1), ct);
                    drafts.Add(SystemHealthRules.ErrorSpike(system.Id, "failed writes", "hour", hour, week - hour));
                    drafts.Add(SystemHealthRules.ErrorSpike(system.Id, "failed writes", "day", day, week - day));
                }
            }
            var raised = drafts.OfType<SystemFindingDraft>().ToList();
            foreach (var draft in raised)
                await findings.RaiseAsync(workspace, draft, ct);
            await findings.ResolveClearedAsync(system.Id, ConditionKinds, raised.Select(d => d.Key).ToHashSet(), ct);
            all.AddRange(raised);
        }
        await quarantine.EvaluateAsync(workspace, ct);
        return all;
    }

    /// <summary>Rows read by a source's syncs since <paramref name="since"/>, and how many went to quarantine.</summary>
    private static async Task<FailureCount> CountRowsAsync(HandoffDbContext db, string system, DateTimeOffset since, CancellationToken ct)
    {
        var rows = await db.Syncs.AsNoTracking().Where(s => s.System == system && s.StartedAt >= since)
            .Select(s => new { s.Read, s.Rejected }).ToListAsync(ct);
        return new FailureCount(rows.Sum(r => r.Read), rows.Sum(r => r.Rejected));
    }
}
