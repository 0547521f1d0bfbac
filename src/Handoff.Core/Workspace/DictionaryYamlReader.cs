using Handoff.Core.Dictionary;

namespace Handoff.Core.Workspace;

/// <summary>Reads <c>dictionary.yaml</c> (fields, correlation, lifecycle) strictly. Shared by the
/// workspace loader and by stored dictionary versions, which are kept as YAML text.</summary>
internal static class DictionaryYamlReader
{
    private static readonly string[] TopKeys = ["fields", "correlation", "lifecycle", "retention"];

    private static readonly string[] RetentionKeys = ["name", "countries", "classifications", "fields", "after", "action"];

    private static readonly string[] FieldKeys =
        ["name", "label", "type", "classification", "required", "values", "system_of_record", "writers", "conflict", "bindings"];

    private static readonly string[] FieldRequired = ["name", "type", "classification"];

    private static readonly string[] BindingKeys = ["field", "format", "converter", "map", "strength", "empty"];

    private static readonly string[] LifecycleKeys =
        ["start_date", "termination_date", "offer_status", "accepted_offer_values", "leave_flag", "worker_type", "time_zone"];

    /// <summary>Parses a dictionary; returns null only when the text is not YAML at all.</summary>
    public static DictionaryDefinition? Parse(string text, string file, IReadOnlyCollection<string>? systemIds, List<WorkspaceError> errors)
    {
        var root = YamlTree.Parse(text, file, errors);
        if (root is null)
            return null;
        var y = new YamlShapeReader(file, errors);
        var top = y.Mapping(root, "the dictionary", TopKeys);
        if (top is null)
            return null;

        // Names are collected before the fields are validated so that a field with a mistake of
        // its own does not also make every correlation or lifecycle reference to it an error.
        var fieldItems = y.Sequence(top["fields"], "fields");
        var names = fieldItems.OfType<YamlTreeMapping>()
            .SelectMany(m => m.Entries.Where(e => e.Key is YamlTreeScalar { Value: "name" }).Take(1))
            .Select(e => e.Value).OfType<YamlTreeScalar>().Select(v => v.Value).ToHashSet();

        var fields = new List<FieldDefinition>();
        var seen = new HashSet<string>();
        foreach (var item in fieldItems)
        {
            if (ParseField(y, item, systemIds) is not { } field)
                continue;
            if (!seen.Add(field.Name))
            {
                y.Error(((YamlTreeMapping)item).Entries.First(e => e.Key is YamlTreeScalar { Value: "name" }).Value,
                    $"duplicate field name \"{field.Name}\"");
                continue;
            }
            fields.Add(field);
        }

        var correlation = new List<CorrelationRule>();
        foreach (var item in y.Sequence(top["correlation"], "correlation"))
        {
            var f = y.Mapping(item, "correlation rule", ["match", "suggest_only"], ["match"]);
            if (f is null)
                continue;
            var match = new List<string>();
            var matchItems = y.Sequence(f["match"], "match");
            if (f.Has("match") && matchItems.Count == 0)
                y.Error(f["match"]!, "a correlation rule must match at least one field");
            foreach (var node in matchItems)
            {
                if (FieldReference(y, node, names, "correlation") is { } name)
                    match.Add(name);
            }
            var suggestOnly = f.Has("suggest_only") ? y.Bool(f["suggest_only"], "suggest_only") : false;
            if (match.Count == matchItems.Count && match.Count > 0 && suggestOnly is not null)
                correlation.Add(new CorrelationRule(match, suggestOnly.Value) { At = y.Span(item) });
        }

        var lifecycle = ParseLifecycle(y, top["lifecycle"], names);
        var retention = ParseRetention(y, top["retention"], names);
        return new DictionaryDefinition(fields, correlation, lifecycle) { Retention = retention };
    }

    private static List<RetentionPolicy> ParseRetention(YamlShapeReader y, YamlTreeNode? node, HashSet<string> names)
    {
        var result = new List<RetentionPolicy>();
        var seen = new HashSet<string>();
        foreach (var item in y.Sequence(node, "retention"))
        {
            var f = y.Mapping(item, "retention policy", RetentionKeys, ["name", "after", "action"]);
            if (f is null)
                continue;
            var name = y.Id(f["name"], "retention policy name");
            if (name is not null && !seen.Add(name))
                y.Error(f["name"]!, $"duplicate retention policy \"{name}\"");
            var countries = f.Has("countries") ? y.TextList(f["countries"], "countries") : [];
            var classifications = new List<Classification>();
            foreach (var c in y.Sequence(f["classifications"], "classifications"))
            {
                if (y.Enum<Classification>(c, "classification") is { } value)
                    classifications.Add(value);
            }
            var fields = new List<string>();
            foreach (var n in y.Sequence(f["fields"], "fields"))
            {
                if (FieldReference(y, n, names, "retention") is { } field)
                    fields.Add(field);
            }
            if (!f.Has("classifications") && !f.Has("fields"))
                y.Error(item, "a retention policy needs classifications or fields");
            RetentionPeriod? after = null;
            if (y.Text(f["after"], "after", required: true) is { } text && !RetentionPeriod.TryParse(text, out after))
                y.Error(f["after"]!, $"\"{text}\" is not a period: expected a number and days, months or years (e.g. 6 months)");
            var action = y.Enum<RetentionAction>(f["action"], "action");
            if (name is not null && after is not null && action is not null)
                result.Add(new RetentionPolicy(name, countries, classifications, fields, after, action.Value) { At = y.Span(item) });
        }
        return result;
    }

    private static string? FieldReference(YamlShapeReader y, YamlTreeNode node, HashSet<string> names, string what)
    {
        var name = y.Text(node, $"{what} field", required: true);
        if (name is not null && !names.Contains(name))
        {
            y.Error(node, $"{what} names field \"{name}\", which is not defined in the dictionary");
            return null;
        }
        return name;
    }

    private static LifecycleRules ParseLifecycle(YamlShapeReader y, YamlTreeNode? node, HashSet<string> names)
    {
        var d = LifecycleRules.Default;
        if (node is null)
            return d;
        var f = y.Mapping(node, "lifecycle", LifecycleKeys);
        if (f is null)
            return d;

        // A key left out keeps its default; an explicit null (~) switches an optional rule off.
        string? Entry(string key, string? fallback, bool nullable)
        {
            if (!f.Has(key))
                return fallback;
            var value = f[key]!;
            if (nullable && value is YamlTreeScalar { IsNull: true })
                return null;
            return FieldReference(y, value, names, $"lifecycle {key}") ?? fallback;
        }

        var accepted = f.Has("accepted_offer_values") ? y.TextList(f["accepted_offer_values"], "accepted_offer_values") : [.. d.AcceptedOfferValues];
        return new LifecycleRules(
            Entry("start_date", d.StartDate, nullable: false)!,
            Entry("termination_date", d.TerminationDate, nullable: false)!,
            Entry("offer_status", d.OfferStatus, nullable: true),
            accepted,
            Entry("leave_flag", d.LeaveFlag, nullable: true),
            Entry("worker_type", d.WorkerType, nullable: true),
            Entry("time_zone", d.TimeZone, nullable: true));
    }

    private static FieldDefinition? ParseField(YamlShapeReader y, YamlTreeNode item, IReadOnlyCollection<string>? systemIds)
    {
        var f = y.Mapping(item, "field", FieldKeys, FieldRequired);
        if (f is null)
            return null;
        var name = y.Id(f["name"], "field name");
        var what = name is null ? "field" : $"field {name}";
        var label = y.Text(f["label"], "label") ?? name;
        var type = y.Enum<FieldType>(f["type"], "field type");
        var classification = y.Enum<Classification>(f["classification"], "classification");
        var required = f.Has("required") ? y.Bool(f["required"], "required") : false;

        var values = y.TextList(f["values"], "values");
        if (type == FieldType.Enum && values.Count == 0)
            y.Error(f["values"] ?? f.Map, $"{what} has type enum and needs a non-empty \"values\" list");
        else if (type is not null and not FieldType.Enum && f.Has("values"))
            y.Error(f.KeyNode("values")!, $"\"values\" is only allowed for type enum, not {YamlNames.Of(type.Value)}");

        void CheckSystem(YamlTreeNode at, string? id, string role)
        {
            if (id is not null && systemIds is not null && !systemIds.Contains(id))
                y.Error(at, $"{role} \"{id}\" of {what} is not a system id; known systems: {string.Join(", ", systemIds)}");
        }

        var systemOfRecord = y.Text(f["system_of_record"], "system_of_record");
        if (systemOfRecord is not null)
            CheckSystem(f["system_of_record"]!, systemOfRecord, "system_of_record");

        var writers = new List<string>();
        foreach (var w in y.Sequence(f["writers"], "writers"))
        {
            var id = y.Text(w, "writer", required: true);
            // A writer is a system, or a workflow that writes the field back (set_field): workflow:ID.
            if (id is not null && id.StartsWith("workflow:", StringComparison.Ordinal))
            {
                if (!System.Text.RegularExpressions.Regex.IsMatch(id, "^workflow:[a-z][a-z0-9_-]*$"))
                    y.Error(w, $"writer \"{id}\" is not a workflow reference; write workflow:ID");
            }
            else
            {
                CheckSystem(w, id, "writer");
            }
            if (id is not null)
                writers.Add(id);
        }

        var conflict = ParseConflict(y, f["conflict"], (at, id, role) => CheckSystem(at, id, role));

        var bindings = new List<FieldBinding>();
        foreach (var (key, value) in y.OpenMapping(f["bindings"], "bindings"))
        {
            CheckSystem(key, key.Value, "binding system");
            if (ParseBinding(y, key.Value, value, type, values, what) is { } binding)
                bindings.Add(binding);
        }

        if (name is null || label is null || type is null || classification is null || required is null || conflict is null)
            return null;
        return new FieldDefinition(name, label, type.Value, classification.Value, required.Value,
            values, systemOfRecord, writers, conflict, bindings)
        { At = y.Span(item) };
    }

    private static ConflictRule? ParseConflict(YamlShapeReader y, YamlTreeNode? node, Action<YamlTreeNode, string?, string> checkSystem)
    {
        if (node is null)
            return ConflictRule.SystemOfRecordRule;

        List<string> Systems(YamlTreeNode? list, string role)
        {
            var ids = new List<string>();
            foreach (var item in y.Sequence(list, role))
            {
                var id = y.Text(item, role, required: true);
                checkSystem(item, id, $"{role} entry");
                if (id is not null)
                    ids.Add(id);
            }
            return ids;
        }

        if (node is YamlTreeScalar)
        {
            switch (y.Text(node, "conflict", required: true))
            {
                case null:
                    return null;
                case "system_of_record":
                    return ConflictRule.SystemOfRecordRule;
                case "most_recent":
                    return new(ConflictRuleKind.MostRecent, []);
                case "manual":
                    return new(ConflictRuleKind.Manual, []);
                case var other:
                    y.Error(node, $"unknown conflict rule \"{other}\"; expected system_of_record, most_recent, manual, "
                        + "{ priority: [systems] } or { system_of_record: { fallback: [systems] } }");
                    return null;
            }
        }

        var f = y.Mapping(node, "conflict", ["priority", "system_of_record"]);
        if (f is null)
            return null;
        if (f.Keys.Count() != 1)
        {
            y.Error(node, "conflict must have exactly one of \"priority\" or \"system_of_record\"");
            return null;
        }
        if (f.Has("priority"))
        {
            var priority = Systems(f["priority"], "priority");
            if (priority.Count == 0)
                y.Error(f["priority"]!, "priority needs at least one system");
            return new(ConflictRuleKind.Priority, priority);
        }
        var sor = f["system_of_record"]!;
        if (sor is YamlTreeScalar { IsNull: true })
            return ConflictRule.SystemOfRecordRule;
        var sorFields = y.Mapping(sor, "system_of_record conflict", ["fallback"]);
        return sorFields is null ? null : new(ConflictRuleKind.SystemOfRecord, Systems(sorFields["fallback"], "fallback"));
    }

    private static FieldBinding? ParseBinding(YamlShapeReader y, string system, YamlTreeNode node,
        FieldType? type, List<string> values, string what)
    {
        var f = y.Mapping(node, $"binding {system} of {what}", BindingKeys, ["field"]);
        if (f is null)
            return null;
        var native = y.Text(f["field"], "field", required: true);
        var isDate = type is FieldType.Date or FieldType.DateTime;

        var format = y.Text(f["format"], "format");
        if (format is not null)
        {
            if (type is not null && !isDate)
                y.Error(f.KeyNode("format")!, $"\"format\" is only allowed for date and datetime fields, not {YamlNames.Of(type.Value)}");
            else if (!ValueConverter.IsValidDatePattern(format, type == FieldType.DateTime))
                y.Error(f["format"]!, $"\"{format}\" is not a valid .NET date pattern (e.g. MM/dd/yyyy, dd.MM.yyyy)");
        }

        var converter = y.Text(f["converter"], "converter");
        if (converter is not null)
        {
            if (!ValueConverter.Converters.Contains(converter))
                y.Error(f["converter"]!, $"unknown converter \"{converter}\"; expected one of {string.Join(", ", ValueConverter.Converters)}");
            else if (type is not null && !isDate)
                y.Error(f.KeyNode("converter")!, $"\"converter\" is only allowed for date and datetime fields, not {YamlNames.Of(type.Value)}");
            else if (format is not null && converter != ValueConverter.Iso)
                y.Error(f.KeyNode("converter")!, $"converter {converter} cannot be combined with a format");
        }

        var map = new Dictionary<string, string>();
        if (f.Has("map") && type is not null and not FieldType.Enum)
            y.Error(f.KeyNode("map")!, $"\"map\" is only allowed for enum fields, not {YamlNames.Of(type.Value)}");
        foreach (var (key, value) in y.OpenMapping(f["map"], "map"))
        {
            var target = y.Text(value, "map target", required: true);
            if (target is null)
                continue;
            if (type == FieldType.Enum && !values.Contains(target))
            {
                y.Error(value, $"map target \"{target}\" is not one of the values of {what}: {string.Join(", ", values)}");
                continue;
            }
            map[key.Value] = target;
        }

        var strength = f.Has("strength") ? y.Enum<WriteStrength>(f["strength"], "strength") : WriteStrength.Enforce;
        var empty = y.Text(f["empty"], "empty");
        if (empty is not null and not ("clears" or "ignored"))
            y.Error(f["empty"]!, $"empty must be \"clears\" (an empty value clears what this system said) or \"ignored\" (the default: an empty value says nothing), not \"{empty}\"");
        if (native is null || strength is null)
            return null;
        return new FieldBinding(system, native, format, converter, map, strength.Value) { At = y.Span(node), EmptyClears = empty == "clears" };
    }
}
