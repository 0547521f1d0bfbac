using System.Globalization;
using System.Text.RegularExpressions;
using Handoff.Core.Dictionary;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Handoff.Core.Workspace;

/// <summary>
/// Writes a workspace back to <c>systems.yaml</c>, <c>dictionary.yaml</c> and <c>charter.yaml</c> in
/// the shape <see cref="WorkspaceLoader"/> reads, leaving out values the loader would restore as
/// defaults, so that loading what was written gives back the same workspace.
/// </summary>
public static partial class WorkspaceWriter
{
    /// <summary>Writes the three workspace files into <paramref name="directory"/> (created if needed).</summary>
    public static void Write(WorkspaceDefinition ws, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, WorkspaceLoader.SystemsFile), ToYaml(ws.Systems));
        File.WriteAllText(Path.Combine(directory, WorkspaceLoader.DictionaryFile), ToYaml(ws.Dictionary));
        File.WriteAllText(Path.Combine(directory, WorkspaceLoader.CharterFile), ToYaml(ws.Charter));
    }

    /// <summary>The text of <c>systems.yaml</c>.</summary>
    public static string ToYaml(IReadOnlyList<SystemDefinition> systems) => Emit(w =>
    {
        w.BeginMap();
        w.Key("systems");
        w.BeginList();
        foreach (var s in systems)
        {
            w.BeginMap();
            w.Pair("id", s.Id);
            if (s.Name != s.Id)
                w.Pair("name", s.Name);
            w.Pair("kind", YamlNames.Of(s.Kind));
            w.Pair("connector", s.Connector);
            w.Pair("owner", YamlNames.Of(s.Owner));
            if (s.Config.Count > 0)
            {
                w.Key("config");
                w.BeginMap();
                foreach (var (key, value) in s.Config)
                    w.Pair(key, value);
                w.EndMap();
            }
            w.EndMap();
        }
        w.EndList();
        w.EndMap();
    });

    /// <summary>The text of <c>charter.yaml</c>.</summary>
    public static string ToYaml(Charter charter) => Emit(w =>
    {
        w.BeginMap();
        w.Key("charter");
        w.BeginMap();
        if (charter.HrOwner != Charter.Empty.HrOwner || charter.ItOwner != Charter.Empty.ItOwner)
        {
            w.Key("owners");
            w.BeginMap();
            w.Pair("hr", charter.HrOwner);
            w.Pair("it", charter.ItOwner);
            w.EndMap();
        }
        if (charter.Members.Count > 0)
        {
            w.Key("members");
            w.BeginList();
            foreach (var m in charter.Members)
            {
                w.BeginMap();
                w.Pair("id", m.Id);
                if (m.Name != m.Id)
                    w.Pair("name", m.Name);
                w.Pair("side", YamlNames.Of(m.Side));
                if (m.Roles.Count > 0)
                    w.FlowList("roles", m.Roles);
                if (m.Approver)
                    w.Pair("approver", true);
                if (m.Email is not null)
                    w.Pair("email", m.Email);
                w.EndMap();
            }
            w.EndList();
        }
        WriteCharterGovernance(w, charter);
        w.EndMap();
        w.EndMap();
    });

    /// <summary>The text of <c>dictionary.yaml</c>; <see cref="WorkspaceLoader.ParseDictionary"/>
    /// reads it back to an equal dictionary (dictionary versions are stored as this text).</summary>
    public static string ToYaml(DictionaryDefinition d) => Emit(w =>
    {
        w.BeginMap();
        w.Key("fields");
        w.BeginList();
        foreach (var f in d.Fields)
            WriteField(w, f);
        w.EndList();

        if (d.Correlation.Count > 0)
        {
            w.Key("correlation");
            w.BeginList();
            foreach (var rule in d.Correlation)
            {
                w.BeginMap();
                w.FlowList("match", rule.Fields);
                if (rule.SuggestOnly)
                    w.Pair("suggest_only", true);
                w.EndMap();
            }
            w.EndList();
        }

        WriteLifecycle(w, d.Lifecycle);

        if (d.Retention.Count > 0)
        {
            w.Key("retention");
            w.BeginList();
            foreach (var p in d.Retention)
            {
                w.BeginMap();
                w.Pair("name", p.Name);
                if (p.Countries.Count > 0)
                    w.FlowList("countries", p.Countries);
                if (p.Classifications.Count > 0)
                    w.FlowList("classifications", p.Classifications.Select(c => YamlNames.Of(c)));
                if (p.Fields.Count > 0)
                    w.FlowList("fields", p.Fields);
                w.Pair("after", p.After.ToString());
                w.Pair("action", YamlNames.Of(p.Action));
                w.EndMap();
            }
            w.EndList();
        }
        w.EndMap();
    });

    private static void WriteField(YamlOut w, FieldDefinition f)
    {
        w.BeginMap();
        w.Pair("name", f.Name);
        if (f.Label != f.Name)
            w.Pair("label", f.Label);
        w.Pair("type", YamlNames.Of(f.Type));
        if (f.Values.Count > 0)
            w.FlowList("values", f.Values);
        w.Pair("classification", YamlNames.Of(f.Classification));
        if (f.Required)
            w.Pair("required", true);
        if (f.SystemOfRecord is not null)
            w.Pair("system_of_record", f.SystemOfRecord);
        if (f.Writers.Count > 0)
            w.FlowList("writers", f.Writers);
        WriteConflict(w, f.Conflict);

        if (f.Bindings.Count > 0)
        {
            w.Key("bindings");
            w.BeginMap();
            foreach (var b in f.Bindings)
            {
                w.Key(b.System);
                w.BeginMap(flow: true);
                w.Pair("field", b.Native);
                if (b.Format is not null)
                    w.Pair("format", b.Format);
                if (b.Converter is not null)
                    w.Pair("converter", b.Converter);
                if (b.Map.Count > 0)
                {
                    w.Key("map");
                    w.BeginMap(flow: true);
                    foreach (var (native, canonical) in b.Map)
                        w.Pair(native, canonical);
                    w.EndMap();
                }
                if (b.Strength != WriteStrength.Enforce)
                    w.Pair("strength", YamlNames.Of(b.Strength));
                if (b.EmptyClears)
                    w.Pair("empty", "clears");
                w.EndMap();
            }
            w.EndMap();
        }
        w.EndMap();
    }

    private static void WriteConflict(YamlOut w, ConflictRule rule)
    {
        switch (rule.Kind)
        {
            case ConflictRuleKind.SystemOfRecord when rule.Priority.Count == 0:
                return; // the default
            case ConflictRuleKind.SystemOfRecord:
                w.Key("conflict");
                w.BeginMap(flow: true);
                w.Key("system_of_record");
                w.BeginMap(flow: true);
                w.FlowList("fallback", rule.Priority);
                w.EndMap();
                w.EndMap();
                return;
            case ConflictRuleKind.Priority:
                w.Key("conflict");
                w.BeginMap(flow: true);
                w.FlowList("priority", rule.Priority);
                w.EndMap();
                return;
            default:
                w.Pair("conflict", YamlNames.Of(rule.Kind));
                return;
        }
    }

    private static void WriteLifecycle(YamlOut w, LifecycleRules l)
    {
        var d = LifecycleRules.Default;
        var entries = new List<(string Key, string? Value, string? Default)>
        {
            ("start_date", l.StartDate, d.StartDate),
            ("termination_date", l.TerminationDate, d.TerminationDate),
            ("offer_status", l.OfferStatus, d.OfferStatus),
            ("leave_flag", l.LeaveFlag, d.LeaveFlag),
            ("worker_type", l.WorkerType, d.WorkerType),
            ("time_zone", l.TimeZone, d.TimeZone),
        };
        var acceptedIsDefault = l.AcceptedOfferValues.SequenceEqual(d.AcceptedOfferValues);
        if (acceptedIsDefault && entries.All(e => e.Value == e.Default))
            return;

        w.Key("lifecycle");
        w.BeginMap();
        foreach (var (key, value, fallback) in entries.Where(e => e.Value != e.Default))
        {
            // An optional rule switched off is written as an explicit null, not left out.
            if (value is null)
                w.Null(key);
            else
                w.Pair(key, value);
        }
        if (!acceptedIsDefault)
            w.FlowList("accepted_offer_values", l.AcceptedOfferValues);
        w.EndMap();
    }

    private static string Emit(Action<YamlOut> write)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text, new EmitterSettings(bestIndent: 2, bestWidth: 120, isCanonical: false,
            maxSimpleKeyLength: 1024, skipAnchorName: false, indentSequences: true));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        write(new YamlOut(emitter));
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    // Plain only for text that every YAML reader takes as the same string: starts with a letter or
    // '_', uses no indicator characters and is not a YAML 1.1/1.2 keyword (yes, no, on, null, ...).
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_ ./()@+-]*$")]
    private static partial Regex PlainSafe();

    [GeneratedRegex(@"^(y|n|yes|no|on|off|true|false|null|nan|inf)$", RegexOptions.IgnoreCase)]
    private static partial Regex Keyword();

    private static bool NeedsQuotes(string value) =>
        !PlainSafe().IsMatch(value) || value.EndsWith(' ') || Keyword().IsMatch(value);

    /// <summary>A thin layer over the emitter so the writing code above reads like the YAML it makes.</summary>
    private sealed class YamlOut(IEmitter emitter)
    {
        public void BeginMap(bool flow = false) =>
            emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, flow ? MappingStyle.Flow : MappingStyle.Block));

        public void EndMap() => emitter.Emit(new MappingEnd());

        public void BeginList(bool flow = false) =>
            emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, flow ? SequenceStyle.Flow : SequenceStyle.Block));

        public void EndList() => emitter.Emit(new SequenceEnd());

        public void Key(string key) => Text(key);

        public void Text(string value) =>
            emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value,
                NeedsQuotes(value) ? ScalarStyle.DoubleQuoted : ScalarStyle.Plain, true, true));

        public void Pair(string key, string value)
        {
            Key(key);
            Text(value);
        }

        public void Pair(string key, bool value)
        {
            Key(key);
            emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value ? "true" : "false", ScalarStyle.Plain, true, false));
        }

        public void Null(string key)
        {
            Key(key);
            emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "~", ScalarStyle.Plain, true, false));
        }

        public void FlowList(string key, IEnumerable<string> items)
        {
            Key(key);
            BeginList(flow: true);
            foreach (var item in items)
                Text(item);
            EndList();
        }
    }
}
