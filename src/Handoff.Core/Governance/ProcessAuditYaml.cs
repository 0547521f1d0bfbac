using System.Globalization;
using CsvHelper;
using Handoff.Core.Workspace;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Handoff.Core.Governance;

/// <summary>The outcome of reading a process map: the map, or every error found (file:line:column).</summary>
public sealed record ProcessMapLoadResult(ProcessMap? Map, IReadOnlyList<WorkspaceError> Errors)
{
    public bool Succeeded => Map is not null && Errors.Count == 0;
}

/// <summary>
/// Reads and writes process maps as YAML, strictly, like the workspace and workflow files: unknown
/// keys, wrong types, numbers out of range and unknown handoff methods are reported with
/// file:line:column and the allowed values, all at once. <see cref="ToYaml"/> writes what
/// <see cref="Load"/> reads, so import → export → import gives back the same map.
/// </summary>
public static class ProcessAuditYaml
{
    private static readonly string[] TopKeys = ["id", "name", "trigger", "description", "steps", "handoffs"];
    private static readonly string[] StepKeys =
    [
        "id", "name", "owner_role", "system", "minutes", "monthly_volume", "error_rate", "downstream_cost_per_error",
        "automated_by", "automation_share",
    ];
    private static readonly string[] HandoffKeys = ["from", "to", "method", "data", "step"];

    public static ProcessMapLoadResult LoadFile(string path) => Load(File.ReadAllText(path), Path.GetFileName(path));

    public static ProcessMapLoadResult Load(string text, string file)
    {
        var errors = new List<WorkspaceError>();
        var root = YamlTree.Parse(text, file, errors);
        if (root is null)
            return new(null, errors);
        var r = new YamlShapeReader(file, errors);
        var top = r.Mapping(root, "the process map", TopKeys, ["id", "name", "trigger", "steps"]);
        if (top is null)
            return new(null, errors);
        var id = r.Id(top["id"], "process id");
        var name = r.Text(top["name"], "name", required: true);
        var trigger = r.Text(top["trigger"], "trigger", required: true);
        var description = r.Text(top["description"], "description");

        var steps = new List<ProcessStep>();
        var stepIds = new List<string>();
        var stepNodes = r.Sequence(top["steps"], "steps");
        if (top["steps"] is not null && stepNodes.Count == 0)
            r.Error(top["steps"]!, "a process map needs at least one step");
        foreach (var node in stepNodes)
        {
            var step = ReadStep(r, node, out var declared);
            if (declared is not null)
                stepIds.Add(declared);
            if (step is null)
                continue;
            if (steps.Any(s => s.Id == step.Id))
                r.Error(node, $"duplicate step id \"{step.Id}\"");
            steps.Add(step);
        }

        var handoffs = new List<ProcessHandoff>();
        foreach (var node in r.Sequence(top["handoffs"], "handoffs"))
        {
            var h = r.Mapping(node, "a handoff", HandoffKeys, ["from", "to", "method"]);
            if (h is null)
                continue;
            var from = r.Text(h["from"], "handoff from", required: true);
            var to = r.Text(h["to"], "handoff to", required: true);
            var method = r.Enum<HandoffMethod>(h["method"], "handoff method");
            var data = r.Text(h["data"], "handoff data");
            var step = r.Text(h["step"], "handoff step");
            if (step is not null && !stepIds.Contains(step))
                r.Error(h["step"]!, $"handoff step \"{step}\" is not a step of this process; steps: {string.Join(", ", stepIds)}");
            if (from is not null && to is not null && method is not null)
                handoffs.Add(new ProcessHandoff(from, to, method.Value, data, step));
        }

        if (errors.Count > 0 || id is null || name is null || trigger is null)
            return new(null, errors);
        return new(new ProcessMap(id, name, trigger, description, steps, handoffs), errors);
    }

    private static ProcessStep? ReadStep(YamlShapeReader r, YamlTreeNode node, out string? id)
    {
        id = null;
        var s = r.Mapping(node, "a step", StepKeys, ["id", "name", "owner_role", "system", "minutes", "monthly_volume"]);
        if (s is null)
            return null;
        id = r.Id(s["id"], "step id");
        var what = id is null ? "step" : $"step {id}";
        var name = r.Text(s["name"], $"{what} name", required: true);
        var owner = r.Text(s["owner_role"], $"{what} owner_role", required: true);
        var system = r.Text(s["system"], $"{what} system", required: true);
        var minutes = Number(r, s["minutes"], $"{what} minutes", 0m, null);
        var volume = Number(r, s["monthly_volume"], $"{what} monthly_volume", 0m, null);
        var errorRate = Number(r, s["error_rate"], $"{what} error_rate", 0m, 1m) ?? 0m;
        var cost = Number(r, s["downstream_cost_per_error"], $"{what} downstream_cost_per_error", 0m, null) ?? 0m;
        var automatedBy = r.Text(s["automated_by"], $"{what} automated_by");
        var share = Number(r, s["automation_share"], $"{what} automation_share", 0m, 1m) ?? 0m;
        if (automatedBy is not null && s.Has("automation_share"))
            r.Error(s.KeyNode("automation_share")!, $"{what} has both automated_by and automation_share; a step done by a workflow is fully automated, give one of them");
        if (id is null || name is null || owner is null || system is null || minutes is null || volume is null)
            return null;
        return new ProcessStep(id, name, owner, system, minutes.Value, volume.Value, errorRate, cost, automatedBy, share);
    }

    /// <summary>A plain decimal number in [min, max]; "12.5" yes, "12,5", "1e3" or "15 min" no.</summary>
    private static decimal? Number(YamlShapeReader r, YamlTreeNode? node, string what, decimal min, decimal? max)
    {
        var text = r.Text(node, what, required: true);
        if (text is null)
            return null;
        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            r.Error(node!, $"expected a number for {what}, found \"{text}\"");
            return null;
        }
        if (value < min || (max is { } m && value > m))
        {
            r.Error(node!, $"{what} must be between {min.ToString(CultureInfo.InvariantCulture)} and {(max is { } mm ? mm.ToString(CultureInfo.InvariantCulture) : "any positive number")}, found {text}");
            return null;
        }
        return value;
    }

    /// <summary>The YAML text of a map, in the shape <see cref="Load"/> reads; defaults are left out.</summary>
    public static string ToYaml(ProcessMap map)
    {
        var sw = new StringWriter(CultureInfo.InvariantCulture);
        var e = new Emitter(sw);
        e.Emit(new StreamStart());
        e.Emit(new DocumentStart(null, null, true));
        Begin(e);
        Pair(e, "id", map.Id);
        Pair(e, "name", map.Name);
        Pair(e, "trigger", map.Trigger);
        if (map.Description is not null)
            Pair(e, "description", map.Description);
        Text(e, "steps");
        e.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Block));
        foreach (var s in map.Steps)
        {
            Begin(e);
            Pair(e, "id", s.Id);
            Pair(e, "name", s.Name);
            Pair(e, "owner_role", s.OwnerRole);
            Pair(e, "system", s.System);
            NumberPair(e, "minutes", s.MinutesPerExecution);
            NumberPair(e, "monthly_volume", s.MonthlyVolume);
            if (s.ErrorRate != 0m)
                NumberPair(e, "error_rate", s.ErrorRate);
            if (s.DownstreamCostPerError != 0m)
                NumberPair(e, "downstream_cost_per_error", s.DownstreamCostPerError);
            if (s.AutomatedBy is not null)
                Pair(e, "automated_by", s.AutomatedBy);
            else if (s.AutomationShare != 0m)
                NumberPair(e, "automation_share", s.AutomationShare);
            e.Emit(new MappingEnd());
        }
        e.Emit(new SequenceEnd());
        if (map.Handoffs.Count > 0)
        {
            Text(e, "handoffs");
            e.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Block));
            foreach (var h in map.Handoffs)
            {
                Begin(e);
                Pair(e, "from", h.From);
                Pair(e, "to", h.To);
                Pair(e, "method", YamlNames.Of(h.Method));
                if (h.Data is not null)
                    Pair(e, "data", h.Data);
                if (h.Step is not null)
                    Pair(e, "step", h.Step);
                e.Emit(new MappingEnd());
            }
            e.Emit(new SequenceEnd());
        }
        e.Emit(new MappingEnd());
        e.Emit(new DocumentEnd(true));
        e.Emit(new StreamEnd());
        return sw.ToString();
    }

    private static void Begin(IEmitter e) => e.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));

    // Double-quoted unless the text is plainly a string to every YAML reader (no "yes", "1.0", ": " …).
    private static void Text(IEmitter e, string value)
    {
        var plain = value.Length > 0 && (char.IsAsciiLetter(value[0]) || value[0] == '_')
            && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ' ' or '-' or '.' or '(' or ')' or '/')
            && !value.EndsWith(' ')
            && value.ToLowerInvariant() is not ("y" or "n" or "yes" or "no" or "on" or "off" or "true" or "false" or "null" or "nan" or "inf");
        e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value, plain ? ScalarStyle.Plain : ScalarStyle.DoubleQuoted, true, true));
    }

    private static void Pair(IEmitter e, string key, string value)
    {
        Text(e, key);
        Text(e, value);
    }

    private static void NumberPair(IEmitter e, string key, decimal value)
    {
        Text(e, key);
        e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, Format(value), ScalarStyle.Plain, true, false));
    }

    /// <summary>A decimal without trailing zeros ("0.04", "25"), invariant.</summary>
    public static string Format(decimal value) => (value / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    private static readonly string[] CsvHeader =
    [
        "process", "step", "name", "owner_role", "system", "minutes", "monthly_volume", "error_rate", "downstream_cost_per_error",
        "automated_by", "automation_share", "manual_hours_per_month", "manual_hours_per_year", "labour_cost_per_year",
        "error_cost_per_year", "projected_saving_per_year", "hourly_rate",
    ];

    /// <summary>The steps as CSV (one row per step, with the cost figures at the settings' rate),
    /// for a spreadsheet: the figures an HR lead takes to a budget meeting.</summary>
    public static string StepsToCsv(ProcessMap map, ProcessCostSettings settings)
    {
        var cost = ProcessAuditCost.Compute(map, settings);
        var sw = new StringWriter(CultureInfo.InvariantCulture);
        // Step names are typed by people and the file is opened in a spreadsheet: a leading = + - @ is
        // escaped so it shows as text, never runs as a formula.
        var options = CsvWriterOptions.Default with { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture, Injection = CsvInjection.Escape };
        using (var csv = CsvWriter.Create(sw, options))
        {
            foreach (var h in CsvHeader)
                csv.WriteField(h);
            csv.EndRecord();
            foreach (var c in cost.Steps)
            {
                var s = c.Step;
                csv.WriteField(map.Id);
                csv.WriteField(s.Id);
                csv.WriteField(s.Name);
                csv.WriteField(s.OwnerRole);
                csv.WriteField(s.System);
                csv.WriteField(Format(s.MinutesPerExecution));
                csv.WriteField(Format(s.MonthlyVolume));
                csv.WriteField(Format(s.ErrorRate));
                csv.WriteField(Format(s.DownstreamCostPerError));
                csv.WriteField(s.AutomatedBy ?? "");
                csv.WriteField(Format(s.EffectiveAutomationShare));
                csv.WriteField(Format(Math.Round(c.ManualHoursPerMonth, 2)));
                csv.WriteField(Format(Math.Round(c.ManualHoursPerYear, 2)));
                csv.WriteField(Format(Math.Round(c.LabourCostPerYear, 2)));
                csv.WriteField(Format(Math.Round(c.ErrorCostPerYear, 2)));
                csv.WriteField(Format(Math.Round(c.ProjectedSavingPerYear, 2)));
                csv.WriteField(Format(settings.HourlyRate));
                csv.EndRecord();
            }
        }
        return sw.ToString();
    }
}
