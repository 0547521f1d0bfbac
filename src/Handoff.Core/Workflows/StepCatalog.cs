using System.Reflection;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Core.Workflows;

/// <summary>How an input is written and what it becomes after rendering.</summary>
public enum InputKind
{
    /// <summary>A Liquid template rendering to text.</summary>
    Text,
    /// <summary>true / false, or a template rendering to one of them.</summary>
    Bool,
    /// <summary>A template rendering to an ISO date (empty = none).</summary>
    Date,
    /// <summary>A list of templates; items rendering empty are dropped.</summary>
    List,
    /// <summary>A map of native attribute name → template.</summary>
    Map,
    /// <summary>A literal duration: <c>30m</c>, <c>12h</c>, <c>3d</c>.</summary>
    Duration,
    /// <summary>A literal role name (<see cref="Roles.All"/>).</summary>
    Role,
    /// <summary>A literal canonical field name from the dictionary.</summary>
    Field,
    /// <summary>A template rendering to one bare mail address (empty = none); anything else fails the step.</summary>
    Email,
}

/// <summary>Declares a step type on the class that implements it; the catalogue (validation, the
/// JSON Schema, the editor's pick list) is built from these attributes.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class StepAttribute(string type, string title) : Attribute
{
    public string Type { get; } = type;

    public string Title { get; } = title;

    public string Description { get; init; } = "";

    /// <summary>The kind of system the step writes to, if any.</summary>
    public SystemKind Target { get; init; } = SystemKind.Other;

    public bool HasTarget { get; init; }

    /// <summary>The operation name the workflow's permissions must grant on the target.</summary>
    public string? Operation { get; init; }
}

/// <summary>Declares one input of a step type.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class StepInputAttribute(string name, InputKind kind) : Attribute
{
    public string Name { get; } = name;

    public InputKind Kind { get; } = kind;

    public bool Required { get; init; }

    public string Description { get; init; } = "";

    /// <summary>Used when the step does not give the input (may itself be a template).</summary>
    public string? Default { get; init; }
}

public sealed record StepInput(string Name, InputKind Kind, bool Required, string Description, string? Default);

/// <summary>One entry of the step catalogue.</summary>
public sealed record StepDescriptor(
    string Type,
    string Title,
    string Description,
    SystemKind? TargetKind,
    string? Operation,
    IReadOnlyList<StepInput> Inputs,
    Type Implementation)
{
    public StepInput? FindInput(string name) => Inputs.FirstOrDefault(i => i.Name == name);

    public IWorkflowStep Create() => (IWorkflowStep)Activator.CreateInstance(Implementation)!;
}

/// <summary>Every step type Handoff knows, read from the <see cref="StepAttribute"/>s in this assembly.</summary>
public static class StepCatalog
{
    private static readonly Lazy<IReadOnlyList<StepDescriptor>> All = new(Discover);

    public static IReadOnlyList<StepDescriptor> Steps => All.Value;

    public static StepDescriptor? Find(string type) => Steps.FirstOrDefault(s => s.Type == type);

    private static IReadOnlyList<StepDescriptor> Discover()
    {
        var result = new List<StepDescriptor>();
        foreach (var type in typeof(StepCatalog).Assembly.GetTypes().Where(t => typeof(IWorkflowStep).IsAssignableFrom(t) && !t.IsAbstract))
        {
            var inputs = type.GetCustomAttributes<StepInputAttribute>()
                .Select(i => new StepInput(i.Name, i.Kind, i.Required, i.Description, i.Default)).ToList();
            foreach (var step in type.GetCustomAttributes<StepAttribute>())
            {
                result.Add(new StepDescriptor(step.Type, step.Title, step.Description,
                    step.HasTarget ? step.Target : null, step.Operation, inputs, type));
            }
        }
        return result.OrderBy(s => s.Type, StringComparer.Ordinal).ToList();
    }
}

/// <summary>The roles of Handoff (DESIGN §5); approvals are addressed to one of them.</summary>
public static class Roles
{
    public static IReadOnlyList<string> All { get; } = ["hr_admin", "hr_operator", "it_admin", "it_operator", "auditor", "viewer"];
}

/// <summary>
/// One step type: a small class with <see cref="StepAttribute"/> and <see cref="StepInputAttribute"/>s
/// and this method. The engine renders the inputs, checks the permissions, and commits the outcome
/// with its audit entry; the step only decides what to do.
/// </summary>
public interface IWorkflowStep
{
    Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken ct);
}

/// <summary>What a step did.</summary>
public abstract record StepOutcome
{
    /// <summary>Done; <paramref name="Outputs"/> are visible to later steps as <c>steps.ID.NAME</c>.</summary>
    public sealed record Completed(IReadOnlyDictionary<string, object?> Outputs) : StepOutcome;

    /// <summary>Nothing to do (e.g. the account is already in the wanted state).</summary>
    public sealed record Skipped(string Reason) : StepOutcome;

    /// <summary>Park the run until the bookmark fires; the worker is freed.</summary>
    public sealed record Suspended(Bookmark Bookmark) : StepOutcome;

    /// <summary>The step cannot succeed (a rejection, a missing link): the run stops unless the step
    /// says continue_on_error.</summary>
    public sealed record Failed(string Reason) : StepOutcome;

    public static Completed Done(params (string Key, object? Value)[] outputs) =>
        new(outputs.ToDictionary(o => o.Key, o => o.Value));
}

/// <summary>What a suspended run waits for.</summary>
public abstract record Bookmark
{
    public sealed record Timer(DateTimeOffset Until) : Bookmark;

    public sealed record Approval(string Role, string Title, DateTimeOffset Due, string? EscalateTo, DateTimeOffset? EscalateAt) : Bookmark;
}

/// <summary>How a bookmark was resumed.</summary>
public abstract record Resumption
{
    public sealed record TimerFired : Resumption;

    public sealed record Decision(bool Approved, string By, string? Comment) : Resumption;

    public sealed record Expired : Resumption;
}

/// <summary>A write the workflow wants to make to the canonical person (set_field).</summary>
public sealed record CanonicalWrite(string Field, string? Value);

/// <summary>A step's blocked write: what the permissions or the dictionary do not allow.</summary>
public sealed class PermissionDeniedException(string message) : Exception(message);

/// <summary>
/// What a step sees while it runs: its rendered inputs, the person, the link to its target, and the
/// ways to act. The engine and the simulator each provide one; a step cannot tell them apart.
/// </summary>
public abstract class StepContext
{
    public required WorkflowDefinition Workflow { get; init; }

    public required StepDefinition Step { get; init; }

    public required StepDescriptor Descriptor { get; init; }

    public required Guid RunId { get; init; }

    public required Guid PersonId { get; init; }

    public required string PersonName { get; init; }

    public required DateTimeOffset Now { get; init; }

    /// <summary>The system the step writes to (resolved from <c>target:</c> or the step's kind).</summary>
    public string? TargetSystem { get; init; }

    /// <summary>The target's id of this person's account, from the link row, if there is one.</summary>
    public string? LinkedNativeId { get; init; }

    /// <summary>The username of the linked account, when the link knows it.</summary>
    public string? LinkedUsername { get; init; }

    /// <summary>Rendered inputs: string, bool, DateOnly, TimeSpan, lists of strings, maps of strings.</summary>
    public required IReadOnlyDictionary<string, object?> Inputs { get; init; }

    /// <summary>The person's time zone (their time-zone field; UTC when unknown).</summary>
    public TimeZoneInfo Zone { get; init; } = TimeZoneInfo.Utc;

    public DateTimeOffset LocalTime(DateOnly day, TimeOnly time) => WorkflowTime.At(day, time, Zone);

    /// <summary>Set when the run resumes at this step after a bookmark fired.</summary>
    public Resumption? Resumed { get; init; }

    /// <summary>Canonical writes requested by the step (set_field), committed with the step.</summary>
    public List<CanonicalWrite> CanonicalWrites { get; } = [];

    public string IdempotencyKey => $"{RunId:N}/{Step.Id}";

    /// <summary>Applies one write to <see cref="TargetSystem"/>, after the permission and threshold checks.</summary>
    public abstract Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct);

    /// <summary>The first free value among the alternatives, then numbered ones (<c>john.smith2</c>) — unique in the target.</summary>
    public abstract ValueTask<string> SelectUniqueAsync(string objectClass, string attribute, IReadOnlyList<string> alternatives, string? anchor, CancellationToken ct);

    /// <summary>Requests a canonical write (checked against permissions and the dictionary's writers).</summary>
    public abstract void WriteField(string field, string? value);

    public string? Text(string name) => Inputs.TryGetValue(name, out var v) ? v as string : null;

    public bool? Bool(string name) => Inputs.TryGetValue(name, out var v) ? v as bool? : null;

    public DateOnly? Date(string name) => Inputs.TryGetValue(name, out var v) ? v as DateOnly? : null;

    public TimeSpan? Duration(string name) => Inputs.TryGetValue(name, out var v) ? v as TimeSpan? : null;

    public IReadOnlyList<string> List(string name) =>
        Inputs.TryGetValue(name, out var v) && v is IReadOnlyList<string> list ? list : [];

    public IReadOnlyDictionary<string, string> Map(string name) =>
        Inputs.TryGetValue(name, out var v) && v is IReadOnlyDictionary<string, string> map ? map : new Dictionary<string, string>();

    public string RequiredText(string name) =>
        Text(name) is { Length: > 0 } text ? text : throw new StepInputException(Step.Id, name, "rendered empty");
}

/// <summary>An input that rendered to something the step cannot use (empty, not a date …).</summary>
public sealed class StepInputException(string stepId, string input, string problem)
    : Exception($"step \"{stepId}\": input \"{input}\" {problem}")
{
    public string StepId { get; } = stepId;

    public string Input { get; } = input;
}
