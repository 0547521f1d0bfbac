using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Connectors;
using Handoff.Core.People;
using Handoff.Core.Reconciliation;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Cluster;
using Handoff.Data.Security;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Reconciliation;

/// <summary>A reconciliation that cannot start: unknown system, not a target, no connector.</summary>
public class ReconcileException(string message) : Exception(message);

/// <summary>Another node or process is reconciling the system now (it holds the system's lease).</summary>
public sealed class ReconcileBusyException(string message) : ReconcileException(message);

/// <summary>A report with its items (everything but the in-sync accounts).</summary>
public sealed record ReconciliationDetail(ReconciliationReportRow Report, IReadOnlyList<ReconciliationItemRow> Items);

/// <summary>
/// Reconciliation of one target system (DESIGN §3): reads every account (paged, streamed), ties each to
/// its link and person, classifies it (<see cref="AccountClassifier"/>), repairs <c>enforce</c> drift
/// through the connector and records a report, its items and audit entries.
/// </summary>
/// <remarks>
/// Memory stays flat in the number of accounts: links and people are loaded once as compact indexes
/// (ids, state, the bound canonical values), accounts stream one page at a time, and only accounts that
/// are not in sync are kept for the report. The report is committed before the first repair (status
/// <c>repairing</c>, repairs <c>pending</c>), and each repair's outcome is committed on its item as the
/// connector answers, so a crash leaves a report that says what was written; the next run marks it
/// <c>interrupted</c> and reads the target again. Repairs pass the system's <see cref="WriteThreshold"/>
/// counted over its window (default 24 h), in their own bucket of <c>staged_writes</c> (step
/// <c>reconcile:repair</c>): a run that would pass it writes none of its repairs and holds each one for an
/// approver (<c>handoff staged release</c>); the next reconciliation writes the released ones.
/// </remarks>
public sealed class Reconciler(
    DatabaseOptions database,
    TimeProvider clock,
    AuditLog audit,
    WorkspaceStore workspaces,
    KeyMaterial keys,
    Func<WorkspaceDefinition, ITargetConnectorSource> connectorsFor,
    JobLease? leases = null)
{
    private readonly JobLease _leases = leases ?? new JobLease(database, clock, $"{Environment.MachineName}:{Environment.ProcessId}", TimeSpan.FromSeconds(60));

    /// <summary>The cluster lease a repairing run of <paramref name="systemId"/> holds: one at a time across every node and process.</summary>
    public static string LeaseName(string systemId) => "reconcile:" + systemId;

    /// <summary>The step id of held repairs in <c>staged_writes</c> (their run id is the report id); a workflow step id cannot contain a colon.</summary>
    public const string StagedStep = "reconcile:repair";

    /// <summary>Systems that hold accounts and so can be reconciled: directories and apps.</summary>
    public static IEnumerable<SystemDefinition> Reconcilable(WorkspaceDefinition workspace) =>
        workspace.Systems.Where(s => s.Kind is SystemKind.Directory or SystemKind.App && ConnectorCatalog.Find(s.Connector) is { IsSource: false });

    /// <summary>Reconciles <paramref name="systemId"/>. A run that may repair holds the system's cluster lease
    /// (<see cref="LeaseName"/>) from its first read to its last repair; while another node or process
    /// holds it, the run is refused with the holder's name. A dry run writes nothing and needs no lease.</summary>
    /// <param name="progress">accounts read so far</param>
    public async Task<ReconciliationDetail> RunAsync(string systemId, bool dryRun, string actor, CancellationToken ct, IProgress<long>? progress = null)
    {
        var workspace = (await workspaces.LoadActiveAsync(ct)).Definition;
        var system = Target(workspace, systemId);
        if (dryRun)
            return await RunHeldAsync(workspace, system, dryRun, actor, progress, ct);
        // In one process the runs of a system queue on the gate (they share the node's lease, which the
        // first to finish would otherwise give up under the second); across processes the lease decides.
        var gate = Gates.GetOrAdd(systemId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var (hold, holder) = await LeaseHold.TryTakeAsync(_leases, LeaseName(systemId), ct);
            if (hold is null)
                throw new ReconcileBusyException($"{systemId} is being reconciled by {holder?.Holder ?? "another node"} (its lease runs until {holder?.LeaseUntil:u}); try again when that run has finished");
            await using (hold)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, hold.Lost);
                try
                {
                    return await RunHeldAsync(workspace, system, dryRun, actor, progress, linked.Token);
                }
                catch (OperationCanceledException) when (hold.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    throw new ReconcileException($"the reconciliation of {systemId} stopped: its lease {LeaseName(systemId)} was lost (this node was paused past it, or the database was away); " +
                        "the report stays 'repairing' and the next run picks it up");
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The system <paramref name="systemId"/> names when it is a target that can be reconciled;
    /// otherwise a <see cref="ReconcileException"/> that lists the ones that can.</summary>
    public static SystemDefinition Target(WorkspaceDefinition workspace, string systemId)
    {
        var valid = Reconcilable(workspace).Select(s => s.Id).ToList();
        var system = workspace.FindSystem(systemId);
        if (system is not null && valid.Contains(systemId))
            return system;
        var what = system is null ? $"no system \"{systemId}\" in the workspace" : $"{systemId} is a {system.Kind.ToString().ToLowerInvariant()} system ({system.Connector}), not a target with accounts";
        throw new ReconcileException($"{what}; target systems that can be reconciled: {(valid.Count == 0 ? "none" : string.Join(", ", valid))}");
    }

    private async Task<ReconciliationDetail> RunHeldAsync(WorkspaceDefinition workspace, SystemDefinition system, bool dryRun, string actor, IProgress<long>? progress, CancellationToken ct)
    {
        var systemId = system.Id;
        var connector = connectorsFor(workspace).Find(systemId) ?? throw new ReconcileException($"no connector is configured for {systemId}");
        var reportId = Guid.NewGuid();
        var started = clock.GetUtcNow();
        GroupRule? groups;
        try
        {
            groups = GroupRule.For(system);
        }
        catch (Exception e) when (e is InvalidOperationException or Core.Templates.TemplateSyntaxException)
        {
            throw new ReconcileException(e.Message);
        }
        var plan = ReconcilePlan.For(workspace.Dictionary, systemId, system.Setting("anchor_field") ?? "employee_id", groups);
        var classifier = new AccountClassifier(plan);
        var protection = new FieldProtection(workspace.Dictionary, keys);

        await using (var db = database.CreateContext())
        {
            await foreach (var l in db.AccountLinks.AsNoTracking().Where(l => l.System == systemId)
                .Select(l => new { l.Id, l.PersonId, l.NativeId, l.Username }).AsAsyncEnumerable().WithCancellation(ct))
                classifier.AddLink(new LinkShadow(l.Id, l.PersonId, l.NativeId, l.Username));
            // One person at a time: the stored JSON (with provenance, encrypted sensitive values) is
            // dropped as soon as the few bound values are taken from it.
            await foreach (var p in db.People.AsNoTracking().Select(p => new { p.Id, p.State, p.ValuesJson }).AsAsyncEnumerable().WithCancellation(ct))
            {
                var values = protection.DeserializeResolved(p.ValuesJson).ToDictionary(v => v.Key, v => (string?)v.Value.Value, StringComparer.Ordinal);
                classifier.AddPerson(plan.Expect(p.Id, LifecycleStateNames.Parse(p.State), values));
            }
        }

        var counts = new int[AccountClassNames.All.Count];
        var items = new List<ReconcileItem>();
        var accounts = 0;
        string? error = null;
        try
        {
            await foreach (var account in connector.ReadAsync(ObjectClasses.Account, ct))
            {
                accounts++;
                if (accounts % 1000 == 0)
                    progress?.Report(accounts);
                if (classifier.Classify(account) is { } item)
                    Keep(item);
            }
            progress?.Report(accounts);
            foreach (var item in classifier.Finish())
                Keep(item);
        }
        catch (ConnectorException e)
        {
            // A target that cannot be read cannot be judged: no missing accounts, no repairs — a failed report.
            error = e.Message;
        }

        void Keep(ReconcileItem item)
        {
            counts[(int)item.Class]++;
            if (item.Class != AccountClass.InSync || item.Relink)
                items.Add(item);
        }

        var run = new RunState(system, workspace, plan, reportId, actor, dryRun, started, accounts, counts, items, error);
        var pending = await CommitReportAsync(run, ct);
        if (pending.Count > 0)
        {
            await ApplyRepairsAsync(run, connector, pending, ct);
            await FinishAsync(run, ct);
        }
        return await GetAsync(reportId.ToString(), ct);
    }

    /// <summary>One process runs one repairing reconciliation of a system at a time (the CLI, the schedule and the web page share it).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    private sealed record RunState(SystemDefinition System, WorkspaceDefinition Workspace, ReconcilePlan Plan, Guid ReportId, string Actor, bool DryRun,
        DateTimeOffset Started, int Accounts, int[] Counts, List<ReconcileItem> Items, string? Error)
    {
        public string Correlation => ReportId.ToString("N");
        public string AuditActor => $"system:reconcile/{System.Id}";
        public Dictionary<ReconcileItem, (string Status, string? Error)> Outcomes { get; } = [];
    }

    /// <summary>
    /// The durable half before any write: picks up an interrupted earlier run, decides the threshold for
    /// this run's repairs (under the threshold lock), and commits the report (status <c>repairing</c> when
    /// repairs follow), every item (repairs <c>pending</c>, <c>held</c> or <c>would_repair</c>), the
    /// threshold's <c>staged_writes</c> rows and the relinks — in one transaction. Returns the repairs to write,
    /// each with its item row id.
    /// </summary>
    private async Task<List<(ReconcileItem Item, long RowId, bool Released)>> CommitReportAsync(RunState run, CancellationToken ct)
    {
        var system = run.System;
        var now = clock.GetUtcNow();
        var protection = new FieldProtection(run.Workspace.Dictionary, keys);
        var repairs = run.Error is null ? run.Items.Where(i => i is { Class: AccountClass.Drifted, PersonId: not null } && i.NeedsRepair).ToList() : [];
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var drafts = new List<AuditDraft>();
        // A dry run writes nothing, so it leaves an earlier run's unfinished repairs to the next real run
        // (which holds the lease: the earlier run is surely over).
        if (!run.DryRun)
            await PickUpInterruptedAsync(db, run, drafts, now, ct);

        var toApply = new List<(ReconcileItem Item, bool Released)>();
        var newHolds = new List<ReconcileItem>();
        if (run.DryRun)
        {
            foreach (var item in repairs)
                run.Outcomes[item] = (RepairStatus.WouldRepair, null);
        }
        else if (repairs.Count > 0)
        {
            await WriteThreshold.LockAsync(db, system.Id, ct);
            var mine = db.StagedWrites.Where(s => s.System == system.Id && s.StepId == StagedStep);
            HashSet<Guid> released = [.. await mine.Where(s => s.Status == "released").Select(s => s.PersonId).ToListAsync(ct)];
            HashSet<Guid> held = [.. await mine.Where(s => s.Status == "held").Select(s => s.PersonId).ToListAsync(ct)];
            foreach (var item in repairs.Where(r => released.Contains(r.PersonId!.Value)))
                toApply.Add((item, true));
            // Once held, a repair waits for an approver, whatever the window says later — as the engine's holds do.
            foreach (var item in repairs.Where(r => !released.Contains(r.PersonId!.Value) && held.Contains(r.PersonId!.Value)))
                run.Outcomes[item] = (RepairStatus.Held, $"held by an earlier reconciliation of {system.Id}; an approver must release it (handoff staged release --system {system.Id})");
            var gated = repairs.Where(r => !released.Contains(r.PersonId!.Value) && !held.Contains(r.PersonId!.Value)).ToList();
            if (gated.Count > 0 && WriteThreshold.For(system) is { } threshold)
            {
                var since = now - threshold.Window;
                var done = await mine.CountAsync(s => (s.Status == "allowed" || s.Status == "released" || s.Status == "applied") && s.CreatedAt >= since, ct);
                var linked = await db.AccountLinks.CountAsync(l => l.System == system.Id, ct);
                var wouldBe = done + held.Count + gated.Count;
                var reason = threshold.CountPassed(wouldBe)
                    ? $"{gated.Count} repairs would make {wouldBe} in {system.Id} within {threshold.WindowText} (threshold: {threshold.MaxCount}); an approver must release them (handoff staged release --system {system.Id})"
                    : threshold.SharePassed(wouldBe, linked)
                        ? $"{gated.Count} repairs would make {wouldBe} of {linked} linked accounts in {system.Id} ({100.0 * wouldBe / linked:0.#} %) within {threshold.WindowText}, above the threshold of {threshold.MaxShare * 100:0.#} %; an approver must release them"
                        : null;
                if (reason is not null)
                {
                    // A mass drift is what the threshold is for: none of this run's repairs is written.
                    foreach (var item in gated)
                        run.Outcomes[item] = (RepairStatus.Held, reason);
                    newHolds.AddRange(gated);
                    gated = [];
                }
                else
                {
                    foreach (var item in gated)
                        db.StagedWrites.Add(StagedRow(run, item, $"within threshold ({wouldBe})", "allowed", now));
                }
            }
            toApply.AddRange(gated.Select(g => (g, false)));
            foreach (var (item, _) in toApply)
                run.Outcomes[item] = (RepairStatus.Pending, null);
        }

        var report = new ReconciliationReportRow
        {
            Id = run.ReportId,
            System = system.Id,
            Actor = run.Actor,
            DryRun = run.DryRun,
            Status = run.Error is not null ? "failed" : toApply.Count > 0 ? ReportStatus.Repairing : "completed",
            Error = run.Error,
            Accounts = run.Accounts,
            InSync = run.Counts[(int)AccountClass.InSync],
            Drifted = run.Counts[(int)AccountClass.Drifted],
            Orphan = run.Counts[(int)AccountClass.Orphan],
            Unmanaged = run.Counts[(int)AccountClass.Unmanaged],
            Missing = run.Counts[(int)AccountClass.Missing],
            Held = run.Outcomes.Values.Count(o => o.Status == RepairStatus.Held),
            StartedAt = run.Started,
            FinishedAt = now,
        };
        db.ReconciliationReports.Add(report);
        var rows = new Dictionary<ReconcileItem, ReconciliationItemRow>();
        var relinks = new List<ReconcileItem>();
        foreach (var item in run.Items)
        {
            run.Outcomes.TryGetValue(item, out var outcome);
            var relinked = item.Relink && !run.DryRun && item.PersonId is not null && item.Class is AccountClass.InSync or AccountClass.Drifted;
            if (relinked)
                relinks.Add(item);
            rows[item] = new ReconciliationItemRow
            {
                ReportId = run.ReportId,
                Class = item.Class.ToName(),
                NativeId = item.NativeId,
                PersonId = item.PersonId,
                Username = item.Username,
                MatchedBy = item.MatchedBy,
                DriftJson = JsonDefaults.Serialize(item.Drift.Select(d => new DriftEntry(d.Field, d.Native,
                    protection.IsSensitive(d.Field) ? Redacted(d.Expected) : d.Expected,
                    protection.IsSensitive(d.Field) ? Redacted(d.Actual) : d.Actual,
                    Strength(d.Strength)))
                    .Concat((item.Groups ?? []).Select(g => new DriftEntry(GroupField, g.Group, g.Missing ? Member : null, g.Missing ? null : Member,
                        item.GroupsEnforced ? "enforce" : "report")))),
                Reason = item.Reason,
                Repair = outcome.Status ?? (relinked ? RepairStatus.Relinked : null),
                RepairError = outcome.Error,
            };
            if (outcome.Status == RepairStatus.Held)
            {
                drafts.Add(new AuditDraft(run.AuditActor, "reconcile.repair_held", "person", item.PersonId.ToString()!,
                    [.. item.Repairs.Select(d => new AuditFieldChange(d.Native, null, null)), .. item.GroupRepairs.Select(g => new AuditFieldChange($"{GroupField}:{g.Group}", null, null))],
                    system.Id, run.Correlation, now));
            }
        }
        foreach (var item in newHolds)
            db.StagedWrites.Add(StagedRow(run, item, run.Outcomes[item].Error ?? "threshold", "held", now));
        db.ReconciliationItems.AddRange(rows.Values);
        foreach (var item in relinks)
            await RelinkAsync(db, system.Id, item, now, ct);
        if (report.Status != ReportStatus.Repairing)
            drafts.Add(Summary(run, report, now));
        await audit.AppendAsync(db, drafts, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return [.. toApply.Select(a => (a.Item, rows[a.Item].Id, a.Released))];
    }

    /// <summary>The <c>field</c> of a membership in <c>drift_json</c>; its <c>native</c> is the group's name,
    /// <c>expected</c>/<c>actual</c> say "member" or nothing.</summary>
    public const string GroupField = "group";
    private const string Member = "member";

    private sealed record DriftEntry(string Field, string Native, string? Expected, string? Actual, string Strength);

    private static StagedWriteRow StagedRow(RunState run, ReconcileItem item, string reason, string status, DateTimeOffset now) => new()
    {
        RunId = run.ReportId,
        StepId = StagedStep,
        PersonId = item.PersonId!.Value,
        System = run.System.Id,
        Operation = "account.update",
        Reason = reason,
        Status = status,
        CreatedAt = now,
    };

    /// <summary>
    /// An earlier run of this system that stopped between its report and its last repair (a crash, a
    /// shutdown) still says <c>repairing</c>: it becomes <c>interrupted</c>, its pending repairs say so, and
    /// their threshold reservations are returned. This run reads the target again, so what the earlier run
    /// wrote is in sync now and what it did not write is drift again, repaired (or held) here.
    /// </summary>
    private async Task PickUpInterruptedAsync(HandoffDbContext db, RunState run, List<AuditDraft> drafts, DateTimeOffset now, CancellationToken ct)
    {
        var stale = await db.ReconciliationReports.Where(r => r.System == run.System.Id && r.Status == ReportStatus.Repairing).ToListAsync(ct);
        foreach (var report in stale)
        {
            var pending = await db.ReconciliationItems.Where(i => i.ReportId == report.Id && i.Repair == RepairStatus.Pending).ToListAsync(ct);
            foreach (var item in pending)
            {
                item.Repair = RepairStatus.Interrupted;
                item.RepairError = $"the run stopped before this repair; report {run.Correlation} reconciled {run.System.Id} again";
            }
            var persons = pending.Where(i => i.PersonId is not null).Select(i => i.PersonId!.Value).ToList();
            await db.StagedWrites.Where(s => s.RunId == report.Id && s.StepId == StagedStep && s.Status == "allowed" && persons.Contains(s.PersonId)).ExecuteDeleteAsync(ct);
            report.Status = ReportStatus.Interrupted;
            report.Repaired = await db.ReconciliationItems.CountAsync(i => i.ReportId == report.Id && (i.Repair == RepairStatus.Repaired || i.Repair == RepairStatus.AlreadyApplied), ct);
            report.RepairFailed = await db.ReconciliationItems.CountAsync(i => i.ReportId == report.Id && i.Repair == RepairStatus.Failed, ct);
            report.FinishedAt = now;
            drafts.Add(new AuditDraft(run.AuditActor, "reconcile.interrupted", "system", run.System.Id,
            [
                new("report", null, report.Id.ToString("N")),
                new("repaired", null, Count(report.Repaired)),
                new("repair_failed", null, Count(report.RepairFailed)),
                new("not_done", null, Count(pending.Count)),
                new("picked_up_by", null, run.Correlation),
            ], run.System.Id, report.Id.ToString("N"), now));
        }
    }

    /// <summary>Writes the repairs under the system's <c>max_concurrency</c>; each outcome is committed on its
    /// item, with its audit entry, as soon as the connector answers — a crash leaves the rest <c>pending</c>.</summary>
    private async Task ApplyRepairsAsync(RunState run, ITargetConnector connector, List<(ReconcileItem Item, long RowId, bool Released)> repairs, CancellationToken ct)
    {
        var limit = run.System.Setting("max_concurrency") is { } text && int.TryParse(text, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 8;
        await Parallel.ForEachAsync(repairs, new ParallelOptions { MaxDegreeOfParallelism = limit, CancellationToken = ct }, async (repair, _) =>
        {
            var (item, rowId, released) = repair;
            var key = $"reconcile/{run.Correlation}/{item.PersonId}";
            var ops = new List<TargetOperation>();
            if (item.Repairs.Any())
                ops.Add(new TargetOperation(TargetOperationKind.Update, ObjectClasses.Account, item.NativeId, null, run.Plan.RepairAttributes(item.Repairs), key));
            // Never an empty list to RemoveFromGroups: that means "every group".
            if (item.GroupRepairs.Where(g => g.Missing).Select(g => g.Group).ToList() is { Count: > 0 } join)
                ops.Add(new TargetOperation(TargetOperationKind.AddToGroups, ObjectClasses.Account, item.NativeId, null, new Dictionary<string, object?> { [AccountAttributes.Groups] = join }, key + "/join"));
            if (item.GroupRepairs.Where(g => !g.Missing).Select(g => g.Group).ToList() is { Count: > 0 } leave)
                ops.Add(new TargetOperation(TargetOperationKind.RemoveFromGroups, ObjectClasses.Account, item.NativeId, null, new Dictionary<string, object?> { [AccountAttributes.Groups] = leave }, key + "/leave"));
            (string Status, string? Error) outcome;
            try
            {
                // The run's own token, not the loop's: one repair that throws stops new ones from starting
                // but does not cut off writes already in flight, whose outcomes are then recorded.
                var already = true;
                foreach (var op in ops)
                    already &= (await connector.ApplyAsync(op, ct)).AlreadyApplied;
                outcome = (already ? RepairStatus.AlreadyApplied : RepairStatus.Repaired, null);
            }
            catch (ConnectorException e)
            {
                outcome = (RepairStatus.Failed, e.Message);
            }
            // What the target now holds is recorded even when the run is being stopped.
            await RecordRepairAsync(run, item, rowId, released, outcome, CancellationToken.None);
        });
    }

    private async Task RecordRepairAsync(RunState run, ReconcileItem item, long rowId, bool released, (string Status, string? Error) outcome, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var protection = new FieldProtection(run.Workspace.Dictionary, keys);
        var person = item.PersonId!.Value;
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.ReconciliationItems.Where(i => i.Id == rowId)
            .ExecuteUpdateAsync(u => u.SetProperty(i => i.Repair, outcome.Status).SetProperty(i => i.RepairError, outcome.Error), ct);
        AuditDraft draft;
        if (outcome.Status == RepairStatus.Failed)
        {
            // Nothing was written: the repair does not count toward the threshold's window.
            await db.StagedWrites.Where(s => s.RunId == run.ReportId && s.StepId == StagedStep && s.PersonId == person && s.Status == "allowed").ExecuteDeleteAsync(ct);
            draft = new AuditDraft(run.AuditActor, "reconcile.repair_failed", "person", person.ToString(),
                [new("native_id", null, item.NativeId), new("error", null, outcome.Error)], run.System.Id, run.Correlation, now);
        }
        else
        {
            // A released hold is spent once its repair is written.
            if (released)
                await db.StagedWrites.Where(s => s.System == run.System.Id && s.StepId == StagedStep && s.Status == "released" && s.PersonId == person)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, "applied"), ct);
            draft = new AuditDraft(run.AuditActor, "reconcile.repaired", "person", person.ToString(),
                [.. item.Repairs.Select(d => protection.IsSensitive(d.Field)
                    ? new AuditFieldChange(d.Native, Hash(d.Field, d.Actual), Hash(d.Field, d.Expected))
                    : new AuditFieldChange(d.Native, d.Actual, d.Expected)),
                 .. item.GroupRepairs.Select(g => new AuditFieldChange($"{GroupField}:{g.Group}", g.Missing ? null : Member, g.Missing ? Member : null)),
                 new("native_id", null, item.NativeId)],
                run.System.Id, run.Correlation, now);
        }
        await audit.AppendAsync(db, [draft], ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        lock (run.Outcomes)
            run.Outcomes[item] = outcome;
    }

    /// <summary>Every repair has its outcome: the report's counts and final status, and the run's summary audit entry.</summary>
    private async Task FinishAsync(RunState run, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var report = await db.ReconciliationReports.SingleAsync(r => r.Id == run.ReportId, ct);
        report.Repaired = run.Outcomes.Values.Count(o => o.Status is RepairStatus.Repaired or RepairStatus.AlreadyApplied);
        report.RepairFailed = run.Outcomes.Values.Count(o => o.Status == RepairStatus.Failed);
        report.Status = "completed";
        report.FinishedAt = now;
        await audit.AppendAsync(db, [Summary(run, report, now)], ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private static AuditDraft Summary(RunState run, ReconciliationReportRow report, DateTimeOffset now) =>
        new(run.Actor, run.DryRun ? "reconcile.dry_run" : "reconcile.completed", "system", run.System.Id,
        [
            new("report", null, run.Correlation),
            new("status", null, report.Status),
            new("accounts", null, Count(report.Accounts)),
            new("in_sync", null, Count(report.InSync)),
            new("drifted", null, Count(report.Drifted)),
            new("orphan", null, Count(report.Orphan)),
            new("unmanaged", null, Count(report.Unmanaged)),
            new("missing", null, Count(report.Missing)),
            new("repaired", null, Count(report.Repaired)),
            new("held", null, Count(report.Held)),
            new("repair_failed", null, Count(report.RepairFailed)),
            .. report.Error is null ? Array.Empty<AuditFieldChange>() : [new AuditFieldChange("error", null, report.Error)],
        ], run.System.Id, run.Correlation, now);

    private string? Hash(string field, string? value) => value is null ? null : "hmac:" + keys.Blind.HashExact("audit/" + field, value);

    private static string? Redacted(string? value) => value is null ? null : "(sensitive)";

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Strength(Core.Dictionary.WriteStrength s) => s switch
    {
        Core.Dictionary.WriteStrength.Enforce => "enforce",
        Core.Dictionary.WriteStrength.OnCreate => "on_create",
        _ => "if_empty",
    };

    /// <summary>The account belongs to the person but the link did not name it: the link names it again.</summary>
    private static async Task RelinkAsync(HandoffDbContext db, string system, ReconcileItem item, DateTimeOffset now, CancellationToken ct)
    {
        var link = await db.AccountLinks.FirstOrDefaultAsync(l => l.System == system && l.PersonId == item.PersonId, ct);
        if (link is null)
            db.AccountLinks.Add(link = new AccountLinkRow { System = system, PersonId = item.PersonId!.Value, CreatedAt = now, State = "active" });
        link.NativeId = item.NativeId!;
        link.Username = item.Username ?? link.Username;
        link.UpdatedAt = now;
    }

    // ------------------------------------------------------------------------------------------
    // Reports
    // ------------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<ReconciliationReportRow>> ListAsync(string? system, int limit, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var q = db.ReconciliationReports.AsNoTracking();
        if (system is not null)
            q = q.Where(r => r.System == system);
        return await q.OrderByDescending(r => r.StartedAt).Take(limit).ToListAsync(ct);
    }

    /// <summary>A report by id or unique id prefix (at least 4 characters), with its items.</summary>
    public async Task<ReconciliationDetail> GetAsync(string reference, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        Guid id;
        if (!Guid.TryParse(reference, out id))
        {
            var prefix = reference.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
            if (prefix.Length < 4)
                throw new ReconcileException("give at least 4 characters of the report id");
            var ids = await db.ReconciliationReports.AsNoTracking().Select(r => r.Id).ToListAsync(ct);
            var matches = ids.Where(i => i.ToString("N").StartsWith(prefix, StringComparison.Ordinal)).Take(2).ToList();
            id = matches.Count switch
            {
                1 => matches[0],
                0 => throw new ReconcileException($"no reconciliation report {reference}"),
                _ => throw new ReconcileException($"report id {reference} is ambiguous; give more characters"),
            };
        }
        var report = await db.ReconciliationReports.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct)
            ?? throw new ReconcileException($"no reconciliation report {reference}");
        var items = await db.ReconciliationItems.AsNoTracking().Where(i => i.ReportId == id).OrderBy(i => i.Id).ToListAsync(ct);
        return new ReconciliationDetail(report, items);
    }

    // ------------------------------------------------------------------------------------------
    // Schedule
    // ------------------------------------------------------------------------------------------

    /// <summary>Runs the scheduled reconciliations that are due: each system whose <c>reconcile:</c> cron had
    /// an occurrence since its last scheduled report (or since <paramref name="since"/>, when it has none —
    /// the server's start) runs once, however many occurrences were missed while nothing ran.</summary>
    public async Task<IReadOnlyList<ReconciliationDetail>> RunDueAsync(DateTimeOffset since, CancellationToken ct)
    {
        var workspace = (await workspaces.LoadActiveAsync(ct)).Definition;
        var now = clock.GetUtcNow();
        var done = new List<ReconciliationDetail>();
        foreach (var system in Reconcilable(workspace))
        {
            if (system.Setting("reconcile") is not { Length: > 0 } cron)
                continue;
            DateTimeOffset? last;
            await using (var db = database.CreateContext())
            {
                last = await db.ReconciliationReports.AsNoTracking().Where(r => r.System == system.Id && r.Actor.StartsWith(ScheduleActor))
                    .OrderByDescending(r => r.StartedAt).Select(r => (DateTimeOffset?)r.StartedAt).FirstOrDefaultAsync(ct);
            }
            var from = last ?? since;
            if (WorkflowSchedule.Occurrences(cron, system.Setting("reconcile_time_zone"), from, now).Cast<DateTimeOffset?>().LastOrDefault() is not { } occurrence)
                continue;
            try
            {
                done.Add(await RunAsync(system.Id, dryRun: false, $"{ScheduleActor}{occurrence.UtcDateTime:yyyy-MM-ddTHH:mmZ}", ct));
            }
            catch (ReconcileBusyException)
            {
                // Someone is reconciling it right now (by hand, elsewhere); the occurrence stays due and
                // the next look, a minute later, runs it once that run has finished.
            }
        }
        return done;
    }

    /// <summary>The actor prefix of scheduled reconciliations (followed by the occurrence they stand for).</summary>
    public const string ScheduleActor = "schedule:";
}
