using Handoff.Core.Audit;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.People;

/// <summary>What one tick did: future-dated changes that became effective, and people whose start or
/// termination date arrived.</summary>
public sealed record TickReport(int ChangesApplied, int Transitions);

/// <summary>
/// The daily clock of the data spine: applies future-dated changes whose day has come (their events
/// fire now, not when the file was read) and re-derives the state of people whose start or
/// termination date has arrived. Each pending change is applied in its own transaction with its
/// "applied" mark, so a crash never applies one twice.
/// </summary>
public sealed class ScheduledChanges(DatabaseOptions database, TimeProvider clock, KeyMaterial keys, AuditLog audit)
{
    public async Task<TickReport> RunAsync(WorkspaceDefinition workspace, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var protection = new FieldProtection(workspace.Dictionary, keys);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var applied = 0;
        var transitions = 0;

        List<long> due;
        await using (var db = database.CreateContext())
        {
            due = await db.PendingChanges.Where(p => p.AppliedAt == null && p.EffectiveFrom <= today)
                .OrderBy(p => p.EffectiveFrom).ThenBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        }
        foreach (var id in due)
        {
            await using var db = database.CreateContext();
            var change = await db.PendingChanges.SingleAsync(p => p.Id == id, ct);
            var record = new MappedRecord(change.System, change.NativeKey,
                protection.DeserializeValues(change.ValuesJson), change.EffectiveFrom, change.Hash, change.Location)
            {
                Order = RecordOrder.Effective(string.IsNullOrEmpty(change.Order) ? RecordOrder.Of(change.ObservedAt, 0) : change.Order, change.EffectiveFrom),
            };
            var link = await db.SourceRecords.AsNoTracking().FirstOrDefaultAsync(s => s.System == change.System && s.NativeKey == change.NativeKey, ct);
            change.AppliedAt = now;
            // A newer effective row already applied wins; this one only gets its mark.
            var people = new PersonBatch(db, workspace.Dictionary, protection, now) { CorrelationId = $"pending:{change.Id}" };
            if (link is null || (link.EffectiveFrom ?? DateOnly.MinValue) <= change.EffectiveFrom)
            {
                await people.LoadAsync(change.System, [record], ct);
                SourceSync.ApplyOne(people, workspace.Dictionary, record, now, workspace.FindSystem(change.System)?.CreatesPeople ?? false);
            }
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await audit.AppendAsync(db, people.AuditDrafts, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            applied++;
        }

        // Review dates are local dates; a day ahead of UTC covers every time zone, and the policy
        // decides per person with their own "today".
        var horizon = today.AddDays(1);
        await using var tickDb = database.CreateContext();
        var ids = await tickDb.People.Where(p => p.ReviewOn != null && p.ReviewOn <= horizon)
            .OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        var changed = 0;
        var drafts = new List<AuditDraft>();
        foreach (var chunk in ids.Chunk(500))
        {
            var people = new PersonBatch(tickDb, workspace.Dictionary, protection, now) { CorrelationId = "tick" };
            await people.LoadPeopleAsync(chunk, ct);
            foreach (var id in chunk)
            {
                if (people.Reassess(id))
                    changed++;
            }
            drafts.AddRange(people.AuditDrafts);
        }
        await using var tickTx = await tickDb.Database.BeginTransactionAsync(ct);
        await audit.AppendAsync(tickDb, drafts, ct);
        await tickDb.SaveChangesAsync(ct);
        await tickTx.CommitAsync(ct);
        transitions += changed;
        return new TickReport(applied, transitions);
    }
}
