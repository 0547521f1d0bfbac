using Handoff.Core.Workspace;

namespace Handoff.Core.Workflows;

/// <summary>
/// A joiner / mover / leaver workflow as HR and IT write it (DESIGN §4): what starts it, whom it
/// applies to, what it may read and write, and its ordered steps. Parsed and checked by
/// <see cref="WorkflowLoader"/>; the text it came from is what a version stores.
/// </summary>
public sealed record WorkflowDefinition(
    string Id,
    string Name,
    string? Description,
    string? HrOwner,
    string? ItOwner,
    WorkflowTrigger Trigger,
    string? Scope,
    WorkflowPermissions Permissions,
    IReadOnlyList<StepDefinition> Steps)
{
    public SourceSpan? At { get; init; }

    /// <summary>The actor name the audit log and the dictionary's writer lists use.</summary>
    public string Actor => $"workflow:{Id}";

    public StepDefinition? FindStep(string id) => Steps.FirstOrDefault(s => s.Id == id);
}

public enum TriggerKind { Event, Date, Schedule, Manual }

/// <summary>
/// What starts a run. <see cref="TriggerKind.Event"/>: an outbox event type (<c>person.active</c>,
/// <c>person.changed</c> with <see cref="Fields"/> for the mover case). <see cref="TriggerKind.Date"/>:
/// a date field plus <see cref="OffsetDays"/> at <see cref="At"/> local time in the person's zone.
/// <see cref="TriggerKind.Schedule"/>: a cron expression (UTC unless <see cref="TimeZone"/>), one run per
/// person in scope. <see cref="TriggerKind.Manual"/>: only on demand (every workflow can also be run on
/// demand).
/// </summary>
public sealed record WorkflowTrigger(
    TriggerKind Kind,
    string? Event,
    IReadOnlyList<string> Fields,
    string? DateField,
    int OffsetDays,
    TimeOnly? At,
    string? Cron,
    string? TimeZone)
{
    public SourceSpan? Span { get; init; }

    public static WorkflowTrigger Manual { get; } = new(TriggerKind.Manual, null, [], null, 0, null, null, null);

    public override string ToString() => Kind switch
    {
        TriggerKind.Event when Fields.Count > 0 => $"{Event} ({string.Join(", ", Fields)})",
        TriggerKind.Event => Event!,
        TriggerKind.Date => $"{DateField} {(OffsetDays >= 0 ? "+" : "-")}{Math.Abs(OffsetDays)}d at {At ?? new TimeOnly(0, 0):HH\\:mm}",
        TriggerKind.Schedule => $"cron {Cron}",
        _ => "manual",
    };
}

/// <summary>
/// What a workflow declares it needs: the canonical fields it reads, and per target system the
/// operations it performs (<c>account.create</c>, <c>groups</c>, <c>ticket.create</c> …). The pseudo
/// system <see cref="Canonical"/> lists the canonical fields it writes with <c>set_field</c>.
/// </summary>
public sealed record WorkflowPermissions(
    IReadOnlyList<string> Read,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Write)
{
    public const string Canonical = "canonical";

    public static WorkflowPermissions None { get; } = new([], new Dictionary<string, IReadOnlyList<string>>());

    public bool MayRead(string field) => Read.Contains(field);

    public bool MayWrite(string system, string operation) =>
        Write.TryGetValue(system, out var ops) && ops.Contains(operation);

    /// <summary>Every (system, operation) pair, for comparing two versions.</summary>
    public IEnumerable<(string System, string Operation)> Grants =>
        Write.SelectMany(w => w.Value.Select(op => (w.Key, op)));

    /// <summary>What this set grants that <paramref name="other"/> does not: a non-empty answer means
    /// a version widens access and needs IT's approval.</summary>
    public IReadOnlyList<string> Beyond(WorkflowPermissions? other) =>
        Read.Where(f => other is null || !other.MayRead(f)).Select(f => $"read {f}")
            .Concat(Grants.Where(g => other is null || !other.MayWrite(g.System, g.Operation))
                .Select(g => $"write {g.System}: {g.Operation}"))
            .ToList();
}

/// <summary>One step: a catalogue step type (<see cref="Uses"/>) with its inputs (<see cref="With"/>:
/// template text, lists of templates or nested maps), an optional <c>when</c> filter, the target system
/// when the workspace has several of the step's kind, and how failures are handled.</summary>
public sealed record StepDefinition(
    string Id,
    string Uses,
    string? Name,
    string? Target,
    string? When,
    bool ContinueOnError,
    IReadOnlyDictionary<string, StepInputValue> With,
    RetryPolicy Retry)
{
    public SourceSpan? At { get; init; }
}

/// <summary>A step input as written: a scalar (template text), a list of scalars, or a map of scalars.</summary>
public sealed record StepInputValue(string? Text, IReadOnlyList<string>? List, IReadOnlyDictionary<string, string>? Map)
{
    public SourceSpan? At { get; init; }

    public static StepInputValue Of(string text) => new(text, null, null);

    public IEnumerable<string> Texts => Text is not null ? [Text] : List ?? (IEnumerable<string>?)Map?.Values ?? [];
}

/// <summary>Retries for transient failures (system down, timeout): exponential backoff with jitter.</summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan Delay)
{
    public static RetryPolicy Default { get; } = new(4, TimeSpan.FromSeconds(2));
}
