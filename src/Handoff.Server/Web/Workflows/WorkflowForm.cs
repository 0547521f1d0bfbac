using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Handoff.Server.Web.Workflows;

/// <summary>
/// The form editor's model of a workflow: what HR edits as fields and step cards. The YAML text is the
/// one pivot between the two views: the form is written to YAML (<see cref="ToYaml"/>), the YAML is read
/// back into the form (<see cref="FromYaml"/>), and only the YAML is validated, simulated and proposed —
/// so the form and the YAML view cannot drift apart.
/// </summary>
public sealed partial class WorkflowForm
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public string? Description { get; set; }
    public string? HrOwner { get; set; }
    public string? ItOwner { get; set; }
    /// <summary>event, date, schedule or manual.</summary>
    public string TriggerKind { get; set; } = "event";
    public string? Event { get; set; }
    public List<string> TriggerFields { get; set; } = [];
    public string? DateField { get; set; }
    public string? Offset { get; set; }
    public string? At { get; set; }
    public string? Schedule { get; set; }
    public string? TimeZone { get; set; }
    public string? Scope { get; set; }
    public List<string> Read { get; set; } = [];
    /// <summary>One line per system: <c>directory: account.create, groups</c>.</summary>
    public string? Write { get; set; }
    public List<StepForm> Steps { get; set; } = [];

    public static readonly string[] TriggerKinds = ["event", "date", "schedule", "manual"];

    /// <summary>Reads a workflow's YAML into the form without judging it (the loader judges); a text
    /// that is not YAML at all gives the parser's message instead.</summary>
    public static WorkflowForm? FromYaml(string yaml, out string? problem)
    {
        problem = null;
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode map)
            {
                problem = "the YAML is not a mapping (id:, trigger:, steps: …)";
                return null;
            }
            root = map;
        }
        catch (YamlException e)
        {
            problem = $"line {e.Start.Line}, column {e.Start.Column}: {e.Message}";
            return null;
        }
        var form = new WorkflowForm
        {
            Id = Scalar(root, "id") ?? "",
            Name = Scalar(root, "name"),
            Description = Scalar(root, "description"),
            Scope = Scalar(root, "scope"),
        };
        if (Child(root, "owners") is YamlMappingNode owners)
        {
            form.HrOwner = Scalar(owners, "hr");
            form.ItOwner = Scalar(owners, "it");
        }
        if (Child(root, "trigger") is YamlMappingNode trigger)
        {
            form.TriggerKind = TriggerKinds.FirstOrDefault(k => Child(trigger, k) is not null) ?? "event";
            form.Event = Scalar(trigger, "event");
            form.TriggerFields = Texts(Child(trigger, "fields"));
            form.DateField = Scalar(trigger, "date");
            form.Offset = Scalar(trigger, "offset");
            form.At = Scalar(trigger, "at");
            form.Schedule = Scalar(trigger, "schedule");
            form.TimeZone = Scalar(trigger, "time_zone");
        }
        if (Child(root, "permissions") is YamlMappingNode permissions)
        {
            form.Read = Texts(Child(permissions, "read"));
            if (Child(permissions, "write") is YamlMappingNode write)
                form.Write = string.Join("\n", write.Children.Select(c => $"{Text(c.Key)}: {string.Join(", ", Texts(c.Value))}"));
        }
        if (Child(root, "steps") is YamlSequenceNode steps)
        {
            foreach (var node in steps.Children.OfType<YamlMappingNode>())
            {
                var step = new StepForm
                {
                    Id = Scalar(node, "id") ?? "",
                    Uses = Scalar(node, "uses") ?? "",
                    Name = Scalar(node, "name"),
                    Target = Scalar(node, "target"),
                    When = Scalar(node, "when"),
                    ContinueOnError = Scalar(node, "continue_on_error") is "true" or "True" or "yes",
                };
                if (Child(node, "with") is YamlMappingNode with)
                {
                    foreach (var (key, value) in with.Children)
                    {
                        step.Inputs[Text(key)] = value switch
                        {
                            YamlSequenceNode seq => string.Join("\n", seq.Children.Select(Text)),
                            YamlMappingNode m => string.Join("\n", m.Children.Select(c => $"{Text(c.Key)}: {Text(c.Value)}")),
                            _ => Text(value),
                        };
                    }
                }
                if (Child(node, "retry") is YamlMappingNode retry)
                {
                    step.RetryAttempts = Scalar(retry, "attempts");
                    step.RetryDelay = Scalar(retry, "delay");
                }
                form.Steps.Add(step);
            }
        }
        return form;
    }

    /// <summary>The YAML this form stands for (the text that is validated and proposed).</summary>
    public string ToYaml()
    {
        var y = new StringBuilder();
        Line(y, 0, "id", Id.Trim());
        Line(y, 0, "name", Name);
        Line(y, 0, "description", Description);
        if (!Blank(HrOwner) || !Blank(ItOwner))
        {
            y.Append("owners:\n");
            Line(y, 1, "hr", HrOwner);
            Line(y, 1, "it", ItOwner);
        }
        y.Append("trigger:\n");
        switch (TriggerKind)
        {
            case "date":
                Line(y, 1, "date", DateField ?? "");
                Line(y, 1, "offset", Offset);
                Line(y, 1, "at", At);
                break;
            case "schedule":
                Line(y, 1, "schedule", Schedule ?? "");
                Line(y, 1, "time_zone", TimeZone);
                break;
            case "manual":
                y.Append("  manual: true\n");
                break;
            default:
                Line(y, 1, "event", Event ?? "");
                var fields = TriggerFields.Where(f => !Blank(f)).ToList();
                if (fields.Count > 0)
                    y.Append("  fields: ").Append(FlowList(fields)).Append('\n');
                break;
        }
        Line(y, 0, "scope", Scope);
        var writes = WriteGrants();
        var read = Read.Where(f => !Blank(f)).Distinct().ToList();
        if (read.Count > 0 || writes.Count > 0)
        {
            y.Append("permissions:\n");
            if (read.Count > 0)
                y.Append("  read: ").Append(FlowList(read)).Append('\n');
            if (writes.Count > 0)
            {
                y.Append("  write:\n");
                foreach (var (system, ops) in writes)
                    y.Append("    ").Append(Quote(system)).Append(": ").Append(FlowList(ops)).Append('\n');
            }
        }
        y.Append("steps:\n");
        foreach (var step in Steps)
        {
            y.Append("  - id: ").Append(Quote(step.Id.Trim())).Append('\n');
            Line(y, 2, "uses", step.Uses);
            Line(y, 2, "name", step.Name);
            Line(y, 2, "target", step.Target);
            Line(y, 2, "when", step.When);
            if (step.ContinueOnError)
                y.Append("    continue_on_error: true\n");
            var descriptor = StepCatalog.Find(step.Uses);
            var inputs = step.Inputs.Where(i => !Blank(i.Value) || descriptor?.FindInput(i.Key)?.Required == true).ToList();
            if (inputs.Count > 0)
            {
                y.Append("    with:\n");
                foreach (var (name, value) in inputs)
                {
                    var kind = descriptor?.FindInput(name)?.Kind ?? InputKind.Text;
                    var lines = (value ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => !Blank(l)).ToList();
                    switch (kind)
                    {
                        case InputKind.List:
                            y.Append("      ").Append(name).Append(":\n");
                            foreach (var item in lines)
                                y.Append("        - ").Append(Quote(item.Trim())).Append('\n');
                            break;
                        case InputKind.Map:
                            y.Append("      ").Append(name).Append(":\n");
                            foreach (var item in lines)
                            {
                                var colon = item.IndexOf(':', StringComparison.Ordinal);
                                var key = colon < 0 ? item.Trim() : item[..colon].Trim();
                                var text = colon < 0 ? "" : item[(colon + 1)..].Trim();
                                y.Append("        ").Append(Quote(key)).Append(": ").Append(Quote(text)).Append('\n');
                            }
                            break;
                        case InputKind.Bool when value?.Trim() is "true" or "false":
                            y.Append("      ").Append(name).Append(": ").Append(value.Trim()).Append('\n');
                            break;
                        default:
                            y.Append("      ").Append(name).Append(": ").Append(Quote((value ?? "").Trim())).Append('\n');
                            break;
                    }
                }
            }
            if (!Blank(step.RetryAttempts) || !Blank(step.RetryDelay))
            {
                y.Append("    retry:\n");
                if (!Blank(step.RetryAttempts))
                    y.Append("      attempts: ").Append(Quote(step.RetryAttempts!.Trim())).Append('\n');
                Line(y, 3, "delay", step.RetryDelay);
            }
        }
        return y.ToString();
    }

    /// <summary>The write grants as (system, operations), from the one-line-per-system text.</summary>
    public List<(string System, List<string> Ops)> WriteGrants()
    {
        var grants = new List<(string, List<string>)>();
        foreach (var line in (Write ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var system = colon < 0 ? line : line[..colon].Trim();
            var ops = colon < 0 ? [] : line[(colon + 1)..].Trim().Trim('[', ']').Split(',').Select(o => o.Trim()).Where(o => o.Length > 0).ToList();
            grants.Add((system, ops));
        }
        return grants;
    }

    private static void Line(StringBuilder y, int depth, string key, string? value)
    {
        if (value is null || (Blank(value) && depth == 0))
            return;
        if (Blank(value) && key is not ("event" or "date" or "schedule"))
            return;
        y.Append(' ', depth * 2).Append(key).Append(": ").Append(Quote(value.Trim())).Append('\n');
    }

    private static string FlowList(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => Quote(i.Trim()))) + "]";

    /// <summary>Plain when that is unambiguous YAML, else single-quoted (double-quoted with escapes when it spans lines).</summary>
    public static string Quote(string value)
    {
        if (value.Contains('\n', StringComparison.Ordinal))
            return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
        if (PlainScalar().IsMatch(value) && !Reserved.Contains(value.ToLowerInvariant()) && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            return value;
        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    private static readonly HashSet<string> Reserved = ["true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"];

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-/@]*$")]
    private static partial Regex PlainScalar();

    private static bool Blank(string? s) => string.IsNullOrWhiteSpace(s);

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.FirstOrDefault(c => c.Key is YamlScalarNode s && s.Value == key).Value;

    private static string? Scalar(YamlMappingNode map, string key) => Child(map, key) is YamlScalarNode s ? s.Value : null;

    private static string Text(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : node.ToString();

    private static List<string> Texts(YamlNode? node) => node switch
    {
        YamlSequenceNode seq => seq.Children.Select(Text).ToList(),
        YamlScalarNode s when !string.IsNullOrEmpty(s.Value) => [s.Value!],
        _ => [],
    };
}

/// <summary>One step card of the form editor.</summary>
public sealed class StepForm
{
    public string Id { get; set; } = "";
    public string Uses { get; set; } = "";
    public string? Name { get; set; }
    public string? Target { get; set; }
    public string? When { get; set; }
    public bool ContinueOnError { get; set; }
    /// <summary>Input name → text; a list is one item per line, a map one <c>key: value</c> per line.</summary>
    public Dictionary<string, string> Inputs { get; set; } = [];
    public string? RetryAttempts { get; set; }
    public string? RetryDelay { get; set; }
}

/// <summary>Where in the form a loader error belongs: a step (by position) and its part
/// (<c>uses</c>, <c>when</c>, <c>with.NAME</c> …), or a top-level section (<c>trigger</c>, <c>scope</c>,
/// <c>permissions</c> …); <c>null</c> section = the workflow as a whole.</summary>
public sealed record ErrorPlace(int? Step, string? Part);

/// <summary>Maps the loader's <c>file:line:column</c> errors to the steps and fields of the YAML they came from.</summary>
public sealed class ErrorPlaces
{
    private readonly List<(int Line, string Key)> _top = [];
    private readonly List<(int Line, int Step, List<(int Line, string Part)> Parts)> _steps = [];

    public ErrorPlaces(string yaml)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
                return;
            foreach (var (key, value) in root.Children)
            {
                var name = (key as YamlScalarNode)?.Value ?? "";
                _top.Add(((int)key.Start.Line, name));
                if (name != "steps" || value is not YamlSequenceNode steps)
                    continue;
                var index = 0;
                foreach (var item in steps.Children)
                {
                    var parts = new List<(int, string)>();
                    if (item is YamlMappingNode step)
                    {
                        foreach (var (k, v) in step.Children)
                        {
                            var part = (k as YamlScalarNode)?.Value ?? "";
                            parts.Add(((int)k.Start.Line, part));
                            if (part == "with" && v is YamlMappingNode with)
                                parts.AddRange(with.Children.Select(i => ((int)i.Key.Start.Line, "with." + ((i.Key as YamlScalarNode)?.Value ?? ""))));
                        }
                    }
                    _steps.Add(((int)item.Start.Line, index++, parts.OrderBy(p => p.Item1).ToList()));
                }
            }
        }
        catch (YamlException)
        {
            // Not YAML: every error stays with the workflow as a whole.
        }
    }

    public ErrorPlace Of(WorkspaceError error)
    {
        // Errors about the permission lists point at the workflow's first line; they belong to permissions.
        if (error.Message.StartsWith("permissions", StringComparison.Ordinal))
            return new ErrorPlace(null, "permissions");
        var step = _steps.LastOrDefault(s => s.Line <= error.Line);
        var stepsStart = _top.FirstOrDefault(t => t.Key == "steps").Line;
        var afterSteps = _top.Where(t => t.Line > stepsStart).Select(t => t.Line).DefaultIfEmpty(int.MaxValue).Min();
        if (_steps.Count > 0 && error.Line >= _steps[0].Line && error.Line < afterSteps)
        {
            var part = step.Parts.LastOrDefault(p => p.Line <= error.Line).Part;
            // An error on the "with" key itself (a missing required input) belongs to the step's inputs.
            return new ErrorPlace(step.Step, string.IsNullOrEmpty(part) ? null : part);
        }
        return new ErrorPlace(null, _top.LastOrDefault(t => t.Line <= error.Line).Key);
    }
}
