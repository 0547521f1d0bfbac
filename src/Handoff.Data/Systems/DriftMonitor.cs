using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Connectors;
using Handoff.Core.Governance;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Systems;

/// <summary>
/// Keeps each system's schema history and its findings. A schema is stored only when its hash changed;
/// the difference to the previous snapshot (<see cref="SchemaDrift.Diff"/>) becomes <c>drift</c>
/// findings addressed to both owners — raised before the sync or run that suffers from it fails, so the
/// owners learn "the HRIS renamed Cost_Center" instead of reading 3000 quarantined rows.
/// Every finding raised or acknowledged is audited.
/// </summary>
public sealed class DriftMonitor(DatabaseOptions database, TimeProvider clock, AuditLog audit)
{
    /// <summary>Findings of these kinds describe one event (a drop, a schema change): they close when
    /// acknowledged. The others describe a condition and close when it clears.</summary>
    private static readonly string[] EventKinds = ["drift", "volume"];

    /// <summary>Stores <paramref name="shape"/> when it differs from the system's last snapshot and raises
    /// a finding per difference that matters (warning or critical). Returns every difference found.</summary>
    public async Task<IReadOnlyList<SchemaChange>> RecordSchemaAsync(WorkspaceDefinition workspace, string systemId, SchemaShape shape, CancellationToken ct)
    {
        var system = workspace.FindSystem(systemId) ?? throw new InvalidOperationException($"unknown system '{systemId}'");
        var hash = shape.Hash;
        SchemaShape? previous;
        await using (var db = database.CreateContext())
        {
            var last = await db.SchemaSnapshots.AsNoTracking().Where(s => s.System == systemId)
                .OrderByDescending(s => s.TakenAt).ThenByDescending(s => s.Id).FirstOrDefaultAsync(ct);
            if (last?.Hash == hash)
                return [];
            previous = last is null ? null : JsonDefaults.Deserialize<SchemaShape>(last.Json);
            db.SchemaSnapshots.Add(new SchemaSnapshotRow { System = systemId, TakenAt = clock.GetUtcNow(), Hash = hash, Json = JsonDefaults.Serialize(shape) });
            await db.SaveChangesAsync(ct);
        }
        if (previous is null)
            return []; // the first snapshot is the baseline
        var changes = SchemaDrift.Diff(previous, shape, name => IsBound(workspace, system, name));
        foreach (var change in changes.Where(c => c.Severity >= FindingSeverity.Warning))
            await RaiseAsync(workspace, new SystemFindingDraft(systemId, "drift", change.Key, change.Severity, change.Describe()), ct);
        return changes;
    }

    /// <summary>Reads a target's schema through its connector and records it (<c>handoff drift check</c>,
    /// the health worker).</summary>
    public async Task<IReadOnlyList<SchemaChange>> CheckTargetAsync(WorkspaceDefinition workspace, string systemId, ITargetConnector connector, CancellationToken ct)
    {
        var schema = await connector.DiscoverSchemaAsync(ct);
        var shape = SchemaDrift.FromTarget(schema.ObjectClasses.SelectMany(c => c.Attributes.Select(a => (c.Name, a.Name, a.Type, a.Required))));
        return await RecordSchemaAsync(workspace, systemId, shape, ct);
    }

    /// <summary>Whether the dictionary reads or writes the field: a binding's native name, the source's key
    /// or effective-date column. Target fields are <c>objectClass.attribute</c>; LDAP names compare case-insensitively.</summary>
    public static bool IsBound(WorkspaceDefinition workspace, SystemDefinition system, string field)
    {
        var name = system.Kind is SystemKind.Ats or SystemKind.Hris or SystemKind.Payroll || !field.Contains('.') ? field : field[(field.IndexOf('.') + 1)..];
        return workspace.Dictionary.Fields.Any(f => f.BindingFor(system.Id) is { } b && string.Equals(b.Native, name, StringComparison.OrdinalIgnoreCase))
            || string.Equals(system.Setting("key"), name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(system.Setting("effective_from"), name, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>After a completed full export: compares its row count with the previous full export's
    /// (volume rule) and remembers it. Returns the finding raised, if any.</summary>
    public async Task<SystemFindingDraft?> RecordFullExportAsync(WorkspaceDefinition workspace, string systemId, long syncId, int rows, CancellationToken ct)
    {
        var system = workspace.FindSystem(systemId) ?? throw new InvalidOperationException($"unknown system '{systemId}'");
        SystemFindingDraft? draft;
        await using (var db = database.CreateContext())
        {
            var state = await db.SystemStates.FirstOrDefaultAsync(s => s.System == systemId, ct);
            if (state is null)
                db.SystemStates.Add(state = new SystemStateRow { System = systemId });
            draft = state.LastFullRows is { } before
                ? SystemHealthRules.VolumeDrop(systemId, before, rows, SystemHealthSettings.For(system).VolumeDrop, syncId)
                : null;
            state.LastFullRows = rows;
            state.LastFullSyncId = syncId;
            await db.SaveChangesAsync(ct);
        }
        if (draft is not null)
            await RaiseAsync(workspace, draft, ct);
        return draft;
    }

    /// <summary>Stores and audits a finding unless the same one (system and key) is still open.
    /// Returns the new row, or null when it was already open.</summary>
    public async Task<SystemFindingRow?> RaiseAsync(WorkspaceDefinition workspace, SystemFindingDraft draft, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await db.SystemFindings.AnyAsync(f => f.System == draft.System && f.Key == draft.Key && f.ResolvedAt == null, ct))
            return null;
        var row = new SystemFindingRow
        {
            System = draft.System,
            Kind = draft.Kind,
            Key = draft.Key.Length > 400 ? draft.Key[..400] : draft.Key,
            Severity = draft.Severity.ToString().ToLowerInvariant(),
            Detail = draft.Detail,
            Owners = OwnersOf(workspace, draft.System),
            RaisedAt = now,
        };
        db.SystemFindings.Add(row);
        await db.SaveChangesAsync(ct);
        await audit.AppendAsync(db, new AuditDraft($"system:{draft.System}", "system.finding_raised", "system_finding", row.Id.ToString(CultureInfo.InvariantCulture),
            [new("kind", null, row.Kind), new("severity", null, row.Severity), new("detail", null, row.Detail), new("owners", null, row.Owners)], draft.System, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>The system's owner side first, then the other side, as charter ids (<c>hr:alice, it:ivan</c>).</summary>
    public static string OwnersOf(WorkspaceDefinition workspace, string systemId)
    {
        var hr = $"hr:{workspace.Charter.HrOwner}";
        var it = $"it:{workspace.Charter.ItOwner}";
        return workspace.FindSystem(systemId)?.Owner == SystemOwner.It ? $"{it}, {hr}" : $"{hr}, {it}";
    }

    /// <summary>Open findings, newest first, of one system or all.</summary>
    public async Task<IReadOnlyList<SystemFindingRow>> OpenAsync(string? system, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var rows = await db.SystemFindings.AsNoTracking()
            .Where(f => f.ResolvedAt == null && (system == null || f.System == system)).ToListAsync(ct);
        return rows.OrderByDescending(f => f.RaisedAt).ThenByDescending(f => f.Id).ToList();
    }

    /// <summary>An owner has seen the finding. Event findings (drift, volume) close with it; condition
    /// findings stay open until the condition clears.</summary>
    public async Task<SystemFindingRow> AcknowledgeAsync(long id, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.SystemFindings.FirstOrDefaultAsync(f => f.Id == id, ct)
            ?? throw new InvalidOperationException($"system finding {id} does not exist (see `handoff system findings`)");
        if (row.ResolvedAt is not null)
            throw new InvalidOperationException($"system finding {id} is already resolved");
        row.AcknowledgedBy = actor;
        row.AcknowledgedAt = now;
        if (EventKinds.Contains(row.Kind))
            row.ResolvedAt = now;
        await audit.AppendAsync(db, new AuditDraft(actor, "system.finding_acknowledged", "system_finding", id.ToString(CultureInfo.InvariantCulture),
            [new("kind", null, row.Kind), new("detail", null, row.Detail)], row.System, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>Closes the open findings of <paramref name="kinds"/> of a system whose key is not in
    /// <paramref name="stillTrue"/>: the condition cleared.</summary>
    public async Task<int> ResolveClearedAsync(string system, IReadOnlyCollection<string> kinds, IReadOnlyCollection<string> stillTrue, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        var open = await db.SystemFindings.Where(f => f.System == system && f.ResolvedAt == null && kinds.Contains(f.Kind)).ToListAsync(ct);
        var cleared = open.Where(f => !stillTrue.Contains(f.Key)).ToList();
        if (cleared.Count == 0)
            return 0;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var f in cleared)
        {
            f.ResolvedAt = now;
            await audit.AppendAsync(db, new AuditDraft($"system:{system}", "system.finding_resolved", "system_finding", f.Id.ToString(CultureInfo.InvariantCulture),
                [new("kind", null, f.Kind), new("detail", null, f.Detail)], system, null, now), ct);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return cleared.Count;
    }
}
