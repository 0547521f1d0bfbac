using System.Text.Json.Serialization;

namespace Handoff.Core.People;

/// <summary>The lifecycle of a worker. <c>purged</c> is only ever reached through retention.</summary>
public enum LifecycleState { Candidate, PreHire, Active, OnLeave, Terminated, Purged }

public static class LifecycleStateNames
{
    public static string ToName(this LifecycleState s) => s switch
    {
        LifecycleState.Candidate => "candidate",
        LifecycleState.PreHire => "pre_hire",
        LifecycleState.Active => "active",
        LifecycleState.OnLeave => "on_leave",
        LifecycleState.Terminated => "terminated",
        LifecycleState.Purged => "purged",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static LifecycleState Parse(string name) => name switch
    {
        "candidate" => LifecycleState.Candidate,
        "pre_hire" => LifecycleState.PreHire,
        "active" => LifecycleState.Active,
        "on_leave" => LifecycleState.OnLeave,
        "terminated" => LifecycleState.Terminated,
        "purged" => LifecycleState.Purged,
        _ => throw new ArgumentException($"unknown lifecycle state '{name}'", nameof(name)),
    };
}

/// <summary>A canonical value with where it came from: source system, the record's native key in
/// that system, when Handoff observed it and from when it is effective.</summary>
public sealed record ResolvedValue(
    [property: JsonPropertyName("v")] string Value,
    [property: JsonPropertyName("s")] string System,
    [property: JsonPropertyName("k")] string NativeKey,
    [property: JsonPropertyName("o")] DateTimeOffset ObservedAt,
    [property: JsonPropertyName("e")] DateOnly? EffectiveFrom);

/// <summary>What one source said about one field of one person.</summary>
public sealed record Observation(string System, string NativeKey, string? Value, DateTimeOffset ObservedAt, DateOnly? EffectiveFrom);
