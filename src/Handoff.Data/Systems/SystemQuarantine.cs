using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Governance;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Systems;

/// <summary>
/// Quarantine of a target, like Entra's provisioning quarantine: when its writes fail too often
/// (<c>quarantine_failure_rate</c> over <c>quarantine_window</c>, at least <c>quarantine_min_attempts</c>),
/// the engine stops writing to it — steps wait (<c>waiting_for = quarantine</c>) and look again every
/// <see cref="RetryEvery"/> — until an owner releases it. Hammering a broken directory with 3000 creates
/// helps no one and can lock service accounts.
/// </summary>
public sealed class SystemQuarantine(DatabaseOptions database, TimeProvider clock, AuditLog audit, DriftMonitor findings)
{
    /// <summary>How often a step held by a quarantined target looks again (slower than transient retries).</summary>
    public static readonly TimeSpan RetryEvery = TimeSpan.FromMinutes(15);

    /// <summary>What <c>runs.waiting_for</c> says of a step held by a quarantine.</summary>
    public const string WaitingFor = "quarantine";

    /// <summary>Why writes to <paramref name="system"/> are held, or null when they are not.</summary>
    public static async Task<string?> HeldAsync(DatabaseOptions database, string system, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var state = await db.SystemStates.AsNoTracking().Where(s => s.System == system && s.Status == "quarantined")
            .Select(s => new { s.Reason, s.QuarantinedAt }).FirstOrDefaultAsync(ct);
        return state is null ? null
            : $"{system} is quarantined since {state.QuarantinedAt:yyyy-MM-dd HH:mm} UTC ({state.Reason}); an owner releases it with `handoff system release {system}`";
    }

    /// <summary>Quarantines the targets whose recent writes pass their threshold. Writes before a release
    /// do not count again. Returns the systems quarantined now.</summary>
    public async Task<IReadOnlyList<string>> EvaluateAsync(WorkspaceDefinition workspace, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var quarantined = new List<string>();
        foreach (var system in workspace.Systems.Where(s => ConnectorCatalog.Find(s.Connector) is { IsSource: false }))
        {
            var settings = SystemHealthSettings.For(system);
            await using var db = database.CreateContext();
            var state = await db.SystemStates.FirstOrDefaultAsync(s => s.System == system.Id, ct);
            if (state?.Status == "quarantined")
                continue;
            var since = now - settings.QuarantineWindow;
            if (state?.ReleasedAt is { } released && released > since)
                since = released;
            var window = await CountWritesAsync(db, system.Id, since, ct);
            if (!SystemHealthRules.ShouldQuarantine(window, settings))
                continue;
            var reason = $"{window.Failed} of {window.Attempts} writes failed in the last {Core.Workflows.WorkflowTime.Format(settings.QuarantineWindow)}, threshold {settings.QuarantineFailureRate:P0}";
            await using (var tx = await db.Database.BeginTransactionAsync(ct))
            {
                if (state is null)
                    db.SystemStates.Add(state = new SystemStateRow { System = system.Id });
                state.Status = "quarantined";
                state.Reason = reason;
                state.QuarantinedAt = now;
                state.ReleasedBy = null;
                state.ReleasedAt = null;
                await audit.AppendAsync(db, new AuditDraft($"system:{system.Id}", "system.quarantined", "system", system.Id,
                    [new("status", "ok", "quarantined"), new("reason", null, reason)], system.Id, null, now), ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            await findings.RaiseAsync(workspace, new SystemFindingDraft(system.Id, "quarantine", $"quarantine:{now:O}", FindingSeverity.Critical,
                $"writes to {system.Id} are stopped: {reason}"), ct);
            quarantined.Add(system.Id);
        }
        return quarantined;
    }

    /// <summary>Target writes that reached an outcome since <paramref name="since"/> (the same statuses as
    /// the integration-health chart).</summary>
    internal static async Task<FailureCount> CountWritesAsync(HandoffDbContext db, string system, DateTimeOffset since, CancellationToken ct)
    {
        string[] failed = ["failed", "blocked", "retry"];
        var steps = await db.RunSteps.AsNoTracking()
            .Where(s => s.System == system && s.FinishedAt >= since && (s.Status == "completed" || failed.Contains(s.Status)))
            .GroupBy(s => s.Status == "completed").Select(g => new { Ok = g.Key, Count = g.Count() }).ToListAsync(ct);
        var ok = steps.Where(s => s.Ok).Sum(s => s.Count);
        var bad = steps.Where(s => !s.Ok).Sum(s => s.Count);
        return new FailureCount(ok + bad, bad);
    }

    /// <summary>An owner lifts the quarantine: the state, its finding and the waiting runs (due now).
    /// Returns how many runs were resumed.</summary>
    public async Task<int> ReleaseAsync(string system, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var state = await db.SystemStates.FirstOrDefaultAsync(s => s.System == system, ct);
        if (state?.Status != "quarantined")
            throw new InvalidOperationException($"system '{system}' is not quarantined");
        state.Status = "released";
        state.ReleasedBy = actor;
        state.ReleasedAt = now;
        var open = await db.SystemFindings.Where(f => f.System == system && f.Kind == "quarantine" && f.ResolvedAt == null).ToListAsync(ct);
        foreach (var f in open)
        {
            f.ResolvedAt = now;
            f.AcknowledgedBy ??= actor;
            f.AcknowledgedAt ??= now;
        }
        // Every run held by a quarantine looks again now; one held by another, still quarantined, system waits again.
        var runs = await db.Runs.Where(r => r.Status == RunStatus.Waiting && r.WaitingFor == WaitingFor).ToListAsync(ct);
        foreach (var run in runs)
            run.DueAt = now;
        await audit.AppendAsync(db, new AuditDraft(actor, "system.released", "system", system,
            [new("status", "quarantined", "released"), new("reason", null, state.Reason), new("runs_resumed", null, runs.Count.ToString(CultureInfo.InvariantCulture))], system, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return runs.Count;
    }

    /// <summary>The systems quarantined now.</summary>
    public async Task<IReadOnlyList<SystemStateRow>> QuarantinedAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.SystemStates.AsNoTracking().Where(s => s.Status == "quarantined").OrderBy(s => s.System).ToListAsync(ct);
    }
}
