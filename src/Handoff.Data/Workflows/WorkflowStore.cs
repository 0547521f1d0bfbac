using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Handoff.Core.Audit;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Workflows;

public sealed class WorkflowStateException(string message) : Exception(message);

public sealed record WorkflowProposal(Guid VersionId, string WorkflowId, int Version, IReadOnlyList<string> Widens);

public sealed record WorkflowApprovalReport(Guid VersionId, string Status, IReadOnlyList<string> SignedBy, string? StillNeeded);

/// <summary>
/// Workflow versions and their sign-off under the charter. A version is proposed (checked strictly,
/// least privilege included), approved, then activated; activating retires the version it replaces.
/// A version that only changes logic needs one HR approver; a version that widens what the workflow
/// may read or write (or the first version) also needs an IT approver — two different people, and the
/// author's own signature never counts.
/// </summary>
public sealed class WorkflowStore(DatabaseOptions database, TimeProvider clock, AuditLog audit, WorkspaceStore workspaces)
{
    private readonly ConcurrentDictionary<Guid, WorkflowDefinition> _parsed = new();

    public async Task<WorkflowLoadResult> ValidateAsync(string yaml, string file, CancellationToken ct)
    {
        var workspace = await workspaces.LoadActiveAsync(ct);
        return WorkflowLoader.Load(yaml, file, workspace.Definition);
    }

    public async Task<WorkflowProposal> ProposeAsync(string yaml, string file, string author, CancellationToken ct)
    {
        var loaded = await ValidateAsync(yaml, file, ct);
        if (!loaded.Succeeded)
            throw new WorkspaceValidationException(loaded.Errors);
        var definition = loaded.Workflow!;
        // The charter may say who updates workflow logic (changes.update_logic); without it anyone may propose.
        var charter = (await workspaces.LoadActiveAsync(ct)).Definition.Charter;
        var mayUpdate = charter.Changes.UpdateLogic;
        if (mayUpdate.Count > 0 && (charter.FindMember(author) is not { } member || !mayUpdate.Contains(member.Side)))
        {
            throw new ApprovalRefusedException($"{author} may not propose workflow versions: the charter lets only {string.Join(" and ", mayUpdate.Select(s => s.ToString().ToUpperInvariant()))} members update workflow logic (changes.update_logic)");
        }
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var versions = await db.WorkflowVersions.Where(v => v.WorkflowId == definition.Id).ToListAsync(ct);
        if (versions.FirstOrDefault(v => v.Yaml == yaml && v.Status != WorkflowVersionStatus.Retired) is { } same)
            throw new WorkflowStateException($"{definition.Id} v{same.Version} ({same.Status}) has exactly this text; nothing to propose");
        var active = versions.FirstOrDefault(v => v.Status == WorkflowVersionStatus.Active);
        var activeDefinition = active is null ? null : Parse(active);
        var widens = definition.Permissions.Beyond(activeDefinition?.Permissions);
        var row = new WorkflowVersionRow
        {
            Id = Guid.NewGuid(),
            WorkflowId = definition.Id,
            Version = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1,
            Name = definition.Name,
            Yaml = yaml,
            Author = author,
            WidensJson = JsonDefaults.Serialize(widens),
            ProposedAt = now,
        };
        db.WorkflowVersions.Add(row);
        await audit.AppendAsync(db, new AuditDraft($"user:{author}", "workflow.proposed", "workflow_version", $"{row.WorkflowId}@v{row.Version}",
            [new("widens", null, widens.Count == 0 ? "nothing (logic only)" : string.Join("; ", widens))], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new WorkflowProposal(row.Id, row.WorkflowId, row.Version, widens);
    }

    public async Task<WorkflowApprovalReport> ApproveAsync(string reference, string approver, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var version = await FindAsync(db, reference, ct);
        if (version.Status != WorkflowVersionStatus.Proposed)
            throw new WorkflowStateException($"{Label(version)} is {version.Status}; only a proposed version can be approved");
        var member = await MemberAsync(approver, ct);
        var side = member.Side.ToString().ToLowerInvariant();
        if (approver == version.Author)
            throw new ApprovalRefusedException($"{approver} authored {Label(version)}: the author's own approval does not count");
        if (version.Approvals.Any(a => a.Member == approver))
            throw new ApprovalRefusedException($"{approver} already signed {Label(version)}");
        if (version.Approvals.Any(a => a.Side == side))
            throw new ApprovalRefusedException($"{Label(version)} already has its {side.ToUpperInvariant()} approval ({version.Approvals.First(a => a.Side == side).Member})");
        version.Approvals.Add(new WorkflowApprovalRow { Member = approver, Side = side, At = now });
        var changes = (await workspaces.LoadActiveAsync(ct)).Definition.Charter.Changes;
        var stillNeeded = StillNeeded(version, changes);
        if (stillNeeded is null)
            version.Status = WorkflowVersionStatus.Approved;
        await audit.AppendAsync(db, new AuditDraft($"user:{approver}", "workflow.approved", "workflow_version", Label(version),
            [new("side", null, side), new("status", null, version.Status)], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new WorkflowApprovalReport(version.Id, version.Status, version.Approvals.Select(a => $"{a.Member} ({a.Side})").ToList(), stillNeeded);
    }

    /// <summary>Makes an approved version the one that runs; the version it replaces is retired.
    /// Runs already started stay pinned to the version they started with.</summary>
    /// <param name="backfill">Date and schedule triggers that came due this long before activation fire
    /// too (at most 180 days) — like running a new lifecycle workflow on the existing population.</param>
    public async Task<WorkflowVersionRow> ActivateAsync(string reference, string actor, CancellationToken ct, TimeSpan? backfill = null)
    {
        if (backfill is { } b && (b < TimeSpan.Zero || b > TimeSpan.FromDays(180)))
            throw new WorkflowStateException("backfill must be between 0 and 180 days");
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var version = await FindAsync(db, reference, ct);
        var member = await MemberAsync(actor, ct);
        if (version.Status == WorkflowVersionStatus.Proposed)
            throw new WorkflowStateException($"{Label(version)} cannot be activated yet: it needs {StillNeeded(version, (await workspaces.LoadActiveAsync(ct)).Definition.Charter.Changes)}");
        if (version.Status != WorkflowVersionStatus.Approved)
            throw new WorkflowStateException($"{Label(version)} is {version.Status}; only an approved version can be activated");
        var widens = JsonDefaults.Deserialize<List<string>>(version.WidensJson) ?? [];
        if (widens.Count > 0 && member.Side != SystemOwner.It && !version.Approvals.Any(a => a.Side == "it"))
            throw new ApprovalRefusedException($"{Label(version)} widens permissions; it needs an IT approval");
        foreach (var previous in await db.WorkflowVersions.Where(v => v.WorkflowId == version.WorkflowId && v.Status == WorkflowVersionStatus.Active).ToListAsync(ct))
        {
            previous.Status = WorkflowVersionStatus.Retired;
            previous.RetiredAt = now;
        }
        version.Status = WorkflowVersionStatus.Active;
        version.ActivatedAt = now;
        version.ActivatedBy = actor;
        // Date and cron triggers fire for what comes due from now on, not for every date in the past.
        var state = await db.TriggerStates.FindAsync([version.WorkflowId], ct);
        if (state is null)
            db.TriggerStates.Add(new TriggerStateRow
            {
                WorkflowId = version.WorkflowId,
                ActiveSince = now,
                ScannedUntil = now - (backfill ?? TimeSpan.Zero),
                ActiveAfterEventId = await db.OutboxEvents.MaxAsync(e => (long?)e.Id, ct) ?? 0,
            });
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "workflow.activated", "workflow_version", Label(version),
            [new("approvals", null, string.Join(", ", version.Approvals.Select(a => $"{a.Member} ({a.Side})")))], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return version;
    }

    public async Task<WorkflowVersionRow> RetireAsync(string workflowId, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await MemberAsync(actor, ct);
        var active = await db.WorkflowVersions.Include(v => v.Approvals)
            .FirstOrDefaultAsync(v => v.WorkflowId == workflowId && v.Status == WorkflowVersionStatus.Active, ct)
            ?? throw new WorkflowStateException($"{workflowId} has no active version");
        active.Status = WorkflowVersionStatus.Retired;
        active.RetiredAt = now;
        db.TriggerStates.RemoveRange(db.TriggerStates.Where(t => t.WorkflowId == workflowId));
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "workflow.retired", "workflow_version", Label(active), null, null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return active;
    }

    public async Task<IReadOnlyList<WorkflowVersionRow>> ListAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.WorkflowVersions.AsNoTracking().Include(v => v.Approvals)
            .OrderBy(v => v.WorkflowId).ThenBy(v => v.Version).ToListAsync(ct);
    }

    public async Task<WorkflowVersionRow> GetAsync(string reference, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await FindAsync(db, reference, ct);
    }

    /// <summary>A line diff between two versions (<c>id@v1</c>, <c>id@v2</c>).</summary>
    public async Task<string> DiffAsync(string from, string to, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var a = await FindAsync(db, from, ct);
        var b = await FindAsync(db, to, ct);
        var sb = new StringBuilder();
        sb.Append("--- ").Append(Label(a)).Append('\n').Append("+++ ").Append(Label(b)).Append('\n');
        foreach (var line in InlineDiffBuilder.Diff(a.Yaml, b.Yaml).Lines)
        {
            sb.Append(line.Type switch { ChangeType.Inserted => "+ ", ChangeType.Deleted => "- ", _ => "  " }).Append(line.Text).Append('\n');
        }
        var widens = JsonDefaults.Deserialize<List<string>>(b.WidensJson) ?? [];
        if (widens.Count > 0)
            sb.Append("widens permissions: ").Append(string.Join("; ", widens)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The active versions with their parsed definitions.</summary>
    public async Task<IReadOnlyList<(WorkflowVersionRow Row, WorkflowDefinition Definition)>> ActiveAsync(HandoffDbContext db, CancellationToken ct)
    {
        var rows = await db.WorkflowVersions.AsNoTracking().Where(v => v.Status == WorkflowVersionStatus.Active).ToListAsync(ct);
        return rows.Select(r => (r, Parse(r))).ToList();
    }

    /// <summary>The definition a version holds (validated when it was proposed; parsed once per process).</summary>
    public WorkflowDefinition Parse(WorkflowVersionRow row) => _parsed.GetOrAdd(row.Id, _ =>
    {
        var loaded = WorkflowLoader.Load(row.Yaml, $"{row.WorkflowId}@v{row.Version}");
        return loaded.Workflow ?? throw new WorkflowStateException($"{row.WorkflowId}@v{row.Version} no longer parses: {string.Join("; ", loaded.Errors)}");
    });

    public static string Label(WorkflowVersionRow v) => $"{v.WorkflowId}@v{v.Version}";

    /// <summary>The signatures a version still needs under the charter's change rules (by default: one
    /// approver for a logic-only version, HR and IT for one that widens permissions).</summary>
    private static string? StillNeeded(WorkflowVersionRow version, CharterChangeRules rules)
    {
        var widens = JsonDefaults.Deserialize<List<string>>(version.WidensJson) ?? [];
        var signed = version.Approvals.Select(a => a.Side == "hr" ? SystemOwner.Hr : SystemOwner.It).ToHashSet();
        return rules.StillNeeded(widens.Count > 0, signed, widens);
    }

    private async Task<CharterMember> MemberAsync(string who, CancellationToken ct)
    {
        var charter = (await workspaces.LoadActiveAsync(ct)).Definition.Charter;
        var member = charter.FindMember(who) ?? throw new ApprovalRefusedException($"{who} is not a member of the charter");
        if (!member.Approver)
            throw new ApprovalRefusedException($"{who} ({member.Side.ToString().ToUpperInvariant()}) is not an approver in the charter");
        return member;
    }

    /// <summary>Finds a version by <c>workflow@vN</c>, by workflow id (its latest version) or by version id.</summary>
    private static async Task<WorkflowVersionRow> FindAsync(HandoffDbContext db, string reference, CancellationToken ct)
    {
        var query = db.WorkflowVersions.Include(v => v.Approvals);
        WorkflowVersionRow? row;
        if (Guid.TryParse(reference, out var id))
            row = await query.FirstOrDefaultAsync(v => v.Id == id, ct);
        else if (reference.Split("@v") is [var wf, var n] && int.TryParse(n, CultureInfo.InvariantCulture, out var number))
            row = await query.FirstOrDefaultAsync(v => v.WorkflowId == wf && v.Version == number, ct);
        else
            row = await query.Where(v => v.WorkflowId == reference).OrderByDescending(v => v.Version).FirstOrDefaultAsync(ct);
        return row ?? throw new WorkflowStateException($"no workflow version \"{reference}\" (write WORKFLOW or WORKFLOW@vN)");
    }
}
