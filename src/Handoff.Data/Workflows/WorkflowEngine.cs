using System.Collections.Concurrent;
using System.Text.Json;
using Handoff.Core.Audit;
using Handoff.Core.Connectors;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Events;
using Handoff.Data.People;
using Handoff.Data.Security;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Workflows;

/// <summary>Settings of the workflow engine on one node.</summary>
public sealed record EngineOptions
{
    /// <summary>Who holds a run's lease (host:pid).</summary>
    public string Node { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>A lease older than this belongs to a worker that died; its run is taken over.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Runs executed at once by <see cref="WorkflowEngine.RunDueAsync"/>. Default: 1 on SQLite
    /// (one writer at a time anyway: more workers only wait on its lock), 4 on PostgreSQL.</summary>
    public int? Workers { get; init; }

    /// <summary>Durable retry rounds (each after the step's in-process attempts) before a run fails.</summary>
    public int MaxRetryRounds { get; init; } = 8;

    /// <summary>Largest number of people a schedule trigger or a manual run may start runs for at once.</summary>
    public int PopulationCap { get; init; } = 10_000;

    /// <summary>Test hook: stop dead (print a marker and hang) right after the external write of the
    /// step with this id, before its result is committed — so a test can kill -9 the process there.</summary>
    public string? PauseAfterWriteOfStep { get; init; }
}

/// <summary>
/// The durable workflow engine (DESIGN §3): events, dates and schedules become queued runs; workers
/// claim runs with a lease, execute their steps one by one and commit each step's result, the run's
/// next state, links, canonical writes and the audit entry in one transaction. Waits, approvals and
/// threshold holds park the run (a bookmark) and free the worker. A crash between an external write
/// and its commit is repaired by the connector recognising its own write (idempotency key, anchor).
/// </summary>
public sealed partial class WorkflowEngine(
    DatabaseOptions database,
    TimeProvider clock,
    AuditLog audit,
    WorkspaceStore workspaces,
    WorkflowStore workflows,
    KeyMaterial keys,
    Func<WorkspaceDefinition, ITargetConnectorSource> connectorsFor,
    EngineOptions? options = null)
{
    private readonly EngineOptions _options = options ?? new EngineOptions();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _systemLimits = new();

    public EngineOptions Options => _options;

    public WorkflowStore Workflows => workflows;

    /// <summary>Everything due now: events to runs, date and schedule triggers, then the runs themselves.</summary>
    /// <param name="scanDates">Date and schedule triggers read every person, so the server scans them
    /// once a minute while events and due runs are handled every few seconds.</param>
    public async Task<EngineTickReport> TickAsync(CancellationToken ct, bool scanDates = true)
    {
        var queued = await DispatchEventsAsync(ct);
        if (scanDates)
            queued += await ScanTriggersAsync(ct);
        var executed = await RunDueAsync(int.MaxValue, ct);
        return new EngineTickReport(queued, executed);
    }

    // ------------------------------------------------------------------------------------------
    // Triggers
    // ------------------------------------------------------------------------------------------

    /// <summary>Turns unprocessed outbox events into queued runs of the active workflows whose event
    /// trigger and scope match, and marks the events processed — in one transaction per batch.</summary>
    public async Task<int> DispatchEventsAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var now = clock.GetUtcNow();
            await using var db = database.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var active = (await workflows.ActiveAsync(db, ct)).Where(a => a.Definition.Trigger.Kind == TriggerKind.Event).ToList();
            // With no event workflow active (a first import, before go-live) nothing is built per event:
            // larger batches are only marked, so a million-row import's events clear in minutes, not hours.
            var batch = active.Count == 0 ? 5000 : 500;
            var claim = active.Count == 0
                ? "SELECT * FROM outbox_events WHERE processed_at IS NULL ORDER BY id LIMIT 5000 FOR UPDATE SKIP LOCKED"
                : "SELECT * FROM outbox_events WHERE processed_at IS NULL ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED";
            var events = db.Database.IsNpgsql()
                ? await db.OutboxEvents.FromSqlRaw(claim).AsNoTracking().ToListAsync(ct)
                : await db.OutboxEvents.AsNoTracking().Where(e => e.ProcessedAt == null).OrderBy(e => e.Id).Take(batch).ToListAsync(ct);
            if (events.Count == 0)
                return total;
            // A workflow starts on events that happened after it was first activated, not on the history before.
            var activeIds = active.Select(a => a.Row.WorkflowId).ToList();
            var since = await db.TriggerStates.AsNoTracking().Where(t => activeIds.Contains(t.WorkflowId)).ToDictionaryAsync(t => t.WorkflowId, ct);
            var drafts = new List<AuditDraft>();
            if (active.Count > 0)
            {
                var workspace = await workspaces.LoadActiveAsync(ct);
                var protection = new FieldProtection(workspace.Definition.Dictionary, keys);
                var ids = events.Select(e => e.PersonId).Distinct().ToList();
                var people = await db.People.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
                foreach (var e in events)
                {
                    if (!people.TryGetValue(e.PersonId, out var person) || person.State == "purged")
                        continue;
                    foreach (var (row, definition) in active.Where(a => Matches(a.Definition.Trigger, e)))
                    {
                        if (since.TryGetValue(row.WorkflowId, out var state) && (state.ActiveAfterEventId is { } mark ? e.Id <= mark : e.OccurredAt < state.ActiveSince))
                            continue;
                        var view = PersonView.Of(person, workspace.Definition.Dictionary, protection, definition.Permissions);
                        if (!InScope(definition, view, now))
                            continue;
                        var run = NewRun(row, person.Id, $"event:{e.Id}", now);
                        db.Runs.Add(run);
                        drafts.Add(Queued(run, definition, e.Type, now));
                        total++;
                    }
                }
            }
            await audit.AppendAsync(db, drafts, ct);
            await db.SaveChangesAsync(ct);
            // One statement marks the batch (rather than one UPDATE per tracked event).
            var eventIds = events.Select(e => e.Id).ToList();
            await db.OutboxEvents.Where(e => eventIds.Contains(e.Id)).ExecuteUpdateAsync(u => u.SetProperty(e => e.ProcessedAt, now), ct);
            await tx.CommitAsync(ct);
        }
    }

    private static bool Matches(WorkflowTrigger trigger, OutboxEventRow e)
    {
        if (trigger.Event != e.Type)
            return false;
        if (trigger.Fields.Count == 0)
            return true;
        using var payload = JsonDocument.Parse(e.PayloadJson);
        return payload.RootElement.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Array
            && fields.EnumerateArray().Any(f => f.ValueKind == JsonValueKind.String && trigger.Fields.Contains(f.GetString()!));
    }

    /// <summary>Date and schedule triggers: everything that came due since the last scan fires once —
    /// after downtime, missed triggers fire on the first scan; the scan mark and the runs commit together.</summary>
    public async Task<int> ScanTriggersAsync(CancellationToken ct)
    {
        var total = 0;
        await using var probe = database.CreateContext();
        var active = (await workflows.ActiveAsync(probe, ct))
            .Where(a => a.Definition.Trigger.Kind is TriggerKind.Date or TriggerKind.Schedule).ToList();
        if (active.Count == 0)
            return 0;
        var workspace = await workspaces.LoadActiveAsync(ct);
        var protection = new FieldProtection(workspace.Definition.Dictionary, keys);
        foreach (var (row, definition) in active)
        {
            var now = clock.GetUtcNow();
            await using var db = database.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var state = await db.TriggerStates.FindAsync([definition.Id], ct);
            if (state is null)
            {
                db.TriggerStates.Add(new TriggerStateRow
                {
                    WorkflowId = definition.Id,
                    ActiveSince = now,
                    ScannedUntil = now,
                    ActiveAfterEventId = await db.OutboxEvents.MaxAsync(e => (long?)e.Id, ct) ?? 0,
                });
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                continue;
            }
            var from = state.ScannedUntil;
            if (now <= from)
                continue;
            var candidates = new List<(Guid Person, string Key)>();
            var trigger = definition.Trigger;
            string? cronKey = null;
            if (trigger.Kind == TriggerKind.Schedule)
            {
                // Only the latest missed occurrence fires: a week of downtime is one run per person, not seven.
                var last = WorkflowSchedule.Occurrences(trigger.Cron!, trigger.TimeZone, from, now).Cast<DateTimeOffset?>().LastOrDefault();
                cronKey = last is { } occurrence ? $"cron:{occurrence.UtcDateTime:yyyy-MM-ddTHH:mmZ}" : null;
            }
            if (trigger.Kind == TriggerKind.Date || cronKey is not null)
            {
                await foreach (var person in db.People.AsNoTracking().Where(p => p.State != "purged").AsAsyncEnumerable().WithCancellation(ct))
                {
                    var view = PersonView.Of(person, workspace.Definition.Dictionary, protection, definition.Permissions);
                    string key;
                    if (trigger.Kind == TriggerKind.Date)
                    {
                        if (!view.All.TryGetValue(trigger.DateField!, out var text) || !DateOnly.TryParse(text, out var date))
                            continue;
                        var fireAt = WorkflowTime.At(date.AddDays(trigger.OffsetDays), trigger.At ?? new TimeOnly(9, 0), view.Zone);
                        if (fireAt > now)
                            continue;
                        // Due since the last scan (or missed during downtime) — or, for a trigger before
                        // the date ("7 days before the start"), a late entry whose date is still ahead:
                        // someone hired 3 days before their start still gets the pre-hire run, like
                        // Entra's "days before" window.
                        var lateEntry = trigger.OffsetDays < 0 && WorkflowTime.At(date, trigger.At ?? new TimeOnly(9, 0), view.Zone) > now;
                        // A person entered after their moment had passed (hired on their first day, after
                        // 09:00) is onboarded still, as long as the date itself is not behind them: they did
                        // not exist when the trigger was due, so nothing ran for them then.
                        var enteredLate = person.CreatedAt > fireAt && date >= DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, view.Zone).DateTime);
                        if (fireAt <= from && !lateEntry && !enteredLate)
                            continue;
                        key = $"date:{trigger.DateField}:{date:yyyy-MM-dd}";
                    }
                    else
                    {
                        key = cronKey!;
                    }
                    if (InScope(definition, view, now))
                        candidates.Add((person.Id, key));
                }
            }
            if (candidates.Count > _options.PopulationCap)
                throw new WorkflowStateException($"{definition.Id}: {candidates.Count} people are due at once, more than the cap of {_options.PopulationCap}; nothing was started");
            var keysWanted = candidates.Select(c => c.Key).Distinct().ToList();
            var existing = (await db.Runs.AsNoTracking().Where(r => r.WorkflowId == definition.Id && keysWanted.Contains(r.TriggerKey))
                .Select(r => new { r.PersonId, r.TriggerKey }).ToListAsync(ct)).Select(r => (r.PersonId, r.TriggerKey)).ToHashSet();
            var drafts = new List<AuditDraft>();
            foreach (var (personId, key) in candidates.Where(c => !existing.Contains(c)))
            {
                var run = NewRun(row, personId, key, now);
                db.Runs.Add(run);
                drafts.Add(Queued(run, definition, key, now));
                total++;
            }
            state.ScannedUntil = now;
            await audit.AppendAsync(db, drafts, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return total;
    }

    /// <summary>Starts runs on demand for one person or everyone a filter matches (at most <paramref name="max"/>).</summary>
    public async Task<IReadOnlyList<Guid>> StartManualAsync(string workflowId, Guid? personId, string? filter, int max, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var workspace = await workspaces.LoadActiveAsync(ct);
        var protection = new FieldProtection(workspace.Definition.Dictionary, keys);
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (row, definition) = (await workflows.ActiveAsync(db, ct)).FirstOrDefault(a => a.Row.WorkflowId == workflowId);
        if (row is null)
            throw new WorkflowStateException($"{workflowId} has no active version");
        if (filter is not null && WorkflowExpressions.CheckFilter(filter, out _) is { } filterError)
            throw new WorkflowStateException($"--filter: {filterError}");
        var people = personId is { } id
            ? await db.People.AsNoTracking().Where(p => p.Id == id).ToListAsync(ct)
            : await db.People.AsNoTracking().Where(p => p.State != "purged").ToListAsync(ct);
        if (personId is not null && people.Count == 0)
            throw new WorkflowStateException($"no person {personId}");
        var chosen = new List<PersonRow>();
        foreach (var person in people)
        {
            if (person.State == "purged")
                throw new WorkflowStateException($"person {person.Id} is purged");
            var view = PersonView.Of(person, workspace.Definition.Dictionary, protection, definition.Permissions);
            var all = new Dictionary<string, object?>(view.All.ToDictionary(p => p.Key, p => PersonView.Typed(
                workspace.Definition.Dictionary.FindField(p.Key)?.Type ?? Core.Dictionary.FieldType.String, p.Value)), StringComparer.OrdinalIgnoreCase);
            if (filter is not null && !WorkflowExpressions.Matches(filter, all))
                continue;
            if (personId is null && !InScope(definition, view, now))
                continue;
            chosen.Add(person);
        }
        if (chosen.Count > max)
            throw new WorkflowStateException($"{chosen.Count} people match; the cap is {max} (raise it with --max if that is what you want)");
        var drafts = new List<AuditDraft>();
        var ids = new List<Guid>();
        foreach (var person in chosen)
        {
            var run = NewRun(row, person.Id, $"manual:{actor}", now);
            run.TriggerKey += ":" + run.Id.ToString("N")[..12];
            db.Runs.Add(run);
            ids.Add(run.Id);
            drafts.Add(Queued(run, definition, $"manual by {actor}", now) with { Actor = $"user:{actor}" });
        }
        await audit.AppendAsync(db, drafts, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return ids;
    }

    private static bool InScope(WorkflowDefinition definition, PersonView view, DateTimeOffset now) =>
        definition.Scope is not { } scope || WorkflowExpressions.Matches(scope, view.TemplateValues(definition.Name, Guid.Empty, now, EmptySteps));

    private static readonly IReadOnlyDictionary<string, Dictionary<string, object?>> EmptySteps = new Dictionary<string, Dictionary<string, object?>>();

    private static RunRow NewRun(WorkflowVersionRow version, Guid personId, string key, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid(),
        WorkflowId = version.WorkflowId,
        VersionId = version.Id,
        Version = version.Version,
        PersonId = personId,
        TriggerKey = key,
        Status = RunStatus.Queued,
        DueAt = now,
        CreatedAt = now,
    };

    private static AuditDraft Queued(RunRow run, WorkflowDefinition definition, string cause, DateTimeOffset now) =>
        new(ActorOf(run), "workflow.run_queued", "person", run.PersonId.ToString(),
            [new("trigger", null, cause), new("workflow", null, definition.Name)], null, run.Id.ToString("N"), now);

    internal static string ActorOf(RunRow run) => $"workflow:{run.WorkflowId}@v{run.Version}/run:{run.Id:N}";
}

public sealed record EngineTickReport(int Queued, int Executed);
