using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Connectors;
using Handoff.Core.People;
using Handoff.Core.Reconciliation;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Security;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Reconciliation;

/// <summary>A reconciliation that cannot start: unknown system, not a target, no connector.</summary>
public sealed class ReconcileException(string message) : Exception(message);

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
/// are not in sync are kept for the report. Repairs are updates, which the engine's threshold does not
/// count; here the same settings hold them: when a run would repair more accounts than
/// <c>threshold_count</c> (or more than <c>threshold_share</c> of the linked accounts), no repair is
/// written and each one becomes a held <c>staged_writes</c> row (step <c>reconcile:repair</c>). Released with
/// <c>handoff staged release</c>, they are written by the next reconciliation, past the threshold.
/// </remarks>
public sealed class Reconciler(
    DatabaseOptions database,
    TimeProvider clock,
    AuditLog audit,
    WorkspaceStore workspaces,
    KeyMaterial keys,
    Func<WorkspaceDefinition, ITargetConnectorSource> connectorsFor)
{
    /// <summary>The step id of held repairs in <c>staged_writes</c> (their run id is the report id); a workflow step id cannot contain a colon.</summary>
    public const string StagedStep = "reconcile:repair";

    /// <summary>Systems that hold accounts and so can be reconciled: directories and apps.</summary>
    public static IEnumerable<SystemDefinition> Reconcilable(WorkspaceDefinition workspace) =>
        workspace.Systems.Where(s => s.Kind is SystemKind.Directory or SystemKind.App && ConnectorCatalog.Find(s.Connector) is { IsSource: false });

    public async Task<ReconciliationDetail> RunAsync(string systemId, bool dryRun, string actor, CancellationToken ct)
    {
        var workspace = (await workspaces.LoadActiveAsync(ct)).Definition;
        var valid = Reconcilable(workspace).Select(s => s.Id).ToList();
        var system = workspace.FindSystem(systemId);
        if (system is null || !valid.Contains(systemId))
        {
            var what = system is null ? $"no system \"{systemId}\" in the workspace" : $"{systemId} is a {system.Kind.ToString().ToLowerInvariant()} system ({system.Connector}), not a target with accounts";
            throw new ReconcileException($"{what}; target systems that can be reconciled: {(valid.Count == 0 ? "none" : string.Join(", ", valid))}");
        }
        var connector = connectorsFor(workspace).Find(systemId) ?? throw new ReconcileException($"no connector is configured for {systemId}");
        var reportId = Guid.NewGuid();
        var started = clock.GetUtcNow();
        var plan = ReconcilePlan.For(workspace.Dictionary, systemId, system.Setting("anchor_field") ?? "employee_id");
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
                if (classifier.Classify(account) is { } item)
                    Keep(item);
            }
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

        var outcomes = new Dictionary<ReconcileItem, (string Status, string? Error)>();
        if (error is null)
            await RepairAsync(system, workspace, connector, plan, reportId, items, dryRun, outcomes, ct);
        return await SaveAsync(system, workspace, plan, reportId, actor, dryRun, started, accounts, counts, items, outcomes, error, ct);
    }

    private async Task RepairAsync(SystemDefinition system, WorkspaceDefinition workspace, ITargetConnector connector, ReconcilePlan plan, Guid reportId,
        List<ReconcileItem> items, bool dryRun, Dictionary<ReconcileItem, (string, string?)> outcomes, CancellationToken ct)
    {
        var repairs = items.Where(i => i is { Class: AccountClass.Drifted, PersonId: not null } && i.Repairs.Any()).ToList();
        if (dryRun)
        {
            foreach (var item in repairs)
                outcomes[item] = (RepairStatus.WouldRepair, null);
            return;
        }
        HashSet<Guid> released;
        int linked;
        await using (var db = database.CreateContext())
        {
            released = [.. await db.StagedWrites.AsNoTracking().Where(s => s.System == system.Id && s.StepId == StagedStep && s.Status == "released")
                .Select(s => s.PersonId).ToListAsync(ct)];
            linked = await db.AccountLinks.CountAsync(l => l.System == system.Id, ct);
        }
        var gated = repairs.Where(r => !released.Contains(r.PersonId!.Value)).ToList();
        if (ThresholdPassed(system, gated.Count, linked) is { } reason)
        {
            foreach (var item in gated)
                outcomes[item] = (RepairStatus.Held, reason);
            repairs = [.. repairs.Except(gated)];
        }
        var limit = system.Setting("max_concurrency") is { } text && int.TryParse(text, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 8;
        var results = new System.Collections.Concurrent.ConcurrentDictionary<ReconcileItem, (string, string?)>();
        await Parallel.ForEachAsync(repairs, new ParallelOptions { MaxDegreeOfParallelism = limit, CancellationToken = ct }, async (item, token) =>
        {
            var op = new TargetOperation(TargetOperationKind.Update, ObjectClasses.Account, item.NativeId, null,
                plan.RepairAttributes(item.Repairs), $"reconcile/{reportId:N}/{item.PersonId}");
            try
            {
                var result = await connector.ApplyAsync(op, token);
                results[item] = (result.AlreadyApplied ? "already_applied" : RepairStatus.Repaired, null);
            }
            catch (ConnectorException e)
            {
                results[item] = (RepairStatus.Failed, e.Message);
            }
        });
        foreach (var (item, outcome) in results)
            outcomes[item] = outcome;
    }

    /// <summary>Why these repairs would pass the system's threshold, or null when they may go ahead.</summary>
    private static string? ThresholdPassed(SystemDefinition system, int repairs, int linked)
    {
        if (repairs == 0)
            return null;
        if (system.Setting("threshold_count") is { } countText && int.TryParse(countText, CultureInfo.InvariantCulture, out var maxCount) && repairs > maxCount)
            return $"{repairs} repairs in {system.Id} are more than the threshold of {maxCount}; an approver must release them (handoff staged release --system {system.Id})";
        if (system.Setting("threshold_share") is { } shareText && double.TryParse(shareText, NumberStyles.Float, CultureInfo.InvariantCulture, out var maxShare)
            && linked >= WorkflowEngine.ShareMinimum && (double)repairs / linked > maxShare)
            return $"{repairs} repairs of {linked} linked accounts in {system.Id} ({100.0 * repairs / linked:0.#} %) are above the threshold of {maxShare * 100:0.#} %; an approver must release them";
        return null;
    }

    private async Task<ReconciliationDetail> SaveAsync(SystemDefinition system, WorkspaceDefinition workspace, ReconcilePlan plan, Guid reportId, string actor, bool dryRun,
        DateTimeOffset started, int accounts, int[] counts, List<ReconcileItem> items, Dictionary<ReconcileItem, (string Status, string? Error)> outcomes,
        string? error, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var protection = new FieldProtection(workspace.Dictionary, keys);
        var report = new ReconciliationReportRow
        {
            Id = reportId,
            System = system.Id,
            Actor = actor,
            DryRun = dryRun,
            Status = error is null ? "completed" : "failed",
            Error = error,
            Accounts = accounts,
            InSync = counts[(int)AccountClass.InSync],
            Drifted = counts[(int)AccountClass.Drifted],
            Orphan = counts[(int)AccountClass.Orphan],
            Unmanaged = counts[(int)AccountClass.Unmanaged],
            Missing = counts[(int)AccountClass.Missing],
            Repaired = outcomes.Values.Count(o => o.Status is RepairStatus.Repaired or "already_applied"),
            Held = outcomes.Values.Count(o => o.Status == RepairStatus.Held),
            RepairFailed = outcomes.Values.Count(o => o.Status == RepairStatus.Failed),
            StartedAt = started,
            FinishedAt = now,
        };
        var correlation = reportId.ToString("N");
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.ReconciliationReports.Add(report);
        var rows = new List<ReconciliationItemRow>(items.Count);
        var drafts = new List<AuditDraft>();
        var relinks = new List<ReconcileItem>();
        foreach (var item in items)
        {
            outcomes.TryGetValue(item, out var outcome);
            var relinked = item.Relink && !dryRun && item.PersonId is not null && item.Class is AccountClass.InSync or AccountClass.Drifted;
            if (relinked)
                relinks.Add(item);
            rows.Add(new ReconciliationItemRow
            {
                ReportId = reportId,
                Class = item.Class.ToName(),
                NativeId = item.NativeId,
                PersonId = item.PersonId,
                Username = item.Username,
                MatchedBy = item.MatchedBy,
                DriftJson = JsonDefaults.Serialize(item.Drift.Select(d => new
                {
                    field = d.Field,
                    native = d.Native,
                    expected = protection.IsSensitive(d.Field) ? Redacted(d.Expected) : d.Expected,
                    actual = protection.IsSensitive(d.Field) ? Redacted(d.Actual) : d.Actual,
                    strength = Strength(d.Strength),
                })),
                Reason = item.Reason,
                Repair = outcome.Status ?? (relinked ? RepairStatus.Relinked : null),
                RepairError = outcome.Error,
            });
            if (outcome.Status is RepairStatus.Repaired or "already_applied")
            {
                drafts.Add(new AuditDraft($"system:reconcile/{system.Id}", "reconcile.repaired", "person", item.PersonId.ToString()!,
                    [.. item.Repairs.Select(d => protection.IsSensitive(d.Field)
                        ? new AuditFieldChange(d.Native, Hash(d.Field, d.Actual), Hash(d.Field, d.Expected))
                        : new AuditFieldChange(d.Native, d.Actual, d.Expected)), new("native_id", null, item.NativeId)],
                    system.Id, correlation, now));
            }
            else if (outcome.Status == RepairStatus.Held)
            {
                db.StagedWrites.Add(new StagedWriteRow
                {
                    RunId = reportId,
                    StepId = StagedStep,
                    PersonId = item.PersonId!.Value,
                    System = system.Id,
                    Operation = "account.update",
                    Reason = outcome.Error ?? "threshold",
                    CreatedAt = now,
                });
                drafts.Add(new AuditDraft($"system:reconcile/{system.Id}", "reconcile.repair_held", "person", item.PersonId.ToString()!,
                    [.. item.Repairs.Select(d => new AuditFieldChange(d.Native, null, null))], system.Id, correlation, now));
            }
        }
        db.ReconciliationItems.AddRange(rows);
        // Released repairs were written now: their hold is spent.
        if (!dryRun && outcomes.Any(o => o.Value.Status is RepairStatus.Repaired or "already_applied"))
        {
            var done = outcomes.Where(o => o.Value.Status is RepairStatus.Repaired or "already_applied").Select(o => o.Key.PersonId!.Value).ToList();
            await db.StagedWrites.Where(s => s.System == system.Id && s.StepId == StagedStep && s.Status == "released" && done.Contains(s.PersonId))
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, "applied"), ct);
        }
        foreach (var item in relinks)
            await RelinkAsync(db, system.Id, item, now, ct);
        drafts.Insert(0, new AuditDraft(actor, dryRun ? "reconcile.dry_run" : "reconcile.completed", "system", system.Id,
        [
            new("report", null, correlation),
            new("status", null, report.Status),
            new("accounts", null, Count(accounts)),
            new("in_sync", null, Count(report.InSync)),
            new("drifted", null, Count(report.Drifted)),
            new("orphan", null, Count(report.Orphan)),
            new("unmanaged", null, Count(report.Unmanaged)),
            new("missing", null, Count(report.Missing)),
            new("repaired", null, Count(report.Repaired)),
            new("held", null, Count(report.Held)),
            new("repair_failed", null, Count(report.RepairFailed)),
            .. error is null ? Array.Empty<AuditFieldChange>() : [new AuditFieldChange("error", null, error)],
        ], system.Id, correlation, now));
        await audit.AppendAsync(db, drafts, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new ReconciliationDetail(report, rows);
    }

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
            if (WorkflowSchedule.Occurrences(cron, system.Setting("reconcile_time_zone"), from, now).Cast<DateTimeOffset?>().LastOrDefault() is { } occurrence)
                done.Add(await RunAsync(system.Id, dryRun: false, $"{ScheduleActor}{occurrence.UtcDateTime:yyyy-MM-ddTHH:mmZ}", ct));
        }
        return done;
    }

    /// <summary>The actor prefix of scheduled reconciliations (followed by the occurrence they stand for).</summary>
    public const string ScheduleActor = "schedule:";
}
