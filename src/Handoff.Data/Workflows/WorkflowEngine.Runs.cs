using System.Diagnostics;
using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Connectors;
using Handoff.Core.People;
using Handoff.Core.Workflows;
using Handoff.Core.Workflows.Steps;
using Handoff.Core.Workspace;
using Handoff.Data.Cluster;
using Handoff.Data.Events;
using Handoff.Data.People;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Microsoft.EntityFrameworkCore;
using Polly;
using Polly.Retry;

namespace Handoff.Data.Workflows;

public sealed partial class WorkflowEngine
{
    /// <summary>Claims and executes due runs (queued, woken, or whose lease expired) until none is due
    /// or <paramref name="max"/> were executed; <see cref="EngineOptions.Workers"/> at a time.</summary>
    public async Task<int> RunDueAsync(int max, CancellationToken ct)
    {
        var executed = 0;
        var workers = _options.Workers ?? (database.Provider == DatabaseProvider.Sqlite ? 1 : 4);
        var running = new List<Task>();
        while (executed < max)
        {
            var claimed = await ClaimAsync(Math.Min(max - executed, workers * 8), ct);
            if (claimed.Count == 0)
            {
                // Nothing is due, or what is due waits for a run still executing here (the person's
                // earlier run, or the run creating the account a step needs): let one finish, look again.
                if (running.Count == 0)
                    break;
                var finished = await Task.WhenAny(running);
                running.Remove(finished);
                await finished;
                continue;
            }
            foreach (var id in claimed)
            {
                executed++;
                running.Add(ExecuteClaimedAsync(id, ct));
                if (running.Count >= workers)
                {
                    var done = await Task.WhenAny(running);
                    running.Remove(done);
                    await done;
                }
            }
        }
        await Task.WhenAll(running);
        return executed;
    }

    /// <summary>Claims up to <paramref name="count"/> due runs, each with a conditional update (status and
    /// lease unchanged since read), so two workers (or nodes) never run the same run at once. Due runs
    /// are found through the (status, due_at) index; runs whose lease ran out (a dead worker's) too.
    /// A run not yet started waits while an earlier run of its person is queued or running
    /// (<see cref="HeldBackAsync"/>): the runs of one person start in the order of their triggers.</summary>
    private async Task<IReadOnlyList<Guid>> ClaimAsync(int count, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        var due = new List<(Guid Id, string Status, DateTimeOffset? LeaseUntil, DateTimeOffset? StartedAt)>();
        var page = Math.Max(count * 4, 64);
        for (var skip = 0; due.Count < count; skip += page)
        {
            var batch = (await db.Runs.AsNoTracking()
                .Where(r => (r.Status == RunStatus.Queued || r.Status == RunStatus.Waiting) && r.DueAt <= now)
                .OrderBy(r => r.DueAt).ThenBy(r => r.Id).Select(r => new { r.Id, r.Status, r.LeaseUntil, r.StartedAt, r.PersonId })
                .Skip(skip).Take(page).ToListAsync(ct));
            var held = await HeldBackAsync(db, batch.Where(r => r.StartedAt is null).Select(r => (r.Id, r.PersonId)).ToList(), ct);
            due.AddRange(batch.Where(r => !held.Contains(r.Id)).Take(count - due.Count).Select(r => (r.Id, r.Status, r.LeaseUntil, r.StartedAt)));
            if (batch.Count < page)
                break;
        }
        if (due.Count < count)
        {
            due.AddRange((await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Running && r.LeaseUntil < now)
                .Select(r => new { r.Id, r.Status, r.LeaseUntil, r.StartedAt }).Take(count - due.Count).ToListAsync(ct))
                .Select(r => (r.Id, r.Status, r.LeaseUntil, r.StartedAt)));
        }
        var claimed = new List<Guid>(due.Count);
        foreach (var next in due)
        {
            var updated = await db.Runs
                .Where(r => r.Id == next.Id && r.Status == next.Status && r.LeaseUntil == next.LeaseUntil)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(r => r.Status, RunStatus.Running)
                    .SetProperty(r => r.LeaseOwner, _options.Node)
                    .SetProperty(r => r.LeaseUntil, now + _options.Lease)
                    .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now), ct);
            if (updated != 1)
                continue;
            claimed.Add(next.Id);
            if (next.StartedAt is null)
                HandoffMetrics.RunsStarted.Add(1);
            if (next.Status == RunStatus.Running)
                HandoffMetrics.LeaseTakeovers.Add(1, new KeyValuePair<string, object?>("kind", "run"));
        }
        return claimed;
    }

    private async Task ExecuteClaimedAsync(Guid runId, CancellationToken ct)
    {
        try
        {
            await ExecuteRunAsync(runId, ct);
        }
        catch (LeaseLostException)
        {
            // another worker took the run over; it carries on from the last committed step
        }
    }

    private async Task ExecuteRunAsync(Guid runId, CancellationToken ct)
    {
        RunRow run;
        WorkflowVersionRow version;
        await using (var db = database.CreateContext())
        {
            run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId, ct);
            version = await db.WorkflowVersions.AsNoTracking().SingleAsync(v => v.Id == run.VersionId, ct);
        }
        var definition = workflows.Parse(version);
        var workspace = await workspaces.LoadActiveAsync(ct);
        var dictionary = workspace.Definition.Dictionary;
        var protection = new FieldProtection(dictionary, keys);
        var connectors = connectorsFor(workspace.Definition);
        var outputs = JsonDefaults.Deserialize<Dictionary<string, Dictionary<string, object?>>>(run.OutputsJson);

        while (run.StepIndex < definition.Steps.Count)
        {
            var step = definition.Steps[run.StepIndex];
            var descriptor = StepCatalog.Find(step.Uses)!;
            PersonView view;
            await using (var db = database.CreateContext())
            {
                var person = await db.People.AsNoTracking().SingleOrDefaultAsync(p => p.Id == run.PersonId, ct);
                if (person is null || person.State == "purged")
                {
                    await CommitAsync(run, definition, new StepResult(step, "failed") { Error = "the person was purged" }, ct);
                    return;
                }
                view = PersonView.Of(person, dictionary, protection, definition.Permissions);
            }
            // One span per step; its trace is the run (trace id = run id), whichever node runs the step.
            using var activity = HandoffMetrics.Engine.StartActivity(ActivityKind.Internal, HandoffMetrics.RunContext(run.Id), name: $"step {step.Id}");
            activity?.SetTag("handoff.run.id", run.Id.ToString());
            activity?.SetTag("handoff.step.id", step.Id);
            activity?.SetTag("handoff.step.uses", step.Uses);
            activity?.SetTag("handoff.node", _options.Node);
            var result = await ExecuteStepAsync(run, definition, step, descriptor, view, workspace.Definition, connectors, outputs, ct);
            activity?.SetTag("handoff.system", result.System);
            activity?.SetTag("handoff.step.status", result.Status);
            if (result.Status is "failed" or "blocked")
                activity?.SetStatus(ActivityStatusCode.Error, result.Error);
            run = await CommitAsync(run, definition, result, ct);
            if (result.Status == "completed")
                outputs[step.Id] = result.Outputs;
            if (run.Status != RunStatus.Running)
                return;
        }
    }

    /// <summary>What one step did, before it is committed.</summary>
    private sealed record StepResult(StepDefinition Step, string Status)
    {
        public Dictionary<string, object?> Inputs { get; init; } = [];
        public Dictionary<string, object?> Outputs { get; init; } = [];
        public string? Error { get; init; }
        public string? System { get; init; }
        public string? Operation { get; init; }
        public bool Destructive { get; init; }
        public int Attempts { get; init; } = 1;
        public Bookmark? Bookmark { get; init; }
        public List<(TargetOperation Operation, TargetOperationResult Result)> Applied { get; init; } = [];
        public List<CanonicalWrite> Writes { get; init; } = [];
        public string? StagedReason { get; init; }
        public DateTimeOffset StartedAt { get; init; }
        /// <summary>For parked runs whose bookmark is not yet due (an approval still open): keep waiting.</summary>
        public DateTimeOffset? ParkUntil { get; init; }
        public string? ParkFor { get; init; }
        public List<AuditDraft> ExtraAudit { get; init; } = [];
    }

    private async Task<StepResult> ExecuteStepAsync(RunRow run, WorkflowDefinition definition, StepDefinition step, StepDescriptor descriptor,
        PersonView view, WorkspaceDefinition workspace, ITargetConnectorSource connectors,
        Dictionary<string, Dictionary<string, object?>> outputs, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var started = now;
        string? target = null;
        if (descriptor.TargetKind is { } kind)
            target = WorkflowChecks.ResolveTarget(step, kind, workspace, out _);

        // A parked run resumes at the step that parked it.
        Resumption? resumed = null;
        var bypassThreshold = false;
        if (run.WaitingFor is { } waitingFor)
        {
            var (resumption, park, extra, bypass, stagedError) = await ResumeAsync(run, step, waitingFor, now, ct);
            if (park is { } until)
                return new StepResult(step, "parked") { ParkUntil = until, ParkFor = waitingFor, ExtraAudit = extra, StartedAt = started, System = target };
            if (stagedError is not null)
                return new StepResult(step, "failed") { Error = stagedError, System = target, ExtraAudit = extra, StartedAt = started };
            resumed = resumption;
            bypassThreshold = bypass;
        }

        var context = view.TemplateValues(definition.Name, run.Id, now, outputs);
        if (step.When is { } when && resumed is null && !WorkflowExpressions.Matches(when, context))
            return new StepResult(step, "skipped") { Error = $"when: {when} is false", System = target, StartedAt = started };

        Dictionary<string, object?> inputs, history;
        try
        {
            (inputs, history) = StepInputs.Render(step, descriptor, context, workspace.Dictionary);
        }
        catch (Exception e) when (e is StepInputException or InvalidOperationException or FormatException or Handoff.Core.Templates.TemplateRenderException)
        {
            return new StepResult(step, "failed") { Error = e.Message, System = target, StartedAt = started };
        }

        string? linked = null, linkedUsername = null;
        if (target is not null)
        {
            await using var db = database.CreateContext();
            var link = await db.AccountLinks.AsNoTracking().Where(l => l.System == target && l.PersonId == run.PersonId)
                .Select(l => new { l.NativeId, l.Username }).FirstOrDefaultAsync(ct);
            (linked, linkedUsername) = (link?.NativeId, link?.Username);
        }
        // A step that acts on the person's account and finds none waits while another run of the person
        // is still to create it (pre-hire's account, which new-hire enables) instead of failing for good.
        if (target is not null && linked is null && typeof(LinkedAccountStep).IsAssignableFrom(descriptor.Implementation)
            && await AccountCreatorAsync(run, target, workspace, ct) is { } creator)
        {
            var said = new List<AuditDraft>();
            if (run.WaitingFor != AccountWait)
            {
                said.Add(new AuditDraft(ActorOf(run), "workflow.step_waiting", "person", run.PersonId.ToString(),
                    [new("step", null, step.Id), new("reason", null, $"no account linked in {target} yet: waiting for {creator} to create it")], target, run.Id.ToString("N"), now));
            }
            return new StepResult(step, "parked") { ParkUntil = now + AccountRecheck, ParkFor = AccountWait, StartedAt = started, System = target, ExtraAudit = said };
        }
        // A quarantined target is not written to: the step waits and looks again at a slowed pace (docs/governance.md).
        if (target is not null && await Systems.SystemQuarantine.HeldAsync(database, target, ct) is { } held)
        {
            var said = new List<AuditDraft>();
            if (run.WaitingFor != Systems.SystemQuarantine.WaitingFor)
                said.Add(new AuditDraft(ActorOf(run), "workflow.step_waiting", "person", run.PersonId.ToString(), [new("step", null, step.Id), new("reason", null, held)], target, run.Id.ToString("N"), now));
            return new StepResult(step, "parked") { ParkUntil = now + Systems.SystemQuarantine.RetryEvery, ParkFor = Systems.SystemQuarantine.WaitingFor, StartedAt = started, System = target, ExtraAudit = said };
        }
        var stepContext = new EngineStepContext(this, connectors, target, bypassThreshold, workspace)
        {
            Workflow = definition,
            Step = step,
            Descriptor = descriptor,
            RunId = run.Id,
            PersonId = run.PersonId,
            PersonName = view.Name,
            Now = now,
            Zone = view.Zone,
            TargetSystem = target,
            LinkedNativeId = linked,
            LinkedUsername = linkedUsername,
            Inputs = inputs,
            Resumed = resumed,
        };
        var result = new StepResult(step, "completed")
        {
            Inputs = history,
            System = target,
            Operation = descriptor.Operation,
            StartedAt = started,
            Applied = stepContext.Applied,
            Writes = stepContext.CanonicalWrites,
        };
        try
        {
            var outcome = await descriptor.Create().ExecuteAsync(stepContext, ct);
            result = result with { Attempts = Math.Max(1, stepContext.Attempts), Destructive = stepContext.Applied.Any(a => a.Operation.IsDestructive) };
            return outcome switch
            {
                StepOutcome.Completed c => result with { Outputs = c.Outputs.ToDictionary(p => p.Key, p => Simple(p.Value)) },
                StepOutcome.Skipped s => result with { Status = "skipped", Error = s.Reason },
                StepOutcome.Suspended s => result with { Status = "waiting", Bookmark = s.Bookmark },
                StepOutcome.Failed f => result with { Status = "failed", Error = f.Reason },
                _ => throw new InvalidOperationException($"unknown outcome {outcome}"),
            };
        }
        catch (PermissionDeniedException e)
        {
            return result with { Status = "blocked", Error = e.Message, Attempts = Math.Max(1, stepContext.Attempts) };
        }
        catch (ThresholdHeldException e)
        {
            return result with { Status = "staged", StagedReason = e.Message, Error = e.Message, Destructive = true };
        }
        catch (StepInputException e)
        {
            return result with { Status = "failed", Error = e.Message };
        }
        catch (Handoff.Core.Templates.UniqueValueExhaustedException e)
        {
            return result with { Status = "failed", Error = e.Message };
        }
        catch (ConnectorException e) when (e.IsTransient)
        {
            HandoffMetrics.ConnectorErrors.Add(1, new KeyValuePair<string, object?>("system", target), new KeyValuePair<string, object?>("transient", true));
            return result with { Status = "retry", Error = e.Message, Attempts = stepContext.Attempts };
        }
        catch (ConnectorException e)
        {
            HandoffMetrics.ConnectorErrors.Add(1, new KeyValuePair<string, object?>("system", target), new KeyValuePair<string, object?>("transient", false));
            return result with { Status = "failed", Error = $"{e.Failure}: {e.Message}", Attempts = Math.Max(1, stepContext.Attempts) };
        }
    }

    private static object? Simple(object? value) => value switch
    {
        null or string or bool => value,
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private async Task<(Resumption?, DateTimeOffset?, List<AuditDraft>, bool Bypass, string? Error)> ResumeAsync(
        RunRow run, StepDefinition step, string waitingFor, DateTimeOffset now, CancellationToken ct)
    {
        var extra = new List<AuditDraft>();
        switch (waitingFor)
        {
            case "timer":
                return (new Resumption.TimerFired(), null, extra, false, null);
            case "retry":
                return (null, null, extra, false, null);
            case "threshold":
                {
                    await using var db = database.CreateContext();
                    var staged = await db.StagedWrites.AsNoTracking().Where(s => s.RunId == run.Id && s.StepId == step.Id)
                        .OrderByDescending(s => s.Id).FirstOrDefaultAsync(ct);
                    return staged?.Status switch
                    {
                        "released" => (null, null, extra, true, null),
                        "discarded" => (null, null, extra, false, $"the held write was discarded by {staged.DecidedBy}"),
                        _ => (null, now + TimeSpan.FromDays(365), extra, false, null),
                    };
                }
            case "approval":
                {
                    await using var db = database.CreateContext();
                    var task = await db.HumanTasks.Where(t => t.RunId == run.Id && t.StepId == step.Id).OrderByDescending(t => t.Id).FirstOrDefaultAsync(ct);
                    if (task is null)
                        return (null, null, extra, false, null);
                    switch (task.Status)
                    {
                        case "approved":
                        case "rejected":
                            return (new Resumption.Decision(task.Status == "approved", task.DecidedBy ?? "?", task.Comment), null, extra, false, null);
                        case "expired":
                            return (new Resumption.Expired(), null, extra, false, null);
                    }
                    if (now >= task.DueAt)
                    {
                        task.Status = "expired";
                        task.DecidedAt = now;
                        await db.SaveChangesAsync(ct);
                        return (new Resumption.Expired(), null, extra, false, null);
                    }
                    if (!task.Escalated && task.EscalateAt is { } escalateAt && now >= escalateAt)
                    {
                        task.Escalated = true;
                        await db.SaveChangesAsync(ct);
                        extra.Add(new AuditDraft(ActorOf(run), "workflow.approval_escalated", "human_task", task.Id.ToString(CultureInfo.InvariantCulture),
                            [new("role", task.Role, task.EscalateTo)], null, run.Id.ToString("N"), now));
                    }
                    var next = !task.Escalated && task.EscalateAt is { } e2 && e2 < task.DueAt ? e2 : task.DueAt;
                    return (null, next, extra, false, null);
                }
            default:
                return (null, null, extra, false, null);
        }
    }

    /// <summary>Commits one step: its row, the run's next state (fenced by the lease), links, canonical
    /// writes, human task or staged write, and the audit entries — all in one transaction.</summary>
    private async Task<RunRow> CommitAsync(RunRow run, WorkflowDefinition definition, StepResult r, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Fencing: on PostgreSQL the run's row stays locked until the commit, so a takeover (a
        // conditional update on the same row) waits for it and then finds the lease renewed — or this
        // commit finds the lease gone and gives up. A paused node whose lease was taken cannot commit.
        var current = db.Database.IsNpgsql()
            ? (await db.Runs.FromSqlInterpolated($"SELECT * FROM runs WHERE id = {run.Id} FOR UPDATE").ToListAsync(ct)).Single()
            : await db.Runs.SingleAsync(x => x.Id == run.Id, ct);
        if (current.LeaseOwner != _options.Node || current.Status != RunStatus.Running)
            throw new LeaseLostException();
        var actor = ActorOf(current);
        var correlation = current.Id.ToString("N");
        var drafts = new List<AuditDraft>(r.ExtraAudit);

        void Finish(string status, string? error = null)
        {
            current.Status = status;
            current.Error = error ?? current.Error;
            current.FinishedAt = now;
            current.WaitingFor = null;
            current.LeaseOwner = null;
            current.LeaseUntil = null;
            drafts.Add(new AuditDraft(actor, $"workflow.run_{status}", "person", current.PersonId.ToString(),
                [new("workflow", null, definition.Name), new("error", null, error)], null, correlation, now));
        }

        void Advance()
        {
            current.StepIndex++;
            current.WaitingFor = null;
            current.RetryCount = 0;
            if (current.StepIndex >= definition.Steps.Count)
                Finish(current.HadErrors ? RunStatus.CompletedWithErrors : RunStatus.Completed);
        }

        void Park(string waitingFor, DateTimeOffset until)
        {
            current.Status = RunStatus.Waiting;
            current.WaitingFor = waitingFor;
            current.DueAt = until;
            current.LeaseOwner = null;
            current.LeaseUntil = null;
        }

        if (r.Status != "parked")
        {
            db.RunSteps.Add(new RunStepRow
            {
                RunId = current.Id,
                StepId = r.Step.Id,
                StepIndex = current.StepIndex,
                Uses = r.Step.Uses,
                System = r.System,
                Status = r.Status,
                Attempts = r.Attempts,
                InputsJson = JsonDefaults.Serialize(r.Inputs),
                OutputsJson = JsonDefaults.Serialize(r.Outputs),
                Operation = r.Operation,
                Destructive = r.Destructive && r.Status == "completed",
                Error = r.Error,
                StartedAt = r.StartedAt,
                FinishedAt = now,
                Node = _options.Node,
            });
        }

        var fields = new List<AuditFieldChange> { new("step", null, r.Step.Id), new("status", null, r.Status) };
        if (r.Error is not null)
            fields.Add(new("error", null, r.Error));
        foreach (var (op, result) in r.Applied)
        {
            fields.Add(new("native_id", null, result.NativeId));
            if (result.AlreadyApplied)
                fields.Add(new("already_applied", null, "true"));
            await ApplyLinkAsync(db, current.PersonId, r.System!, op, result, now, ct);
        }

        switch (r.Status)
        {
            case "parked":
                Park(r.ParkFor!, r.ParkUntil!.Value);
                break;
            case "completed":
                foreach (var write in r.Writes)
                    await WriteFieldAsync(db, current, definition, write, now, drafts, ct);
                drafts.Add(new AuditDraft(actor, r.Step.Uses, "person", current.PersonId.ToString(), fields, r.System, correlation, now));
                if (r.Outputs.Count > 0)
                {
                    var outputs = JsonDefaults.Deserialize<Dictionary<string, Dictionary<string, object?>>>(current.OutputsJson);
                    outputs[r.Step.Id] = r.Outputs;
                    current.OutputsJson = JsonDefaults.Serialize(outputs);
                }
                Advance();
                break;
            case "skipped":
                drafts.Add(new AuditDraft(actor, "workflow.step_skipped", "person", current.PersonId.ToString(), fields, r.System, correlation, now));
                Advance();
                break;
            case "waiting":
                drafts.Add(new AuditDraft(actor, "workflow.step_waiting", "person", current.PersonId.ToString(), fields, r.System, correlation, now));
                switch (r.Bookmark)
                {
                    case Bookmark.Timer t:
                        Park("timer", t.Until);
                        break;
                    case Bookmark.Approval a:
                        db.HumanTasks.Add(new HumanTaskRow
                        {
                            RunId = current.Id,
                            StepId = r.Step.Id,
                            PersonId = current.PersonId,
                            WorkflowId = current.WorkflowId,
                            Title = a.Title,
                            Role = a.Role,
                            EscalateTo = a.EscalateTo,
                            EscalateAt = a.EscalateAt,
                            DueAt = a.Due,
                            CreatedAt = now,
                        });
                        Park("approval", a.EscalateAt is { } e && e < a.Due ? e : a.Due);
                        break;
                }
                break;
            case "staged":
                db.StagedWrites.Add(new StagedWriteRow
                {
                    RunId = current.Id,
                    StepId = r.Step.Id,
                    PersonId = current.PersonId,
                    System = r.System!,
                    Operation = r.Operation ?? r.Step.Uses,
                    Reason = r.StagedReason!,
                    CreatedAt = now,
                });
                drafts.Add(new AuditDraft(actor, "workflow.write_staged", "person", current.PersonId.ToString(), fields, r.System, correlation, now));
                Park("threshold", now + TimeSpan.FromDays(365));
                break;
            case "retry":
                current.RetryCount++;
                drafts.Add(new AuditDraft(actor, "workflow.step_retry", "person", current.PersonId.ToString(),
                    [.. fields, new("round", null, current.RetryCount.ToString(CultureInfo.InvariantCulture))], r.System, correlation, now));
                if (current.RetryCount > _options.MaxRetryRounds)
                {
                    goto case "failed";
                }
                // Durable backoff: 1, 2, 4 … minutes (at most 30), the run waits without a worker.
                Park("retry", now + TimeSpan.FromMinutes(Math.Min(30, Math.Pow(2, current.RetryCount - 1))));
                current.Status = RunStatus.Queued;
                break;
            case "blocked":
                drafts.Add(new AuditDraft(actor, "workflow.write_blocked", "person", current.PersonId.ToString(),
                    [.. fields, new("security_incident", null, "true")], r.System, correlation, now));
                goto failedNoAudit;
            case "failed":
                drafts.Add(new AuditDraft(actor, "workflow.step_failed", "person", current.PersonId.ToString(), fields, r.System, correlation, now));
            failedNoAudit:
                if (r.Step.ContinueOnError)
                {
                    current.HadErrors = true;
                    Advance();
                }
                else
                {
                    Finish(RunStatus.Failed, $"step {r.Step.Id}: {r.Error}");
                }
                break;
        }
        if (current.Status == RunStatus.Running)
            current.LeaseUntil = now + _options.Lease;
        // Steps of this person parked until an account exists look again now: one was created, or this run ended.
        if (RunStatus.Final.Contains(current.Status) || r.Applied.Any(a => a.Operation.Kind == TargetOperationKind.Create && a.Operation.ObjectClass == ObjectClasses.Account))
            await WakeAccountWaitersAsync(db, current.PersonId, now, ct);
        await audit.AppendAsync(db, drafts, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (r.Status != "parked")
            HandoffMetrics.StepDuration.Record((now - r.StartedAt).TotalSeconds,
                new KeyValuePair<string, object?>("step_type", r.Step.Uses), new KeyValuePair<string, object?>("system", r.System));
        if (current.Status is RunStatus.Completed or RunStatus.CompletedWithErrors)
            HandoffMetrics.RunsCompleted.Add(1);
        else if (current.Status == RunStatus.Failed)
            HandoffMetrics.RunsFailed.Add(1);
        return current;
    }

    private static async Task ApplyLinkAsync(HandoffDbContext db, Guid personId, string system, TargetOperation op, TargetOperationResult result, DateTimeOffset now, CancellationToken ct)
    {
        var link = await db.AccountLinks.FirstOrDefaultAsync(l => l.System == system && l.PersonId == personId, ct);
        switch (op.Kind)
        {
            case TargetOperationKind.Create when op.ObjectClass == ObjectClasses.Account:
                if (link is null)
                    db.AccountLinks.Add(link = new AccountLinkRow { System = system, PersonId = personId, CreatedAt = now });
                link.NativeId = result.NativeId ?? link.NativeId;
                link.Username = result.Outputs.TryGetValue("username", out var u) && u is string name ? name : op[AccountAttributes.Username] as string;
                link.State = op[AccountAttributes.Enabled] is true ? "active" : "disabled";
                link.UpdatedAt = now;
                break;
            case TargetOperationKind.Delete when link is not null:
                db.AccountLinks.Remove(link);
                break;
            case TargetOperationKind.Disable when link is not null:
                link.State = "disabled";
                link.UpdatedAt = now;
                break;
            case TargetOperationKind.Enable when link is not null:
                link.State = "active";
                link.UpdatedAt = now;
                break;
            case TargetOperationKind.Move when link is not null && result.NativeId is { } moved:
                link.NativeId = moved;
                link.UpdatedAt = now;
                break;
        }
    }

    /// <summary>A set_field write: checked again (the dictionary may have changed since approval), then
    /// stored with the workflow as its source, with an outbox event and its audit entry.</summary>
    private async Task WriteFieldAsync(HandoffDbContext db, RunRow run, WorkflowDefinition definition, CanonicalWrite write, DateTimeOffset now,
        List<AuditDraft> drafts, CancellationToken ct)
    {
        var workspace = await workspaces.LoadActiveAsync(ct);
        var protection = new FieldProtection(workspace.Definition.Dictionary, keys);
        var person = await db.People.SingleAsync(p => p.Id == run.PersonId, ct);
        var values = protection.DeserializeResolved(person.ValuesJson);
        var before = values.TryGetValue(write.Field, out var old) ? old.Value : null;

        // The workflow is one of the field's writers: what it writes is kept as its statement beside the
        // sources' (a source record of system workflow:ID), and the field is decided again under the
        // dictionary's conflict rule. So a later HR file with that column empty, or silent about it,
        // does not wipe the written-back value, and the system of record still wins where it has one.
        var statement = await db.SourceRecords.FirstOrDefaultAsync(s => s.System == definition.Actor && s.PersonId == person.Id, ct);
        var said = statement is null ? new Dictionary<string, string?>() : protection.DeserializeValues(statement.ValuesJson);
        if (write.Value is null)
            said.Remove(write.Field);
        else
            said[write.Field] = write.Value;
        if (statement is null)
        {
            statement = new SourceRecordRow { System = definition.Actor, NativeKey = person.Id.ToString("N"), PersonId = person.Id };
            db.SourceRecords.Add(statement);
        }
        statement.ValuesJson = protection.SerializeValues(said);
        statement.Hash = Core.Sources.RecordMapper.HashOf(said, null, keys.ContentHash);
        statement.ObservedAt = now;
        statement.Location = $"run {run.Id:N} step {write.Field}";
        statement.OrderJson = JsonDefaults.Serialize(new Dictionary<string, string> { ["*"] = Core.Sources.RecordOrder.Of(now, 0) });
        var field = workspace.Definition.Dictionary.FindField(write.Field);
        var observations = new List<Observation>();
        foreach (var s in await db.SourceRecords.AsNoTracking().Where(s => s.PersonId == person.Id && s.System != definition.Actor).ToListAsync(ct))
        {
            if (protection.DeserializeValues(s.ValuesJson).TryGetValue(write.Field, out var v))
                observations.Add(new Observation(s.System, s.NativeKey, v, s.ObservedAt, s.EffectiveFrom));
        }
        if (write.Value is not null)
            observations.Add(new Observation(definition.Actor, run.Id.ToString("N"), write.Value, now, null));
        var winner = field is null
            ? (write.Value is null ? null : new ResolvedValue(write.Value, definition.Actor, run.Id.ToString("N"), now, null))
            : Core.People.ConflictResolver.Resolve(field, observations, old).Winner;
        if (before == winner?.Value)
            return;
        var keysBefore = protection.ForCorrelation(values.ToDictionary(p => p.Key, p => (string?)p.Value.Value));
        if (winner is null)
            values.Remove(write.Field);
        else
            values[write.Field] = winner;
        person.ValuesJson = protection.SerializeResolved(values);
        person.UpdatedAt = now;
        person.Version++;
        // A field a correlation rule uses (a work email written back by pre-hire) must move the
        // person's key row with it, or the next source record carrying the new value finds no one.
        var keysAfter = protection.ForCorrelation(values.ToDictionary(p => p.Key, p => (string?)p.Value.Value));
        foreach (var rule in workspace.Definition.Dictionary.Correlation.Where(r => r.Fields.Contains(write.Field)))
        {
            var from = Correlator.KeyValue(rule, keysBefore);
            var to = Correlator.KeyValue(rule, keysAfter);
            if (from == to)
                continue;
            if (from is not null)
                await db.PersonKeys.Where(k => k.PersonId == person.Id && k.Rule == rule.Name && k.Value == from).ExecuteDeleteAsync(ct);
            if (to is not null)
                db.PersonKeys.Add(new PersonKeyRow { Rule = rule.Name, Value = to, PersonId = person.Id });
        }
        var sensitive = protection.IsSensitive(write.Field);
        db.OutboxEvents.Add(new OutboxEventRow
        {
            PersonId = person.Id,
            Type = "person.changed",
            PayloadJson = JsonDefaults.Serialize(new
            {
                fields = new[] { write.Field },
                changes = new[] { sensitive ? (object)new { field = write.Field, source = definition.Actor, sensitive = true } : new { field = write.Field, from = before, to = winner?.Value, source = definition.Actor } },
                source = definition.Actor,
            }),
            OccurredAt = now,
        });
        drafts.Add(new AuditDraft(ActorOf(run), "person.changed", "person", person.Id.ToString(),
            [sensitive ? new(write.Field, before is null ? null : "hmac:" + keys.Blind.HashExact("audit/" + write.Field, before), winner is null ? null : "hmac:" + keys.Blind.HashExact("audit/" + write.Field, winner.Value))
                : new(write.Field, before, winner?.Value)], definition.Actor, run.Id.ToString("N"), now));
    }

    internal SemaphoreSlim LimitFor(string system, WorkspaceDefinition workspace) => _systemLimits.GetOrAdd(system, s =>
    {
        var limit = workspace.FindSystem(s)?.Setting("max_concurrency") is { } text && int.TryParse(text, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 8;
        return new SemaphoreSlim(limit, limit);
    });

    /// <summary>
    /// Decides whether a disable or delete may go ahead under the target's threshold. Every decision is
    /// a row in <c>staged_writes</c> (allowed or held), taken under a per-system lock (and, on
    /// PostgreSQL, a transaction-level advisory lock, so nodes agree): concurrent workers cannot all
    /// slip under the threshold at once, and a step retried after a crash reuses its decision.
    /// </summary>
    internal async Task CheckThresholdAsync(string system, WorkspaceDefinition workspace, TargetOperation operation, Guid runId, string stepId, Guid personId, CancellationToken ct)
    {
        if (WriteThreshold.For(workspace.FindSystem(system)) is not { } threshold)
            return;
        var window = threshold.Window;
        var gate = _thresholdGates.GetOrAdd(system, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var now = clock.GetUtcNow();
            var since = now - window;
            await using var db = database.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await WriteThreshold.LockAsync(db, system, ct);
            if (await db.StagedWrites.AnyAsync(s => s.RunId == runId && s.StepId == stepId && s.Status == "allowed", ct))
                return;
            // Reconciliation's held repairs (updates) share the table but are not disables or deletes.
            var done = await db.StagedWrites.CountAsync(s => s.System == system && s.StepId != Reconciliation.Reconciler.StagedStep
                && (s.Status == "allowed" || s.Status == "released") && s.CreatedAt >= since, ct);
            var held = await db.StagedWrites.CountAsync(s => s.System == system && s.StepId != Reconciliation.Reconciler.StagedStep && s.Status == "held", ct);
            var linked = await db.AccountLinks.CountAsync(l => l.System == system, ct);
            var wouldBe = done + held + 1;
            var kind = operation.Kind.ToString().ToLowerInvariant();
            if (threshold.CountPassed(wouldBe))
                throw new ThresholdHeldException($"{kind} held: it would be disable/delete number {wouldBe} in {system} within {threshold.WindowText} (threshold: {threshold.MaxCount}); an approver must release it");
            // A share of a handful of accounts says nothing (deleting the only account is 100 %): the
            // share rule applies from ShareMinimum linked accounts on; the count rule always does.
            if (threshold.SharePassed(wouldBe, linked))
                throw new ThresholdHeldException($"{kind} held: {wouldBe} of {linked} linked accounts in {system} ({100.0 * wouldBe / linked:0.#} %) within {threshold.WindowText} is above the threshold of {threshold.MaxShare * 100:0.#} %; an approver must release it");
            db.StagedWrites.Add(new StagedWriteRow
            {
                RunId = runId,
                StepId = stepId,
                PersonId = personId,
                System = system,
                Operation = kind,
                Reason = $"within threshold ({wouldBe})",
                Status = "allowed",
                CreatedAt = now,
            });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _thresholdGates = new();

    /// <summary>Fewest linked accounts for which the share threshold is applied.</summary>
    public const int ShareMinimum = WriteThreshold.ShareMinimum;

    internal static ResiliencePipeline RetryPipeline(RetryPolicy policy, Action onRetry) =>
        policy.MaxAttempts <= 1
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ConnectorException>(e => e.IsTransient),
                MaxRetryAttempts = policy.MaxAttempts - 1,
                Delay = policy.Delay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = _ =>
                {
                    onRetry();
                    return ValueTask.CompletedTask;
                },
            }).Build();
}

internal sealed class LeaseLostException : Exception;

/// <summary>A disable or delete that would pass the target's threshold; held for an approver.</summary>
public sealed class ThresholdHeldException(string message) : Exception(message);

