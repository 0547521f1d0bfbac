using Handoff.Core.Dictionary;

namespace Handoff.Core.Workspace;

/// <summary>
/// Loads a workspace directory (<c>systems.yaml</c>, <c>dictionary.yaml</c>, <c>charter.yaml</c>)
/// with strict validation: unknown or duplicate keys, wrong node or scalar types, unknown enum
/// values, missing required keys and broken references are all reported with file, line and column.
/// </summary>
public static class WorkspaceLoader
{
    /// <summary>The connected systems.</summary>
    public const string SystemsFile = "systems.yaml";

    /// <summary>The data dictionary: fields, correlation and lifecycle rules.</summary>
    public const string DictionaryFile = "dictionary.yaml";

    /// <summary>Who owns the workspace and who signs dictionary versions.</summary>
    public const string CharterFile = "charter.yaml";

    /// <summary>Loads and validates the workspace in <paramref name="directory"/>. Each file is
    /// optional, but at least one must exist. All errors are collected, not just the first.</summary>
    public static WorkspaceLoadResult Load(string directory)
    {
        var errors = new List<WorkspaceError>();
        string? Read(string name)
        {
            var path = Path.Combine(directory, name);
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }

        var systemsText = Read(SystemsFile);
        var dictionaryText = Read(DictionaryFile);
        var charterText = Read(CharterFile);
        if (systemsText is null && dictionaryText is null && charterText is null)
        {
            errors.Add(new(".", 1, 1,
                $"no workspace files in {directory}: expected at least one of {SystemsFile}, {DictionaryFile}, {CharterFile}"));
            return new(null, errors);
        }
        return LoadFromText(systemsText, dictionaryText, charterText);
    }

    /// <summary>Loads a workspace from the texts of its files (as stored in the database); a null
    /// text is a missing file. Errors name the usual file names.</summary>
    public static WorkspaceLoadResult LoadFromText(string? systemsText, string? dictionaryText, string? charterText)
    {
        var errors = new List<WorkspaceError>();

        // Ids of systems that failed validation for another reason still count as known, so one
        // mistake in systems.yaml does not cascade into an error for every binding to that system.
        var systemIds = new List<string>();
        var systems = systemsText is null ? [] : ParseSystems(systemsText, SystemsFile, errors, systemIds);
        var dictionary = dictionaryText is null
            ? DictionaryDefinition.Empty
            : DictionaryYamlReader.Parse(dictionaryText, DictionaryFile, systemIds, errors);
        var charter = charterText is null ? Charter.Empty : ParseCharter(charterText, CharterFile, errors);

        return errors.Count > 0
            ? new(null, errors)
            : new(new WorkspaceDefinition(systems, dictionary ?? DictionaryDefinition.Empty, charter), errors);
    }

    /// <summary>Parses a dictionary on its own, e.g. a dictionary version stored as YAML text.
    /// Bindings, systems of record, writers and fallbacks are checked against
    /// <paramref name="systemIds"/>; pass null to skip those checks.</summary>
    public static DictionaryLoadResult ParseDictionary(string yaml, string fileName, IReadOnlyCollection<string>? systemIds)
    {
        var errors = new List<WorkspaceError>();
        var dictionary = DictionaryYamlReader.Parse(yaml, fileName, systemIds, errors);
        return errors.Count > 0 ? new(null, errors) : new(dictionary, errors);
    }

    private static readonly string[] SystemKeys = ["id", "name", "kind", "connector", "owner", "config"];
    private static readonly string[] SystemRequired = ["id", "kind", "connector", "owner"];

    private static List<SystemDefinition> ParseSystems(string text, string file, List<WorkspaceError> errors, List<string> ids)
    {
        var result = new List<SystemDefinition>();
        var root = YamlTree.Parse(text, file, errors);
        if (root is null)
            return result;
        var y = new YamlShapeReader(file, errors);
        var top = y.Mapping(root, "systems.yaml", ["systems"]);
        if (top is null)
            return result;

        var seen = new HashSet<string>();
        foreach (var item in y.Sequence(top["systems"], "systems"))
        {
            var f = y.Mapping(item, "system", SystemKeys, SystemRequired);
            if (f is null)
                continue;
            var id = y.Id(f["id"], "system id");
            if (id is not null && !seen.Add(id))
                y.Error(f["id"]!, $"duplicate system id \"{id}\"");
            else if (id is not null)
                ids.Add(id);
            var name = y.Text(f["name"], "system name") ?? id;
            var kind = y.Enum<SystemKind>(f["kind"], "system kind");
            var owner = y.Enum<SystemOwner>(f["owner"], "owner");
            var connector = y.Text(f["connector"], "connector", required: true);
            var config = ParseConfig(y, f, connector);
            if (id is null || name is null || kind is null || owner is null || connector is null)
                continue;
            result.Add(new SystemDefinition(id, name, kind.Value, connector, owner.Value, config) { At = y.Span(item) });
        }
        return result;
    }

    private static Dictionary<string, string> ParseConfig(YamlShapeReader y, YamlFields system, string? connector)
    {
        var config = new Dictionary<string, string>();
        var type = connector is null ? null : ConnectorCatalog.Find(connector);
        if (connector is not null && type is null)
        {
            y.Error(system["connector"]!,
                $"unknown connector \"{connector}\"; expected one of {string.Join(", ", ConnectorCatalog.Types.Select(t => t.Name))}");
        }

        foreach (var (key, value) in y.OpenMapping(system["config"], "config"))
        {
            if (type is not null && !type.AllKeys.Contains(key.Value))
            {
                y.Error(key, $"unknown config key \"{key.Value}\" for connector {type.Name}; allowed keys: {string.Join(", ", type.AllKeys)}");
                continue;
            }
            if (y.Text(value, $"config key {key.Value}", required: true) is { } text)
            {
                if (key.Value == "creates_people" && text is not ("true" or "false"))
                    y.Error(value, $"creates_people: expected true or false, found \"{text}\"");
                if (key.Value == "delivery" && text is not ("snapshot" or "changes"))
                    y.Error(value, $"delivery: expected snapshot (each file is the whole population) or changes (a change set), found \"{text}\"");
                if (key.Value == "file_time" && text is not ("name" or "received"))
                    y.Error(value, $"file_time: expected name (the export time is in the file name) or received, found \"{text}\"");
                if (key.Value == "guard" && text is not ("on" or "off"))
                    y.Error(value, $"guard: expected on or off, found \"{text}\"");
                if (key.Value == "guard_share" && !(double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var share) && share is > 0 and <= 1))
                    y.Error(value, $"guard_share: expected a share between 0 and 1 (0.2 = 20 %), found \"{text}\"");
                if (key.Value == "guard_minimum" && !(int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var min) && min >= 1))
                    y.Error(value, $"guard_minimum: expected a whole number of at least 1, found \"{text}\"");
                if (Governance.SystemHealthSettings.Check(key.Value, text) is { } healthError)
                    y.Error(value, healthError);
                if (key.Value == "reconcile" && !Workflows.WorkflowSchedule.TryParse(text, out _, out var cronError))
                    y.Error(value, $"reconcile: \"{text}\" is not a cron schedule: {cronError}");
                if (Reconciliation.GroupRule.Check(key.Value, text) is { } groupError)
                    y.Error(value, groupError);
                config[key.Value] = text;
            }
        }

        if (type is not null)
        {
            var at = system["config"] ?? system.Map;
            foreach (var key in type.Required.Where(k => !config.ContainsKey(k)))
            {
                // A key present with a bad value was already reported; do not report it twice.
                if (system["config"] is YamlTreeMapping m && m.Entries.Any(e => e.Key is YamlTreeScalar s && s.Value == key))
                    continue;
                y.Error(at, $"missing required config key \"{key}\" for connector {type.Name}");
            }
        }
        return config;
    }

    internal static readonly string[] Roles = ["hr_admin", "hr_operator", "it_admin", "it_operator", "auditor", "viewer"];

    private static Charter ParseCharter(string text, string file, List<WorkspaceError> errors)
    {
        var root = YamlTree.Parse(text, file, errors);
        if (root is null)
            return Charter.Empty;
        var y = new YamlShapeReader(file, errors);
        var top = y.Mapping(root, "charter.yaml", ["charter"]);
        var charter = y.Mapping(top?["charter"], "charter", ["owners", "members", .. CharterYamlReader.Keys]);
        if (charter is null)
            return Charter.Empty;

        var owners = y.Mapping(charter["owners"], "owners", ["hr", "it"]);
        var hrOwner = y.Text(owners?["hr"], "HR owner", required: true) ?? Charter.Empty.HrOwner;
        var itOwner = y.Text(owners?["it"], "IT owner", required: true) ?? Charter.Empty.ItOwner;

        var members = new List<CharterMember>();
        var seen = new HashSet<string>();
        foreach (var item in y.Sequence(charter["members"], "members"))
        {
            var f = y.Mapping(item, "member", ["id", "name", "side", "roles", "approver", "email"], ["id", "side"]);
            if (f is null)
                continue;
            var id = y.Id(f["id"], "member id");
            if (id is not null && !seen.Add(id))
                y.Error(f["id"]!, $"duplicate member id \"{id}\"");
            var name = y.Text(f["name"], "member name") ?? id;
            var side = y.Enum<SystemOwner>(f["side"], "side");
            var roles = new List<string>();
            foreach (var roleNode in y.Sequence(f["roles"], "roles"))
            {
                var role = y.Text(roleNode, "role", required: true);
                if (role is not null && !Roles.Contains(role))
                    y.Error(roleNode, $"unknown role \"{role}\"; expected one of {string.Join(", ", Roles)}");
                else if (role is not null)
                    roles.Add(role);
            }
            var approver = f.Has("approver") ? y.Bool(f["approver"], "approver") : false;
            if (id is null || name is null || side is null || approver is null)
                continue;
            var email = CharterYamlReader.Email(y, f["email"]);
            members.Add(new CharterMember(id, name, side.Value, roles, approver.Value) { At = y.Span(item), Email = email });
        }
        return CharterYamlReader.ReadGovernance(y, charter, new Charter(hrOwner, itOwner, members));
    }
}
