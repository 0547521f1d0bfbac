using System.Globalization;
using Handoff.Core.Workspace;

namespace Handoff.Core.Workflows;

public sealed record WorkflowLoadResult(WorkflowDefinition? Workflow, IReadOnlyList<WorkspaceError> Errors)
{
    public bool Succeeded => Workflow is not null && Errors.Count == 0;
}

/// <summary>
/// Reads a workflow from YAML, strictly: unknown keys, unknown step types, unknown inputs, templates
/// and filters that do not parse are reported with file, line and column and the allowed values.
/// With a workspace it also checks the definition against the dictionary and the systems, and
/// enforces least privilege (<see cref="WorkflowChecks"/>). All errors are reported at once.
/// </summary>
public static class WorkflowLoader
{
    private static readonly string[] TopKeys = ["id", "name", "description", "owners", "trigger", "scope", "permissions", "steps"];
    private static readonly string[] TriggerKeys = ["event", "fields", "date", "offset", "at", "schedule", "time_zone", "manual"];
    private static readonly string[] StepKeys = ["id", "uses", "name", "target", "when", "continue_on_error", "with", "retry"];

    /// <summary>Event types a workflow may start on (the outbox's vocabulary).</summary>
    public static IReadOnlyList<string> EventTypes { get; } =
    [
        "person.created", "person.changed", "person.candidate", "person.pre_hire", "person.active", "person.on_leave",
        "person.terminated", "person.rehired", "person.converted",
    ];

    public static WorkflowLoadResult LoadFile(string path, WorkspaceDefinition? workspace = null) =>
        Load(File.ReadAllText(path), path, workspace);

    public static WorkflowLoadResult Load(string text, string file, WorkspaceDefinition? workspace = null)
    {
        var errors = new List<WorkspaceError>();
        var root = YamlTree.Parse(text, file, errors);
        if (root is null)
            return new(null, errors);
        var r = new YamlShapeReader(file, errors);
        var top = r.Mapping(root, "the workflow", TopKeys, ["id", "trigger", "steps"]);
        if (top is null)
            return new(null, errors);

        var id = r.Id(top["id"], "workflow id");
        var name = r.Text(top["name"], "name") ?? id ?? "";
        var description = r.Text(top["description"], "description");
        string? hrOwner = null, itOwner = null;
        if (r.Mapping(top["owners"], "owners", ["hr", "it"]) is { } owners)
        {
            hrOwner = r.Text(owners["hr"], "owners.hr");
            itOwner = r.Text(owners["it"], "owners.it");
        }
        var trigger = ReadTrigger(r, top["trigger"]);
        var scope = r.Text(top["scope"], "scope");
        var permissions = ReadPermissions(r, top["permissions"]);
        var steps = new List<StepDefinition>();
        var stepIds = new HashSet<string>();
        var stepNodes = r.Sequence(top["steps"], "steps");
        if (top["steps"] is not null && stepNodes.Count == 0)
            r.Error(top["steps"]!, "a workflow needs at least one step");
        foreach (var node in stepNodes)
        {
            if (ReadStep(r, node) is not { } step)
                continue;
            if (!stepIds.Add(step.Id))
                r.Error(node, $"duplicate step id \"{step.Id}\"");
            steps.Add(step);
        }
        if (id is null || trigger is null)
            return new(null, errors);

        var definition = new WorkflowDefinition(id, name, description, hrOwner, itOwner, trigger, scope, permissions, steps)
        {
            At = r.Span(root),
        };
        var scopeSpan = top["scope"] is { } scopeNode ? r.Span(scopeNode) : r.Span(root);
        errors.AddRange(WorkflowChecks.Check(definition, workspace, scopeSpan));
        return new(errors.Count == 0 ? definition : null, errors);
    }

    private static WorkflowTrigger? ReadTrigger(YamlShapeReader r, YamlTreeNode? node)
    {
        var t = r.Mapping(node, "trigger", TriggerKeys);
        if (t is null)
            return null;
        var kinds = new[] { "event", "date", "schedule", "manual" }.Where(t.Has).ToList();
        if (kinds.Count != 1)
        {
            r.Error(t.Map, kinds.Count == 0
                ? "a trigger needs one of: event, date, schedule, manual"
                : $"a trigger has exactly one of event, date, schedule, manual; found {string.Join(" and ", kinds)}");
            return null;
        }
        var span = r.Span(t.Map);
        void Only(string kind, params string[] allowed)
        {
            foreach (var key in t.Keys.Where(k => k != kind && !allowed.Contains(k)))
                r.Error(t.KeyNode(key)!, $"\"{key}\" does not apply to a {kind} trigger; allowed with {kind}: {string.Join(", ", allowed.DefaultIfEmpty("nothing"))}");
        }
        switch (kinds[0])
        {
            case "event":
                {
                    Only("event", "fields");
                    var type = r.Text(t["event"], "trigger event", required: true);
                    if (type is not null && !EventTypes.Contains(type))
                        r.Error(t["event"]!, $"unknown event \"{type}\"; expected one of {string.Join(", ", EventTypes)}");
                    var fields = r.TextList(t["fields"], "trigger fields");
                    if (fields.Count > 0 && type != "person.changed")
                        r.Error(t["fields"]!, "\"fields\" only applies to the person.changed event");
                    return new WorkflowTrigger(TriggerKind.Event, type, fields, null, 0, null, null, null) { Span = span };
                }
            case "date":
                {
                    Only("date", "offset", "at");
                    var field = r.Text(t["date"], "trigger date field", required: true);
                    var offset = 0;
                    if (r.Text(t["offset"], "trigger offset") is { } offsetText)
                    {
                        if (!WorkflowTime.TryParseDuration(offsetText, out var span2) || span2.Ticks % TimeSpan.TicksPerDay != 0)
                            r.Error(t["offset"]!, $"offset \"{offsetText}\" must be whole days, e.g. -7d or 30d");
                        else if (Math.Abs(span2.TotalDays) > 180)
                            r.Error(t["offset"]!, $"offset {offsetText} is outside -180d … +180d");
                        else
                            offset = (int)span2.TotalDays;
                    }
                    TimeOnly? at = null;
                    if (r.Text(t["at"], "trigger time") is { } atText)
                    {
                        if (TimeOnly.TryParseExact(atText, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                            at = parsed;
                        else
                            r.Error(t["at"]!, $"time \"{atText}\" must be HH:mm, e.g. \"09:00\"");
                    }
                    return new WorkflowTrigger(TriggerKind.Date, null, [], field, offset, at ?? new TimeOnly(9, 0), null, null) { Span = span };
                }
            case "schedule":
                {
                    Only("schedule", "time_zone");
                    var cron = r.Text(t["schedule"], "cron schedule", required: true);
                    if (cron is not null && !WorkflowSchedule.TryParse(cron, out _, out var cronError))
                        r.Error(t["schedule"]!, $"schedule \"{cron}\" is not a cron expression: {cronError}");
                    var zone = r.Text(t["time_zone"], "time zone");
                    if (zone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
                        r.Error(t["time_zone"]!, $"unknown time zone \"{zone}\" (use an IANA id such as Europe/Berlin)");
                    return new WorkflowTrigger(TriggerKind.Schedule, null, [], null, 0, null, cron, zone) { Span = span };
                }
            default:
                Only("manual");
                if (r.Bool(t["manual"], "manual") == false)
                    r.Error(t["manual"]!, "manual: false starts nothing; use another trigger");
                return WorkflowTrigger.Manual with { Span = span };
        }
    }

    private static WorkflowPermissions ReadPermissions(YamlShapeReader r, YamlTreeNode? node)
    {
        var p = r.Mapping(node, "permissions", ["read", "write"]);
        if (p is null)
            return WorkflowPermissions.None;
        var read = r.TextList(p["read"], "permissions.read");
        var write = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var (system, ops) in r.OpenMapping(p["write"], "permissions.write"))
            write[system.Value] = r.TextList(ops, $"permissions.write.{system.Value}");
        return new WorkflowPermissions(read, write) { };
    }

    private static StepDefinition? ReadStep(YamlShapeReader r, YamlTreeNode node)
    {
        var s = r.Mapping(node, "a step", StepKeys, ["id", "uses"]);
        if (s is null)
            return null;
        var id = r.Id(s["id"], "step id");
        var uses = r.Text(s["uses"], "uses", required: true);
        var descriptor = uses is null ? null : StepCatalog.Find(uses);
        if (uses is not null && descriptor is null)
            r.Error(s["uses"]!, $"unknown step type \"{uses}\"; known step types: {string.Join(", ", StepCatalog.Steps.Select(d => d.Type))}");
        var with = new Dictionary<string, StepInputValue>();
        foreach (var (key, value) in r.OpenMapping(s["with"], $"the inputs of step \"{id}\""))
        {
            var input = descriptor?.FindInput(key.Value);
            if (descriptor is not null && input is null)
            {
                r.Error(key, $"unknown input \"{key.Value}\" for {descriptor.Type}; its inputs: {string.Join(", ", descriptor.Inputs.Select(i => i.Name).DefaultIfEmpty("none"))}");
                continue;
            }
            var span = r.Span(value);
            switch (value)
            {
                case YamlTreeSequence seq:
                    with[key.Value] = new StepInputValue(null, seq.Items.Select(i => r.Text(i, key.Value, required: true) ?? "").ToList(), null) { At = span };
                    break;
                case YamlTreeMapping:
                    with[key.Value] = new StepInputValue(null, null,
                        r.OpenMapping(value, key.Value).ToDictionary(e => e.Key.Value, e => r.Text(e.Value, $"{key.Value}.{e.Key.Value}") ?? ""))
                    { At = span };
                    break;
                default:
                    with[key.Value] = new StepInputValue(r.Text(value, key.Value) ?? "", null, null) { At = span };
                    break;
            }
        }
        if (descriptor is not null)
        {
            foreach (var input in descriptor.Inputs.Where(i => i.Required && !with.ContainsKey(i.Name)))
                r.Error(s["with"] ?? s.Map, $"step \"{id}\" ({descriptor.Type}) needs input \"{input.Name}\"");
        }
        var retry = RetryPolicy.Default;
        if (r.Mapping(s["retry"], "retry", ["attempts", "delay"]) is { } retryMap)
        {
            var attempts = retry.MaxAttempts;
            if (r.Text(retryMap["attempts"], "retry.attempts") is { } a)
            {
                if (!int.TryParse(a, CultureInfo.InvariantCulture, out attempts) || attempts is < 1 or > 20)
                    r.Error(retryMap["attempts"]!, $"retry.attempts must be 1 … 20, found \"{a}\"");
            }
            var delay = retry.Delay;
            if (r.Text(retryMap["delay"], "retry.delay") is { } d && (!WorkflowTime.TryParseDuration(d, out delay) || delay <= TimeSpan.Zero))
                r.Error(retryMap["delay"]!, $"retry.delay must be a positive duration such as 500ms, 2s or 1m; found \"{d}\"");
            retry = new RetryPolicy(Math.Clamp(attempts, 1, 20), delay);
        }
        if (id is null || uses is null)
            return null;
        return new StepDefinition(id, uses, r.Text(s["name"], "step name"), r.Text(s["target"], "target"), r.Text(s["when"], "when"),
            r.Bool(s["continue_on_error"], "continue_on_error") ?? false, with, retry)
        {
            At = r.Span(node),
        };
    }
}
