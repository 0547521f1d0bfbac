using Handoff.Core.Dictionary;
using Handoff.Core.Workspace;

namespace Handoff.Core.Workflows;

/// <summary>
/// Checks a parsed workflow against itself and, given a workspace, against the dictionary and the
/// systems — least privilege included: every field a template, filter or trigger reads must be in
/// <c>permissions.read</c>; every write needs its operation in <c>permissions.write</c>; a canonical
/// write needs the dictionary to list <c>workflow:ID</c> as a writer. Each error names the step and field.
/// </summary>
public static class WorkflowChecks
{
    /// <summary>Names a template may use besides the dictionary's fields.</summary>
    public static IReadOnlyList<string> ContextNames { get; } = ["person", "steps", "run", "today", "now", "workflow", "event"];

    public static IReadOnlyList<WorkspaceError> Check(WorkflowDefinition w, WorkspaceDefinition? workspace, SourceSpan scopeAt)
    {
        var errors = new List<WorkspaceError>();
        void Error(SourceSpan? at, string message)
        {
            var s = at ?? w.At ?? new SourceSpan("workflow", 1, 1);
            errors.Add(new WorkspaceError(s.File, s.Line, s.Column, message));
        }
        var dictionary = workspace?.Dictionary;

        // What the workflow reads, each with where it was read, for the least-privilege check.
        var reads = new List<(string Field, SourceSpan? At, string Where)>();

        if (w.Scope is { } scope)
        {
            if (WorkflowExpressions.CheckFilter(scope, out var attrs) is { } error)
                Error(scopeAt, $"scope: {error}");
            else
                reads.AddRange(attrs.Select(a => (a, (SourceSpan?)scopeAt, "the scope")));
        }
        if (w.Trigger.Kind == TriggerKind.Date && w.Trigger.DateField is { } dateField)
        {
            reads.Add((dateField, w.Trigger.Span, "the date trigger"));
            if (dictionary?.FindField(dateField) is { } f && f.Type is not (FieldType.Date or FieldType.DateTime))
                Error(w.Trigger.Span, $"trigger date field \"{dateField}\" is a {f.Type.ToString().ToLowerInvariant()} field, not a date");
        }
        foreach (var field in w.Trigger.Fields)
            reads.Add((field, w.Trigger.Span, "the trigger's field list"));

        var earlier = new HashSet<string>();
        foreach (var step in w.Steps)
        {
            if (StepCatalog.Find(step.Uses) is not { } descriptor)
                continue; // reported by the loader
            var where = $"step \"{step.Id}\" ({step.Uses})";
            if (step.When is { } when)
            {
                if (WorkflowExpressions.CheckFilter(when, out var attrs) is { } error)
                    Error(step.At, $"{where}: when: {error}");
                else
                    reads.AddRange(attrs.Select(a => (a, step.At, $"{where}, when")));
            }
            foreach (var input in descriptor.Inputs)
            {
                var given = step.With.GetValueOrDefault(input.Name);
                var texts = given?.Texts.ToList() ?? (input.Default is { } d ? [d] : []);
                var at = given?.At ?? step.At;
                var label = given is null ? $"{where}, input \"{input.Name}\" (its default)" : $"{where}, input \"{input.Name}\"";
                switch (input.Kind)
                {
                    case InputKind.Duration:
                        foreach (var t in texts.Where(t => !WorkflowTime.TryParseDuration(t, out _)))
                            Error(at, $"{label}: \"{t}\" is not a duration; write e.g. 30m, 12h, 3d");
                        continue;
                    case InputKind.Role:
                        foreach (var t in texts.Where(t => !Roles.All.Contains(t)))
                            Error(at, $"{label}: unknown role \"{t}\"; roles: {string.Join(", ", Roles.All)}");
                        continue;
                    case InputKind.Field:
                        foreach (var t in texts.Where(t => dictionary is not null && dictionary.FindField(t) is null))
                            Error(at, $"{label}: \"{t}\" is not a field of the dictionary");
                        continue;
                    case InputKind.Bool:
                        foreach (var t in texts.Where(t => !t.Contains("{{") && t is not ("true" or "false")))
                            Error(at, $"{label}: expected true, false or a template, found \"{t}\"");
                        break;
                }
                foreach (var text in texts)
                {
                    if (WorkflowExpressions.CheckTemplate(text, out var names) is { } error)
                    {
                        Error(at, $"{label}: {error}");
                        continue;
                    }
                    foreach (var name in names)
                    {
                        if (ContextNames.Contains(name))
                            continue;
                        reads.Add((name, at, label));
                    }
                }
                if (given is not null)
                {
                    foreach (var stepRef in StepReferences(texts).Where(r => !earlier.Contains(r)))
                        Error(at, $"{label}: steps.{stepRef} is not an earlier step of this workflow");
                }
            }
            earlier.Add(step.Id);

            if (descriptor.TargetKind is { } kind)
            {
                if (workspace is not null)
                {
                    var target = ResolveTarget(step, kind, workspace, out var targetError);
                    if (targetError is not null)
                        Error(step.At, $"{where}: {targetError}");
                    else if (descriptor.Operation is { } op && !w.Permissions.MayWrite(target!, op))
                        Error(step.At, $"{where} performs \"{op}\" on {target}, which permissions.write does not grant (permissions.write.{target}: [{string.Join(", ", w.Permissions.Write.GetValueOrDefault(target!) ?? [])}])");
                }
            }
            else if (step.Target is not null)
            {
                Error(step.At, $"{where} does not write to a system; remove target: {step.Target}");
            }

            if (step.Uses == "set_field" && step.With.GetValueOrDefault("field")?.Text is { } field)
            {
                if (!w.Permissions.MayWrite(WorkflowPermissions.Canonical, field))
                    Error(step.At, $"{where} writes the canonical field \"{field}\", which permissions.write.canonical does not grant");
                if (dictionary?.FindField(field) is { } f && !f.IsWriter(w.Actor))
                    Error(step.At, $"{where} writes \"{field}\", but the dictionary does not authorize {w.Actor} to write it (writers: {string.Join(", ", f.Writers.DefaultIfEmpty("none"))}; system of record: {f.SystemOfRecord ?? "none"})");
            }
        }

        foreach (var (field, at, where) in reads.DistinctBy(r => (r.Field, r.Where)))
        {
            if (dictionary is not null && dictionary.FindField(field) is null)
            {
                Error(at, $"{where} reads \"{field}\", which is not a field of the dictionary" + Suggest(field, dictionary));
                continue;
            }
            if (!w.Permissions.MayRead(field))
                Error(at, $"{where} reads \"{field}\", which permissions.read does not declare");
        }

        if (workspace is not null)
        {
            foreach (var field in w.Permissions.Read.Where(f => dictionary!.FindField(f) is null))
                Error(w.At, $"permissions.read names \"{field}\", which is not a field of the dictionary" + Suggest(field, dictionary!));
            foreach (var system in w.Permissions.Write.Keys.Where(s => s != WorkflowPermissions.Canonical && workspace.FindSystem(s) is null))
                Error(w.At, $"permissions.write names the system \"{system}\", which the workspace does not have; systems: {string.Join(", ", workspace.Systems.Select(s => s.Id))}");
        }
        return errors;
    }

    /// <summary>The system a step writes to: its <c>target:</c>, or the workspace's only system of the step's kind.</summary>
    public static string? ResolveTarget(StepDefinition step, SystemKind kind, WorkspaceDefinition workspace, out string? error)
    {
        error = null;
        if (step.Target is { } named)
        {
            var system = workspace.FindSystem(named);
            if (system is null)
                error = $"target \"{named}\" is not a system of the workspace";
            else if (system.Kind != kind)
                error = $"target \"{named}\" is a {system.Kind.ToString().ToLowerInvariant()} system, this step writes to a {kind.ToString().ToLowerInvariant()} system";
            return error is null ? named : null;
        }
        var candidates = workspace.Systems.Where(s => s.Kind == kind).ToList();
        if (candidates.Count == 1)
            return candidates[0].Id;
        error = candidates.Count == 0
            ? $"the workspace has no {kind.ToString().ToLowerInvariant()} system"
            : $"the workspace has several {kind.ToString().ToLowerInvariant()} systems ({string.Join(", ", candidates.Select(c => c.Id))}); name one with target:";
        return null;
    }

    private static IEnumerable<string> StepReferences(IEnumerable<string> texts)
    {
        foreach (var text in texts)
        {
            var i = 0;
            while ((i = text.IndexOf("steps.", i, StringComparison.Ordinal)) >= 0)
            {
                i += 6;
                var end = i;
                while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] is '_' or '-'))
                    end++;
                if (end > i)
                    yield return text[i..end];
            }
        }
    }

    private static string Suggest(string name, DictionaryDefinition dictionary)
    {
        var close = dictionary.Fields.Select(f => f.Name)
            .Where(f => f.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(f, StringComparison.OrdinalIgnoreCase)
                || Distance(f, name) <= 2)
            .Take(3).ToList();
        return close.Count > 0 ? $"; did you mean {string.Join(" or ", close)}?" : "";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        }
        return d[a.Length, b.Length];
    }
}
