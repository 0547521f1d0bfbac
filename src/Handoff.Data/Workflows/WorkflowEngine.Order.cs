using System.Globalization;
using Handoff.Core.Workflows;
using Handoff.Core.Workflows.Steps;
using Handoff.Core.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Workflows;

/// <summary>
/// Per-person order (issue #14, item 7). The runs of one person start in the order of what started
/// them: a run that has not started yet is held back while a run of the same person that comes
/// earlier is queued or running. A run parked on a bookmark (an approval that may take days, a
/// timer, a held write) does not hold others back; a step that needs the account such a run will
/// create waits for it instead (<see cref="AccountCreatorAsync"/>).
/// </summary>
public sealed partial class WorkflowEngine
{
    /// <summary>What a run parked by <see cref="AccountCreatorAsync"/> waits for.</summary>
    public const string AccountWait = "account";

    /// <summary>How often a step waiting for another run to create the account looks again, besides
    /// being woken when a run of the person creates an account or ends.</summary>
    public static readonly TimeSpan AccountRecheck = TimeSpan.FromMinutes(10);

    /// <summary>Where a run stands among the runs of its person: when what started it happened
    /// (the event, the date trigger's moment, the cron occurrence, the manual start), then its kind
    /// and number (the outbox event id). Equal orders (two workflows started by one event) run side by side.</summary>
    private readonly record struct RunOrder(DateTimeOffset Moment, int Kind, long Number) : IComparable<RunOrder>
    {
        public int CompareTo(RunOrder other)
        {
            var c = Moment.CompareTo(other.Moment);
            if (c != 0)
                return c;
            c = Kind.CompareTo(other.Kind);
            return c != 0 ? c : Number.CompareTo(other.Number);
        }
    }

    private sealed record ActiveRun(Guid Id, Guid PersonId, Guid VersionId, string TriggerKey, DateTimeOffset CreatedAt);

    /// <summary>The runs among <paramref name="candidates"/> (due, not yet started) that an earlier run
    /// of the same person, queued or running, holds back.</summary>
    private async Task<HashSet<Guid>> HeldBackAsync(HandoffDbContext db, IReadOnlyCollection<(Guid Id, Guid PersonId)> candidates, CancellationToken ct)
    {
        var held = new HashSet<Guid>();
        if (candidates.Count == 0)
            return held;
        var personIds = candidates.Select(c => c.PersonId).Distinct().ToList();
        var active = await db.Runs.AsNoTracking()
            .Where(r => personIds.Contains(r.PersonId) && (r.Status == RunStatus.Queued || r.Status == RunStatus.Running))
            .Select(r => new ActiveRun(r.Id, r.PersonId, r.VersionId, r.TriggerKey, r.CreatedAt)).ToListAsync(ct);
        var crowded = active.GroupBy(r => r.PersonId).Where(g => g.Count() > 1).ToList();
        if (crowded.Count == 0)
            return held;
        var runs = crowded.SelectMany(g => g).ToList();
        var orders = await OrdersAsync(db, runs, ct);
        var wanted = candidates.Select(c => c.Id).ToHashSet();
        foreach (var person in crowded)
        {
            foreach (var run in person.Where(r => wanted.Contains(r.Id)))
            {
                if (person.Any(o => o.Id != run.Id && orders[o.Id].CompareTo(orders[run.Id]) < 0))
                    held.Add(run.Id);
            }
        }
        return held;
    }

    private async Task<Dictionary<Guid, RunOrder>> OrdersAsync(HandoffDbContext db, IReadOnlyList<ActiveRun> runs, CancellationToken ct)
    {
        static long? EventId(string key) =>
            key.StartsWith("event:", StringComparison.Ordinal) && long.TryParse(key.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

        var eventIds = runs.Select(r => EventId(r.TriggerKey)).OfType<long>().Distinct().ToList();
        var occurred = eventIds.Count == 0
            ? []
            : await db.OutboxEvents.AsNoTracking().Where(e => eventIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, e => e.OccurredAt, ct);
        var versionIds = runs.Where(r => r.TriggerKey.StartsWith("date:", StringComparison.Ordinal)).Select(r => r.VersionId).Distinct().ToList();
        var versions = versionIds.Count == 0
            ? []
            : await db.WorkflowVersions.AsNoTracking().Where(v => versionIds.Contains(v.Id)).ToDictionaryAsync(v => v.Id, ct);

        var orders = new Dictionary<Guid, RunOrder>();
        foreach (var person in runs.GroupBy(r => r.PersonId))
        {
            // Events in outbox order: a later event never counts as earlier, whatever its clock said.
            var latest = DateTimeOffset.MinValue;
            foreach (var run in person.Where(r => EventId(r.TriggerKey) is not null).OrderBy(r => EventId(r.TriggerKey)))
            {
                var id = EventId(run.TriggerKey)!.Value;
                var at = occurred.TryGetValue(id, out var t) ? t : run.CreatedAt;
                latest = at > latest ? at : latest;
                orders[run.Id] = new RunOrder(latest, 0, id);
            }
            foreach (var run in person.Where(r => EventId(r.TriggerKey) is null))
                orders[run.Id] = new RunOrder(Moment(run, versions), run.TriggerKey.StartsWith("manual:", StringComparison.Ordinal) ? 3 : 1, 0);
        }
        return orders;
    }

    /// <summary>When a date or cron trigger came due (in UTC: every run of one person shares the zone,
    /// so their order among themselves is exact), or when a manual run was started.</summary>
    private DateTimeOffset Moment(ActiveRun run, IReadOnlyDictionary<Guid, WorkflowVersionRow> versions)
    {
        var key = run.TriggerKey;
        if (key.StartsWith("date:", StringComparison.Ordinal)
            && DateOnly.TryParseExact(key[(key.LastIndexOf(':') + 1)..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            && versions.TryGetValue(run.VersionId, out var version))
        {
            var trigger = workflows.Parse(version).Trigger;
            if (trigger.Kind == TriggerKind.Date)
                return WorkflowTime.At(date.AddDays(trigger.OffsetDays), trigger.At ?? new TimeOnly(9, 0), TimeZoneInfo.Utc);
        }
        if (key.StartsWith("cron:", StringComparison.Ordinal)
            && DateTimeOffset.TryParseExact(key[5..], "yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var occurrence))
            return occurrence;
        return run.CreatedAt;
    }

    /// <summary>Another run of the person that is still to create an account in <paramref name="target"/>:
    /// queued, running or waiting, not yet past its create step, and not itself waiting for an account.
    /// Null when there is none (then a step that needs the account fails: nobody will create it).</summary>
    private async Task<string?> AccountCreatorAsync(RunRow run, string target, WorkspaceDefinition workspace, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var others = await db.Runs.AsNoTracking()
            .Where(r => r.PersonId == run.PersonId && r.Id != run.Id
                && (r.Status == RunStatus.Queued || r.Status == RunStatus.Running || r.Status == RunStatus.Waiting)
                && r.WaitingFor != AccountWait)
            .OrderBy(r => r.CreatedAt).ToListAsync(ct);
        foreach (var other in others)
        {
            var version = await db.WorkflowVersions.AsNoTracking().SingleAsync(v => v.Id == other.VersionId, ct);
            var steps = workflows.Parse(version).Steps;
            for (var i = other.StepIndex; i < steps.Count; i++)
            {
                if (StepCatalog.Find(steps[i].Uses) is { TargetKind: { } kind } descriptor && descriptor.Implementation == typeof(CreateAccountStep)
                    && WorkflowChecks.ResolveTarget(steps[i], kind, workspace, out _) == target)
                    return $"{other.WorkflowId}@v{other.Version} (run {other.Id.ToString("N")[..8]}, {other.Status})";
            }
        }
        return null;
    }

    /// <summary>Steps parked for an account look again at once: a run of their person created one or ended.</summary>
    private static Task WakeAccountWaitersAsync(HandoffDbContext db, Guid personId, DateTimeOffset now, CancellationToken ct) =>
        db.Runs.Where(r => r.PersonId == personId && r.Status == RunStatus.Waiting && r.WaitingFor == AccountWait && r.DueAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.DueAt, now), ct);
}
