using System.Globalization;
using CsvHelper;
using Handoff.Core.Audit;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Workflows;

public sealed record RunDetail(RunRow Run, IReadOnlyList<RunStepRow> Steps, IReadOnlyList<HumanTaskRow> Tasks, IReadOnlyList<StagedWriteRow> Staged);

public sealed record RunQuery(string? Status = null, string? WorkflowId = null, Guid? PersonId = null, DateTimeOffset? Since = null, int Limit = 200);

/// <summary>What people do with runs: decide approvals, cancel, retry, release held writes, read and export history.</summary>
public sealed partial class WorkflowEngine
{
    /// <summary>Approves or rejects an open approval. The decider must hold the task's role in the
    /// charter (or the escalation role once escalated); the run resumes at the next tick.</summary>
    public async Task<HumanTaskRow> DecideAsync(long taskId, bool approve, string member, string? comment, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var charter = (await workspaces.LoadActiveAsync(ct)).Definition.Charter;
        var who = charter.FindMember(member) ?? throw new ApprovalRefusedException($"{member} is not a member of the charter");
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var task = await db.HumanTasks.SingleOrDefaultAsync(t => t.Id == taskId, ct) ?? throw new WorkflowStateException($"no approval #{taskId}");
        if (task.Status != "open")
            throw new WorkflowStateException($"approval #{taskId} is {task.Status}");
        var roles = task.Escalated && task.EscalateTo is { } up ? new[] { task.Role, up } : [task.Role];
        if (!who.Roles.Any(roles.Contains))
            throw new ApprovalRefusedException($"{member} ({string.Join(", ", who.Roles)}) cannot decide approval #{taskId}: it needs the role {string.Join(" or ", roles)}");
        task.Status = approve ? "approved" : "rejected";
        task.DecidedBy = member;
        task.DecidedAt = now;
        task.Comment = comment;
        await db.Runs.Where(r => r.Id == task.RunId && r.Status == RunStatus.Waiting)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.DueAt, now), ct);
        await audit.AppendAsync(db, new AuditDraft($"user:{member}", approve ? "workflow.approval_granted" : "workflow.approval_rejected", "human_task",
            task.Id.ToString(CultureInfo.InvariantCulture), [new("role", null, task.Role), new("comment", null, comment)], null, task.RunId.ToString("N"), now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return task;
    }

    public async Task<RunRow> CancelAsync(Guid runId, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var run = await db.Runs.SingleOrDefaultAsync(r => r.Id == runId, ct) ?? throw new WorkflowStateException($"no run {runId}");
        if (RunStatus.Final.Contains(run.Status))
            throw new WorkflowStateException($"run {runId:N} is already {run.Status}");
        run.Status = RunStatus.Canceled;
        run.CanceledBy = actor;
        run.FinishedAt = now;
        run.LeaseOwner = null;
        run.LeaseUntil = null;
        foreach (var task in await db.HumanTasks.Where(t => t.RunId == runId && t.Status == "open").ToListAsync(ct))
            task.Status = "canceled";
        foreach (var staged in await db.StagedWrites.Where(s => s.RunId == runId && s.Status == "held").ToListAsync(ct))
        {
            staged.Status = "discarded";
            staged.DecidedBy = actor;
            staged.DecidedAt = now;
        }
        await WakeAccountWaitersAsync(db, run.PersonId, now, ct);
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "workflow.run_canceled", "person", run.PersonId.ToString(),
            [new("run", null, run.Id.ToString("N"))], null, run.Id.ToString("N"), now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return run;
    }

    /// <summary>Runs a failed (or canceled, or completed-with-errors) run again from a step: by default
    /// the step it stopped at. Earlier steps are not repeated; the pinned version stays.</summary>
    public async Task<RunRow> RetryAsync(Guid runId, string? stepId, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var run = await db.Runs.SingleOrDefaultAsync(r => r.Id == runId, ct) ?? throw new WorkflowStateException($"no run {runId}");
        if (run.Status is not (RunStatus.Failed or RunStatus.Canceled or RunStatus.CompletedWithErrors))
            throw new WorkflowStateException($"run {runId:N} is {run.Status}; only failed, canceled or completed_with_errors runs can be retried");
        var version = await db.WorkflowVersions.AsNoTracking().SingleAsync(v => v.Id == run.VersionId, ct);
        var definition = workflows.Parse(version);
        if (stepId is not null)
        {
            var index = definition.Steps.ToList().FindIndex(s => s.Id == stepId);
            if (index < 0)
                throw new WorkflowStateException($"{version.WorkflowId}@v{version.Version} has no step \"{stepId}\"; steps: {string.Join(", ", definition.Steps.Select(s => s.Id))}");
            run.StepIndex = index;
        }
        else if (run.Status == RunStatus.CompletedWithErrors)
        {
            var failed = await db.RunSteps.Where(s => s.RunId == runId && (s.Status == "failed" || s.Status == "blocked")).OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
            run.StepIndex = failed?.StepIndex ?? run.StepIndex;
        }
        run.StepIndex = Math.Min(run.StepIndex, definition.Steps.Count - 1);
        run.Status = RunStatus.Queued;
        run.WaitingFor = null;
        run.DueAt = now;
        run.FinishedAt = null;
        run.Error = null;
        run.HadErrors = false;
        run.RetryCount = 0;
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "workflow.run_retried", "person", run.PersonId.ToString(),
            [new("from_step", null, definition.Steps[run.StepIndex].Id)], null, run.Id.ToString("N"), now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return run;
    }

    /// <summary>Releases (executes) or discards held disables/deletes: one by id, or all held for a system.</summary>
    public async Task<int> DecideStagedAsync(long? id, string? system, bool release, string member, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var charter = (await workspaces.LoadActiveAsync(ct)).Definition.Charter;
        var who = charter.FindMember(member) ?? throw new ApprovalRefusedException($"{member} is not a member of the charter");
        if (!who.Approver)
            throw new ApprovalRefusedException($"{member} is not an approver in the charter; held writes need an approver");
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var query = db.StagedWrites.Where(s => s.Status == "held");
        query = id is { } one ? query.Where(s => s.Id == one) : query.Where(s => s.System == system);
        var rows = await query.ToListAsync(ct);
        if (rows.Count == 0)
            throw new WorkflowStateException(id is not null ? $"no held write #{id}" : $"no held writes for {system}");
        foreach (var row in rows)
        {
            row.Status = release ? "released" : "discarded";
            row.DecidedBy = member;
            row.DecidedAt = now;
            await db.Runs.Where(r => r.Id == row.RunId && r.Status == RunStatus.Waiting).ExecuteUpdateAsync(u => u.SetProperty(r => r.DueAt, now), ct);
        }
        await audit.AppendAsync(db, rows.Select(r => new AuditDraft($"user:{member}", release ? "workflow.staged_released" : "workflow.staged_discarded", "person",
            r.PersonId.ToString(), [new("system", null, r.System), new("operation", null, r.Operation)], r.System, r.RunId.ToString("N"), now)), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return rows.Count;
    }

    public async Task<IReadOnlyList<RunRow>> ListRunsAsync(RunQuery query, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var q = db.Runs.AsNoTracking();
        if (query.Status is { } status)
            q = q.Where(r => r.Status == status);
        if (query.WorkflowId is { } wf)
            q = q.Where(r => r.WorkflowId == wf);
        if (query.PersonId is { } person)
            q = q.Where(r => r.PersonId == person);
        if (query.Since is { } since)
            q = q.Where(r => r.CreatedAt >= since);
        return await q.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id).Take(query.Limit).ToListAsync(ct);
    }

    /// <summary>A run by id or unique id prefix, with its steps, approvals and held writes.</summary>
    public async Task<RunDetail> GetRunAsync(string reference, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var id = await ResolveRunAsync(db, reference, ct);
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id, ct);
        var steps = await db.RunSteps.AsNoTracking().Where(s => s.RunId == id).OrderBy(s => s.Id).ToListAsync(ct);
        var tasks = await db.HumanTasks.AsNoTracking().Where(t => t.RunId == id).OrderBy(t => t.Id).ToListAsync(ct);
        var staged = await db.StagedWrites.AsNoTracking().Where(s => s.RunId == id).OrderBy(s => s.Id).ToListAsync(ct);
        return new RunDetail(run, steps, tasks, staged);
    }

    public async Task<Guid> ResolveRunAsync(string reference, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await ResolveRunAsync(db, reference, ct);
    }

    private static async Task<Guid> ResolveRunAsync(HandoffDbContext db, string reference, CancellationToken ct)
    {
        if (Guid.TryParse(reference, out var exact))
            return exact;
        var prefix = reference.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        if (prefix.Length < 4)
            throw new WorkflowStateException("give at least 4 characters of the run id");
        // Ids are random: scanning ids only is cheap enough for a CLI lookup.
        var ids = await db.Runs.AsNoTracking().Select(r => r.Id).ToListAsync(ct);
        var matches = ids.Where(i => i.ToString("N").StartsWith(prefix, StringComparison.Ordinal)).Take(2).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new WorkflowStateException($"no run {reference}"),
            _ => throw new WorkflowStateException($"run id {reference} is ambiguous; give more characters"),
        };
    }

    public async Task<IReadOnlyList<HumanTaskRow>> ListTasksAsync(bool openOnly, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var q = db.HumanTasks.AsNoTracking();
        if (openOnly)
            q = q.Where(t => t.Status == "open");
        return await q.OrderBy(t => t.Id).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<StagedWriteRow>> ListStagedAsync(bool heldOnly, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        // "allowed" rows are the threshold's own bookkeeping (writes that went ahead), not holds.
        var q = db.StagedWrites.AsNoTracking().Where(s => s.Status != "allowed");
        if (heldOnly)
            q = q.Where(s => s.Status == "held");
        return await q.OrderBy(s => s.Id).ToListAsync(ct);
    }

    /// <summary>Run history as CSV, one line per step (inputs and outputs as stored: sensitive values redacted).</summary>
    /// <param name="progress">told the number of step lines written so far, after each one (a background job's progress bar)</param>
    public async Task ExportCsvAsync(TextWriter output, RunQuery query, CancellationToken ct, IProgress<long>? progress = null)
    {
        await using var db = database.CreateContext();
        var runs = db.Runs.AsNoTracking();
        if (query.Status is { } status)
            runs = runs.Where(r => r.Status == status);
        if (query.WorkflowId is { } wf)
            runs = runs.Where(r => r.WorkflowId == wf);
        if (query.Since is { } since)
            runs = runs.Where(r => r.CreatedAt >= since);
        var rows = from r in runs
                   join s in db.RunSteps.AsNoTracking() on r.Id equals s.RunId
                   orderby r.CreatedAt, s.Id
                   select new { r.Id, r.WorkflowId, r.Version, r.PersonId, r.TriggerKey, RunStatus = r.Status, s.StepId, s.Uses, s.System, s.Status, s.Attempts, s.InputsJson, s.OutputsJson, s.Error, s.StartedAt, s.FinishedAt };
        var csv = CsvWriter.Create(output, CsvWriterOptions.Default with { FormatProvider = CultureInfo.InvariantCulture, Injection = CsvInjection.Escape });
        foreach (var h in new[] { "run_id", "workflow", "version", "person_id", "trigger", "run_status", "step", "uses", "system", "step_status", "attempts", "inputs", "outputs", "error", "started_at", "finished_at" })
            csv.WriteField(h);
        csv.EndRecord();
        long written = 0;
        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            foreach (var field in new[] { row.Id.ToString("N"), row.WorkflowId, row.Version.ToString(CultureInfo.InvariantCulture), row.PersonId.ToString(), row.TriggerKey,
                row.RunStatus, row.StepId, row.Uses, row.System ?? "", row.Status, row.Attempts.ToString(CultureInfo.InvariantCulture), row.InputsJson, row.OutputsJson,
                row.Error ?? "", row.StartedAt.ToString("O", CultureInfo.InvariantCulture), row.FinishedAt.ToString("O", CultureInfo.InvariantCulture) })
                csv.WriteField(field);
            csv.EndRecord();
            progress?.Report(++written);
        }
        csv.Flush();
    }
}
