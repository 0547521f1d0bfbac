using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Governance;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Governance;

public sealed class BacklogException(string message) : Exception(message);

/// <summary>A backlog candidate as listed: scores, joint rank and dependency warnings.</summary>
public sealed record BacklogEntry(BacklogItemRow Row, IReadOnlyList<string> Reads, BacklogHrScores? Hr, BacklogItScores? It, decimal? Rank, IReadOnlyList<string> Warnings);

/// <summary>
/// The backlog of candidate workflows: HR scores value, volume and pain, IT scores effort, risk and
/// integration availability (each side only its own, as a charter member of that side), ranked with
/// <see cref="BacklogRanking"/>; and the governance checkpoints of live workflows (30/60/90-day
/// reviews), which decide whether a candidate may build on the data a workflow writes.
/// </summary>
public sealed class BacklogStore(DatabaseOptions database, TimeProvider clock, AuditLog audit, WorkspaceStore workspaces, WorkflowStore workflows)
{
    public static readonly int[] CheckpointDays = [30, 60, 90];

    public async Task<BacklogItemRow> AddAsync(string id, string name, IReadOnlyList<string> reads, string? description, string actor, CancellationToken ct)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(id, "^[a-z][a-z0-9_-]{0,99}$"))
            throw new BacklogException($"backlog id \"{id}\": expected lower-case letters, digits, '_' or '-', starting with a letter");
        if (string.IsNullOrWhiteSpace(name))
            throw new BacklogException("a candidate needs a name");
        var dictionary = (await workspaces.LoadActiveAsync(ct)).Definition.Dictionary;
        var unknown = reads.Where(f => dictionary.Fields.All(d => d.Name != f)).ToList();
        if (unknown.Count > 0)
            throw new BacklogException($"reads: {string.Join(", ", unknown)} {(unknown.Count == 1 ? "is not a field" : "are not fields")} of the data dictionary");
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await db.BacklogItems.AnyAsync(b => b.Id == id, ct))
            throw new BacklogException($"the backlog already has a candidate \"{id}\"");
        var row = new BacklogItemRow
        {
            Id = id,
            Name = name.Trim(),
            Description = string.IsNullOrWhiteSpace(description) ? null : description.Trim(),
            ReadsJson = JsonDefaults.Serialize(reads.Distinct().ToList()),
            CreatedBy = actor,
            CreatedAt = now,
        };
        db.BacklogItems.Add(row);
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "backlog.added", "backlog_item", id,
            [new("name", null, row.Name), new("reads", null, string.Join(",", reads))], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>HR's scores; <paramref name="actor"/> must be an HR member of the charter.</summary>
    public Task<BacklogItemRow> ScoreHrAsync(string id, BacklogHrScores scores, string actor, CancellationToken ct) =>
        ScoreAsync(id, SystemOwner.Hr, actor, row =>
        {
            var before = $"{row.HrValue}/{row.HrVolume}/{row.HrPain}";
            (row.HrValue, row.HrVolume, row.HrPain, row.HrScoredBy) = (scores.Value, scores.Volume, scores.Pain, actor);
            return (before, $"{scores.Value}/{scores.Volume}/{scores.Pain}", "value/volume/pain");
        }, (row, now) => row.HrScoredAt = now, ct);

    /// <summary>IT's scores; <paramref name="actor"/> must be an IT member of the charter.</summary>
    public Task<BacklogItemRow> ScoreItAsync(string id, BacklogItScores scores, string actor, CancellationToken ct) =>
        ScoreAsync(id, SystemOwner.It, actor, row =>
        {
            var before = $"{row.ItEffort}/{row.ItRisk}/{row.ItAvailability}";
            (row.ItEffort, row.ItRisk, row.ItAvailability, row.ItScoredBy) = (scores.Effort, scores.Risk, scores.Availability, actor);
            return (before, $"{scores.Effort}/{scores.Risk}/{scores.Availability}", "effort/risk/availability");
        }, (row, now) => row.ItScoredAt = now, ct);

    private async Task<BacklogItemRow> ScoreAsync(string id, SystemOwner side, string actor, Func<BacklogItemRow, (string Before, string After, string What)> apply,
        Action<BacklogItemRow, DateTimeOffset> stamp, CancellationToken ct)
    {
        var charter = (await workspaces.LoadActiveAsync(ct)).Definition.Charter;
        var sideName = side.ToString().ToUpperInvariant();
        var member = charter.FindMember(actor)
            ?? throw new ApprovalRefusedException($"{actor} is not a member of the charter: only {sideName} members score the {sideName} side of the backlog");
        if (member.Side != side)
            throw new ApprovalRefusedException($"{actor} is on the {member.Side.ToString().ToUpperInvariant()} side: only {sideName} members score the {sideName} side of the backlog");
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.BacklogItems.SingleOrDefaultAsync(b => b.Id == id, ct)
            ?? throw new BacklogException($"no backlog candidate \"{id}\"");
        var (before, after, what) = apply(row);
        stamp(row, now);
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", $"backlog.scored.{side.ToString().ToLowerInvariant()}", "backlog_item", id,
            [new(what, before == "//" ? null : before, after)], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>The backlog, best joint rank first (unranked candidates last, newest first among them),
    /// each with its dependency warnings.</summary>
    public async Task<IReadOnlyList<BacklogEntry>> ListAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var rows = await db.BacklogItems.AsNoTracking().ToListAsync(ct);
        var states = await WorkflowStatesAsync(db, ct);
        var now = clock.GetUtcNow();
        return rows.Select(r =>
        {
            var reads = JsonDefaults.Deserialize<List<string>>(r.ReadsJson) ?? [];
            BacklogHrScores? hr = r.HrValue is { } v && r.HrVolume is { } vol && r.HrPain is { } p ? new(v, vol, p) : null;
            BacklogItScores? it = r.ItEffort is { } e && r.ItRisk is { } risk && r.ItAvailability is { } a ? new(e, risk, a) : null;
            return new BacklogEntry(r, reads, hr, it, BacklogRanking.Rank(hr, it), BacklogDependencies.Warnings(reads, states, now));
        })
        .OrderByDescending(e => e.Rank.HasValue).ThenByDescending(e => e.Rank).ThenByDescending(e => e.Row.CreatedAt).ThenBy(e => e.Row.Id)
        .ToList();
    }

    /// <summary>Records a workflow's 30-, 60- or 90-day review. The workflow must be live and have
    /// been for that many days, the earlier checkpoints must be recorded, and the reviewer must be a
    /// charter member.</summary>
    public async Task<WorkflowCheckpointRow> CheckpointAsync(string workflowId, int day, string actor, string? note, CancellationToken ct)
    {
        if (!CheckpointDays.Contains(day))
            throw new BacklogException($"checkpoint day must be 30, 60 or 90, not {day}");
        var charter = (await workspaces.LoadActiveAsync(ct)).Definition.Charter;
        if (charter.FindMember(actor) is null)
            throw new ApprovalRefusedException($"{actor} is not a member of the charter: governance reviews are recorded by charter members");
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var state = (await WorkflowStatesAsync(db, ct)).FirstOrDefault(s => s.WorkflowId == workflowId)
            ?? throw new BacklogException($"no workflow \"{workflowId}\"");
        if (state.Status != WorkflowVersionStatus.Active || state.ActiveSince is not { } since)
            throw new BacklogException($"{workflowId} is {state.Status}, not live: a checkpoint reviews a workflow that has run");
        if (now - since < TimeSpan.FromDays(day))
            throw new BacklogException($"{workflowId} went live {since:yyyy-MM-dd}, {(int)(now - since).TotalDays} day(s) ago: its {day}-day review can be recorded from {since.AddDays(day):yyyy-MM-dd}");
        if (state.Checkpoints.Contains(day))
            throw new BacklogException($"{workflowId} already has its {day}-day review");
        if (CheckpointDays.Where(d => d < day).FirstOrDefault(d => !state.Checkpoints.Contains(d)) is var missing and > 0)
            throw new BacklogException($"{workflowId} has no {missing}-day review yet: record it before the {day}-day one");
        var row = new WorkflowCheckpointRow { WorkflowId = workflowId, Day = day, RecordedBy = actor, RecordedAt = now, Note = string.IsNullOrWhiteSpace(note) ? null : note.Trim() };
        db.WorkflowCheckpoints.Add(row);
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "workflow.checkpoint", "workflow", workflowId,
            [new("day", null, day.ToString(CultureInfo.InvariantCulture))], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    public async Task<IReadOnlyList<WorkflowGovernanceState>> WorkflowStatesAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await WorkflowStatesAsync(db, ct);
    }

    /// <summary>Each workflow's governance state: its most advanced version's status, the canonical
    /// fields its versions write, when it first went live and which reviews it has.</summary>
    private async Task<IReadOnlyList<WorkflowGovernanceState>> WorkflowStatesAsync(HandoffDbContext db, CancellationToken ct)
    {
        var versions = await db.WorkflowVersions.AsNoTracking().ToListAsync(ct);
        var checkpoints = await db.WorkflowCheckpoints.AsNoTracking().ToListAsync(ct);
        string[] order = [WorkflowVersionStatus.Active, WorkflowVersionStatus.Approved, WorkflowVersionStatus.Proposed, WorkflowVersionStatus.Retired];
        return versions.GroupBy(v => v.WorkflowId).Select(g =>
        {
            var status = order.First(s => g.Any(v => v.Status == s));
            // The fields of the version that runs (or would run next): what the data depends on now.
            var current = g.Where(v => v.Status == status).OrderByDescending(v => v.Version).First();
            var writes = Writes(current);
            var since = g.Where(v => v.ActivatedAt is not null).Select(v => v.ActivatedAt).Min();
            return new WorkflowGovernanceState(g.Key, status, writes, since,
                checkpoints.Where(c => c.WorkflowId == g.Key).Select(c => c.Day).Order().ToList());
        }).OrderBy(s => s.WorkflowId).ToList();
    }

    private IReadOnlyList<string> Writes(WorkflowVersionRow version)
    {
        try
        {
            return workflows.Parse(version).Permissions.Write.TryGetValue(WorkflowPermissions.Canonical, out var fields) ? fields : [];
        }
        catch (WorkflowStateException)
        {
            return [];
        }
    }
}
