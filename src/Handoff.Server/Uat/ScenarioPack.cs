using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Handoff.Server.Uat;

/// <summary>Where something is written in a pack: <c>pack.yaml:12:5</c>.</summary>
public sealed record PackPlace(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One thing a pack does, in order, through the same code as the CLI verb, the web app or the
/// worker that does it in production.</summary>
public abstract record PackStep(PackPlace Place)
{
    public abstract string Describe { get; }
}

/// <summary><c>sync: { system, file?, snapshot? }</c>: "Sync now" on the system's drop folder; with
/// <c>file</c> and <c>snapshot: true</c> the pack's file is first copied into the drop folder (replacing a
/// file of that name); with <c>file</c> alone it is read like <c>handoff sync SYSTEM --file FILE</c>.</summary>
public sealed record SyncStep(PackPlace Place, string System, string? File, string? FileName, bool Snapshot) : PackStep(Place)
{
    public override string Describe => File is null ? $"sync {System}" : Snapshot ? $"sync {System} (drop {FileName})" : $"sync {System} --file {FileName}";
}

/// <summary><c>webhook: { system, body: FILE, at? }</c>: a webhook body received at <c>at</c> (its as-of
/// time), processed by the webhook delivery worker.</summary>
public sealed record WebhookStep(PackPlace Place, string System, string Body, string BodyName, DateTimeOffset? At) : PackStep(Place)
{
    public override string Describe => $"webhook {System} {BodyName}{(At is { } at ? $" at {at:yyyy-MM-ddTHH:mm:ssZ}" : "")}";
}

/// <summary><c>scim: { method, path, body?, token_system, status? }</c>: a SCIM request of the token's
/// system through the SCIM service (<c>{last}</c> in the path: the id of the last resource created).</summary>
public sealed record ScimStep(PackPlace Place, string Method, string Path, string? Body, string TokenSystem, int? Status) : PackStep(Place)
{
    public override string Describe => $"scim {Method} {Path} as {TokenSystem}";
}

/// <summary><c>tick: { today? }</c>: the clock moves to that day; due future-dated changes and
/// lifecycle dates apply and the workflow engine runs (<c>handoff tick</c>).</summary>
public sealed record TickStep(PackPlace Place, DateOnly Today) : PackStep(Place)
{
    public override string Describe => $"tick {Today:yyyy-MM-dd}";
}

/// <summary><c>accept|reject: { delivery: last-held, as, system?, reason? }</c>: a person decides a held delivery.</summary>
public sealed record DecisionStep(PackPlace Place, bool Accept, string? System, string Actor, string? Reason) : PackStep(Place)
{
    public override string Describe => $"{(Accept ? "accept" : "reject")} the last held {System ?? ""}{(System is null ? "" : " ")}delivery as {Actor}";
}

/// <summary><c>review: { system, key, link?: PERSON, new?: true, as }</c>: a person decides the open review
/// item of a held record (<c>handoff review resolve</c>): it belongs to PERSON, or is a new person.</summary>
public sealed record ReviewStep(PackPlace Place, string System, string Key, string? Link, string Actor) : PackStep(Place)
{
    public override string Describe => $"review {System} record {Key}: {(Link is null ? "a new person" : $"link to {Link}")} as {Actor}";
}

/// <summary><c>retry: { system }</c>: the system's quarantined rows retried (<c>handoff quarantine retry SYSTEM</c>).</summary>
public sealed record RetryStep(PackPlace Place, string System) : PackStep(Place)
{
    public override string Describe => $"quarantine retry {System}";
}

/// <summary><c>workflows: activate-shipped</c>: the workspace's workflows proposed, signed and activated
/// the way the demo does (all but the directory baseline), then one engine tick.</summary>
public sealed record ActivateShippedStep(PackPlace Place) : PackStep(Place)
{
    public override string Describe => "workflows: activate-shipped";
}

/// <summary><c>baseline</c>: the directory baseline run on demand for the current workforce, like the demo.</summary>
public sealed record BaselineStep(PackPlace Place) : PackStep(Place)
{
    public override string Describe => "baseline";
}

/// <summary><c>expect: [ … ]</c> among the steps: expectations checked at that point (a held delivery
/// before it is accepted, say); they count like the final ones.</summary>
public sealed record ExpectStep(PackPlace Place, IReadOnlyList<PackExpectation> Expectations) : PackStep(Place)
{
    public override string Describe => $"expect ({Expectations.Count})";
}

/// <summary>One expected outcome, checked after the last step (or at an <see cref="ExpectStep"/>).</summary>
public abstract record PackExpectation(PackPlace Place)
{
    public abstract string Describe { get; }
}

/// <summary><c>person: { employee_id: X, state?, fields? }</c> (any canonical field identifies the person;
/// a field expected <c>~</c> has no value).</summary>
public sealed record PersonExpectation(PackPlace Place, string KeyField, string KeyValue, string? State, IReadOnlyList<KeyValuePair<string, string?>> Fields)
    : PackExpectation(Place)
{
    public override string Describe => Redacted(new HashSet<string>());

    /// <summary>The description with the expected values of <paramref name="sensitive"/> fields masked.</summary>
    public string Redacted(IReadOnlySet<string> sensitive) =>
        $"person {KeyField}={KeyValue}: " + string.Join(", ", new[] { State is null ? null : $"state {State}" }
            .Concat(Fields.Select(f => $"{f.Key} {(f.Value is null ? "(none)" : sensitive.Contains(f.Key) ? "•••• (sensitive)" : f.Value)}")).OfType<string>());
}

/// <summary><c>people: { state?, count?, all_have? }</c>: how many people (in a state) there are, and
/// that each of them has a value for the listed fields.</summary>
public sealed record PeopleExpectation(PackPlace Place, string? State, int? Count, IReadOnlyList<string> AllHave) : PackExpectation(Place)
{
    public override string Describe =>
        $"people{(State is null ? "" : $" {State}")}: " + string.Join(", ", new[]
        {
            Count is null ? null : $"{Count} of them", AllHave.Count == 0 ? null : $"each with {string.Join(", ", AllHave)}",
        }.OfType<string>());
}

/// <summary><c>deliveries: { system?, held?, rejected?, applied?, failed?, last?, reason_contains?, decided_by? }</c>.</summary>
public sealed record DeliveriesExpectation(PackPlace Place, string? System, IReadOnlyList<KeyValuePair<string, int>> Counts, string? Last,
    string? ReasonContains, string? DecidedBy) : PackExpectation(Place)
{
    public override string Describe =>
        $"deliveries{(System is null ? "" : $" of {System}")}: " + string.Join(", ", Counts.Select(c => $"{c.Value} {c.Key}")
            .Concat(new[] { Last is null ? null : $"the last one {Last}", ReasonContains is null ? null : $"reason contains \"{ReasonContains}\"",
                DecidedBy is null ? null : $"decided by {DecidedBy}" }.OfType<string>()));
}

/// <summary><c>account: { system, username, exists?, enabled?, expires?, groups?, attributes? }</c> in a sandbox
/// target (attributes by their native name, e.g. <c>mail</c>; <c>~</c> for none).</summary>
public sealed record AccountExpectation(PackPlace Place, string System, string Username, bool Exists, bool? Enabled, bool CheckExpires, string? Expires,
    IReadOnlyList<string> Groups, IReadOnlyList<KeyValuePair<string, string?>> Attributes) : PackExpectation(Place)
{
    public override string Describe =>
        $"account {System}/{Username}: " + (!Exists ? "does not exist" : string.Join(", ", new[]
        {
            "exists", Enabled is null ? null : Enabled.Value ? "enabled" : "disabled", CheckExpires ? $"expires {Expires ?? "never"}" : null,
            Groups.Count == 0 ? null : $"in {string.Join(", ", Groups)}",
        }.Concat(Attributes.Select(a => $"{a.Key} {a.Value ?? "(none)"}")).OfType<string>()));
}

/// <summary><c>runs: { workflow, person, count? , status? }</c>: how many runs of a workflow a person has,
/// and the status of the latest.</summary>
public sealed record RunsExpectation(PackPlace Place, string Workflow, string Person, int? Count, string? Status) : PackExpectation(Place)
{
    public override string Describe =>
        $"runs of {Workflow} for {Person}: " + string.Join(", ", new[] { Count is null ? null : $"{Count} run(s)", Status is null ? null : $"the latest {Status}" }.OfType<string>());
}

/// <summary><c>events: { person, none_of?, all_of? }</c>: the person's events (the outbox, their timeline).</summary>
public sealed record EventsExpectation(PackPlace Place, string Person, IReadOnlyList<string> NoneOf, IReadOnlyList<string> AllOf) : PackExpectation(Place)
{
    public override string Describe =>
        $"events of {Person}: " + string.Join(", ", new[]
        {
            AllOf.Count == 0 ? null : $"has {string.Join(", ", AllOf)}", NoneOf.Count == 0 ? null : $"none of {string.Join(", ", NoneOf)}",
        }.OfType<string>());
}

/// <summary>A pack.yaml that cannot be used: every problem, each naming file:line:column.</summary>
public sealed class PackFormatException(IReadOnlyList<string> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// A scenario pack: a folder with <c>pack.yaml</c> and the deliveries it names (CSV files, webhook and
/// SCIM bodies). <c>pack.yaml</c> gives a name, a description, the workspace the pack runs on (default:
/// the Acme sample), the pinned day, per-system setting overrides for the pack's copy of the workspace,
/// the ordered steps and the expected outcome. See docs/uat.md.
/// </summary>
public sealed record ScenarioPack(
    string Directory,
    string Name,
    string Description,
    string Workspace,
    DateOnly Today,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> SystemSettings,
    IReadOnlyList<PackStep> Steps,
    IReadOnlyList<PackExpectation> Expectations)
{
    public const string FileName = "pack.yaml";

    /// <summary>SHA-256 over the pack's files, in ordinal order of their path in the pack (with <c>/</c>):
    /// each file contributes its path, a NUL, its bytes and a NUL. Any edit, added or removed file
    /// changes it, so a signature names exactly the pack that passed.</summary>
    public static string HashOf(string directory)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: Path.GetRelativePath(directory, f).Replace('\\', '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal);
        foreach (var (full, relative) in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(relative));
            sha.AppendData([0]);
            sha.AppendData(File.ReadAllBytes(full));
            sha.AppendData([0]);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>The pack folders under <paramref name="directory"/> (itself when it is one), by name.</summary>
    public static List<string> Find(string directory)
    {
        if (File.Exists(Path.Combine(directory, FileName)))
            return [Path.GetFullPath(directory)];
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{directory}: no such folder");
        return System.IO.Directory.EnumerateDirectories(directory)
            .Where(d => File.Exists(Path.Combine(d, FileName)))
            .Select(Path.GetFullPath)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Reads <c>pack.yaml</c> of a pack folder; throws <see cref="PackFormatException"/> naming
    /// file:line:column for every problem.</summary>
    public static ScenarioPack Load(string directory, string? defaultWorkspace = null)
    {
        directory = Path.GetFullPath(directory);
        var file = Path.Combine(directory, FileName);
        if (!File.Exists(file))
            throw new PackFormatException([$"{file}: not found (a pack is a folder with {FileName})"]);
        return new PackReader(directory).Read(File.ReadAllText(file), defaultWorkspace);
    }

    /// <summary>The Acme sample workspace: <c>samples/acme</c> in the pack's folder or any parent, else
    /// in the current folder or any parent.</summary>
    public static string? FindAcme(string from)
    {
        foreach (var start in new[] { from, System.IO.Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "samples", "acme");
                if (File.Exists(Path.Combine(candidate, "systems.yaml")))
                    return candidate;
            }
        }
        return null;
    }
}

/// <summary>Turns pack.yaml into a <see cref="ScenarioPack"/>, collecting every error with its place.</summary>
internal sealed class PackReader(string directory)
{
    private readonly List<string> _errors = [];
    private readonly string _shown = Path.GetFileName(directory) + "/" + ScenarioPack.FileName;
    private string? _workspace;

    private static readonly string[] TopKeys = ["name", "description", "workspace", "today", "systems", "steps", "expect"];

    public ScenarioPack Read(string text, string? defaultWorkspace)
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode m)
                throw new PackFormatException([$"{_shown}:1:1: a pack is a mapping with name, today, steps and expect"]);
            root = m;
        }
        catch (YamlException e)
        {
            var message = (e.InnerException as YamlException)?.Message ?? e.Message;
            throw new PackFormatException([$"{_shown}:{e.Start.Line}:{e.Start.Column}: YAML: {message}"]);
        }

        var top = Entries(root, "the pack", TopKeys);
        var name = Text(top, "name", root, required: true) ?? Path.GetFileName(directory);
        var description = Text(top, "description", root) ?? "";
        var today = Day(top, "today", root, required: true) ?? default;
        if (Text(top, "workspace", root) is { } ws)
        {
            var full = Path.GetFullPath(Path.Combine(directory, ws));
            if (File.Exists(Path.Combine(full, "systems.yaml")))
                _workspace = full;
            else
                Error(top["workspace"], $"workspace: {full} is no workspace folder (no systems.yaml)");
        }
        else
        {
            _workspace = defaultWorkspace ?? ScenarioPack.FindAcme(directory);
            if (_workspace is null)
                Error(root, "no workspace: samples/acme was not found above the pack or the current folder; give workspace: DIR");
        }

        var settings = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (top.TryGetValue("systems", out var systemsNode))
        {
            if (systemsNode is not YamlMappingNode systems)
            {
                Error(systemsNode, "systems: expected a mapping of system id → { setting: value } (overrides for the pack's copy of the workspace)");
            }
            else
            {
                foreach (var (key, value) in systems.Children)
                {
                    var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
                    if (value is not YamlMappingNode pairs)
                    {
                        Error(value, $"systems.{key}: expected a mapping of setting → value");
                        continue;
                    }
                    foreach (var (k, v) in pairs.Children)
                    {
                        if (v is YamlScalarNode s)
                            overrides[(k as YamlScalarNode)?.Value ?? ""] = s.Value ?? "";
                        else
                            Error(v, $"systems.{key}.{k}: expected a text value");
                    }
                    settings[(key as YamlScalarNode)?.Value ?? ""] = overrides;
                }
            }
        }

        var steps = new List<PackStep>();
        if (Sequence(top, "steps", root) is { } stepNodes)
        {
            var day = today;
            foreach (var node in stepNodes)
            {
                if (ReadStep(node, ref day) is { } step)
                    steps.Add(step);
            }
        }
        var expectations = new List<PackExpectation>();
        if (Sequence(top, "expect", root) is { } expectNodes)
        {
            foreach (var node in expectNodes)
            {
                if (ReadExpectation(node) is { } expectation)
                    expectations.Add(expectation);
            }
            if (expectNodes.Children.Count == 0)
                Error(top["expect"], "expect: a pack needs at least one expectation");
        }

        if (_errors.Count > 0)
            throw new PackFormatException(_errors);
        return new ScenarioPack(directory, name, description, _workspace!, today, settings, steps, expectations);
    }

    // ---------- steps ----------

    private static readonly string[] StepKinds = ["sync", "webhook", "scim", "tick", "accept", "reject", "review", "retry", "workflows", "baseline", "expect"];

    private PackStep? ReadStep(YamlNode node, ref DateOnly day)
    {
        var place = At(node);
        if (node is YamlScalarNode { Value: "baseline" })
            return new BaselineStep(place);
        if (node is YamlScalarNode { Value: "tick" })
            return new TickStep(place, day);
        if (node is not YamlMappingNode { Children.Count: 1 } one)
        {
            Error(node, $"a step is one of: {string.Join(", ", StepKinds)} (e.g. `- sync: {{ system: hris }}`)");
            return null;
        }
        var (keyNode, body) = one.Children.Single();
        var kind = (keyNode as YamlScalarNode)?.Value;
        switch (kind)
        {
            case "sync":
                {
                    var e = Entries(body, "sync", ["system", "file", "snapshot"]);
                    var system = Text(e, "system", body, required: true);
                    var path = FilePath(e, "file", body, alsoInWorkspace: true);
                    var snapshot = Bool(e, "snapshot", body) ?? false;
                    if (snapshot && path is null)
                        Error(body, "sync: snapshot: true needs a file to copy into the drop folder");
                    return system is null ? null : new SyncStep(place, system, path, path is null ? null : Path.GetFileName(path), snapshot);
                }
            case "webhook":
                {
                    var e = Entries(body, "webhook", ["system", "body", "at"]);
                    var system = Text(e, "system", body, required: true);
                    var bodyFile = FilePath(e, "body", body, required: true);
                    DateTimeOffset? at = null;
                    if (Text(e, "at", body) is { } atText)
                    {
                        if (DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) && atText.Length > 10)
                            at = t;
                        else
                            Error(e["at"], $"webhook.at: \"{atText}\" is not an ISO date-time such as 2026-11-27T10:05:00Z");
                    }
                    return system is null || bodyFile is null ? null : new WebhookStep(place, system, bodyFile, Path.GetFileName(bodyFile), at);
                }
            case "scim":
                {
                    var e = Entries(body, "scim", ["method", "path", "body", "token_system", "status"]);
                    var method = Text(e, "method", body, required: true)?.ToUpperInvariant();
                    if (method is not null and not ("POST" or "PUT" or "PATCH" or "DELETE"))
                        Error(e["method"], $"scim.method: \"{method}\" is not one of POST, PUT, PATCH, DELETE");
                    var path = Text(e, "path", body, required: true);
                    if (path is not null && !(path.StartsWith("/Users", StringComparison.Ordinal) || path.StartsWith("/Groups", StringComparison.Ordinal)))
                        Error(e["path"], $"scim.path: \"{path}\" is not /Users, /Users/ID, /Groups or /Groups/ID");
                    var bodyFile = FilePath(e, "body", body, required: method is "POST" or "PUT" or "PATCH");
                    var system = Text(e, "token_system", body, required: true);
                    var status = Int(e, "status", body);
                    return method is null || path is null || system is null ? null : new ScimStep(place, method, path, bodyFile, system, status);
                }
            case "tick":
                {
                    var e = Entries(body, "tick", ["today"]);
                    var to = Day(e, "today", body) ?? day;
                    if (to < day)
                        Error(body, $"tick: {to:yyyy-MM-dd} is before {day:yyyy-MM-dd}; the clock only moves forward");
                    day = to;
                    return new TickStep(place, to);
                }
            case "accept" or "reject":
                {
                    var e = Entries(body, kind, ["delivery", "as", "system", "reason"]);
                    if (Text(e, "delivery", body) is { } which && which != "last-held")
                        Error(e["delivery"], $"{kind}.delivery: \"{which}\" — only last-held is supported (the newest held delivery, of `system` if given)");
                    var actor = Text(e, "as", body, required: true);
                    return actor is null ? null : new DecisionStep(place, kind == "accept", Text(e, "system", body), actor, Text(e, "reason", body));
                }
            case "review":
                {
                    var e = Entries(body, "review", ["system", "key", "link", "new", "as"]);
                    var system = Text(e, "system", body, required: true);
                    var key = Text(e, "key", body, required: true);
                    var link = Text(e, "link", body);
                    var isNew = Bool(e, "new", body) ?? false;
                    if ((link is null) == !isNew)
                        Error(body, "review: give exactly one of link: PERSON or new: true");
                    var actor = Text(e, "as", body, required: true);
                    return system is null || key is null || actor is null ? null : new ReviewStep(place, system, key, link, actor);
                }
            case "retry":
                {
                    var e = Entries(body, "retry", ["system"]);
                    var system = Text(e, "system", body, required: true);
                    return system is null ? null : new RetryStep(place, system);
                }
            case "workflows":
                if (body is YamlScalarNode { Value: "activate-shipped" })
                    return new ActivateShippedStep(place);
                Error(body, "workflows: the only value is activate-shipped");
                return null;
            case "baseline":
                return new BaselineStep(place);
            case "expect":
                if (body is not YamlSequenceNode checks || checks.Children.Count == 0)
                {
                    Error(body, "expect: a list of expectations checked at this point");
                    return null;
                }
                return new ExpectStep(place, checks.Children.Select(ReadExpectation).OfType<PackExpectation>().ToList());
            default:
                Error(keyNode, $"unknown step \"{kind}\"; a step is one of: {string.Join(", ", StepKinds)}");
                return null;
        }
    }

    // ---------- expectations ----------

    private static readonly string[] ExpectationKinds = ["person", "people", "deliveries", "account", "runs", "events"];
    private static readonly string[] DeliveryStatuses = ["held", "rejected", "applied", "failed", "applying"];

    private PackExpectation? ReadExpectation(YamlNode node)
    {
        var place = At(node);
        if (node is not YamlMappingNode { Children.Count: 1 } one)
        {
            Error(node, $"an expectation is one of: {string.Join(", ", ExpectationKinds)} (e.g. `- person: {{ employee_id: \"100121\", state: terminated }}`)");
            return null;
        }
        var (keyNode, body) = one.Children.Single();
        var kind = (keyNode as YamlScalarNode)?.Value;
        switch (kind)
        {
            case "person":
                {
                    if (body is not YamlMappingNode map)
                    {
                        Error(body, "person: expected a mapping such as { employee_id: \"100121\", state: terminated, fields: { department: Sales } }");
                        return null;
                    }
                    string? keyField = null, keyValue = null, state = null;
                    var fields = new List<KeyValuePair<string, string?>>();
                    foreach (var (k, v) in map.Children)
                    {
                        var name = (k as YamlScalarNode)?.Value ?? "";
                        if (name == "state")
                        {
                            state = Scalar(v, "person.state");
                        }
                        else if (name == "fields")
                        {
                            if (v is not YamlMappingNode fieldMap)
                            {
                                Error(v, "person.fields: expected a mapping of canonical field → value (~ for no value)");
                                continue;
                            }
                            foreach (var (fk, fv) in fieldMap.Children)
                                fields.Add(new((fk as YamlScalarNode)?.Value ?? "", fv is YamlScalarNode s && IsNull(s) ? null : Scalar(fv, $"person.fields.{fk}")));
                        }
                        else if (keyField is null)
                        {
                            keyField = name;
                            keyValue = Scalar(v, $"person.{name}");
                        }
                        else
                        {
                            Error(k, $"person: \"{name}\" — a person is identified by one field ({keyField} already); expected state or fields");
                        }
                    }
                    if (keyField is null || keyValue is null)
                    {
                        Error(body, "person: name the person by one canonical field, e.g. employee_id: \"100121\"");
                        return null;
                    }
                    if (state is null && fields.Count == 0)
                        Error(body, "person: expect a state, fields, or both");
                    return new PersonExpectation(place, keyField, keyValue, state, fields);
                }
            case "people":
                {
                    var e = Entries(body, "people", ["state", "count", "all_have"]);
                    var count = Int(e, "count", body);
                    var allHave = Strings(e, "all_have", body);
                    if (count is null && allHave.Count == 0)
                        Error(body, "people: expect a count, all_have, or both");
                    return new PeopleExpectation(place, Text(e, "state", body), count, allHave);
                }
            case "deliveries":
                {
                    var e = Entries(body, "deliveries", ["system", "last", "reason_contains", "decided_by", .. DeliveryStatuses]);
                    var counts = new List<KeyValuePair<string, int>>();
                    foreach (var status in DeliveryStatuses)
                    {
                        if (Int(e, status, body) is { } n)
                            counts.Add(new(status, n));
                    }
                    var last = Text(e, "last", body);
                    if (last is not null && !DeliveryStatuses.Contains(last))
                        Error(e["last"], $"deliveries.last: \"{last}\" is not one of {string.Join(", ", DeliveryStatuses)}");
                    var expectation = new DeliveriesExpectation(place, Text(e, "system", body), counts, last, Text(e, "reason_contains", body), Text(e, "decided_by", body));
                    if (counts.Count == 0 && expectation.Last is null && expectation.ReasonContains is null && expectation.DecidedBy is null)
                        Error(body, "deliveries: expect a count (held: 1), last, reason_contains or decided_by");
                    return expectation;
                }
            case "account":
                {
                    var e = Entries(body, "account", ["system", "username", "exists", "enabled", "expires", "groups", "attributes"]);
                    var system = Text(e, "system", body, required: true);
                    var username = Text(e, "username", body, required: true);
                    var checkExpires = e.TryGetValue("expires", out var expiresNode);
                    string? expires = null;
                    if (expiresNode is YamlScalarNode es && !IsNull(es))
                    {
                        expires = es.Value;
                        if (!DateOnly.TryParseExact(expires, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                            Error(es, $"account.expires: \"{expires}\" is not a date yyyy-MM-dd (or ~ for never)");
                    }
                    var groups = Strings(e, "groups", body);
                    var attributes = new List<KeyValuePair<string, string?>>();
                    if (e.TryGetValue("attributes", out var attributeNode))
                    {
                        if (attributeNode is YamlMappingNode attributeMap)
                        {
                            foreach (var (ak, av) in attributeMap.Children)
                                attributes.Add(new((ak as YamlScalarNode)?.Value ?? "", av is YamlScalarNode s && IsNull(s) ? null : Scalar(av, $"account.attributes.{ak}")));
                        }
                        else
                        {
                            Error(attributeNode, "account.attributes: expected a mapping of native attribute → value");
                        }
                    }
                    return system is null || username is null ? null
                        : new AccountExpectation(place, system, username, Bool(e, "exists", body) ?? true, Bool(e, "enabled", body), checkExpires, expires, groups, attributes);
                }
            case "runs":
                {
                    var e = Entries(body, "runs", ["workflow", "person", "count", "status"]);
                    var workflow = Text(e, "workflow", body, required: true);
                    var person = Text(e, "person", body, required: true);
                    var count = Int(e, "count", body);
                    var status = Text(e, "status", body);
                    if (count is null && status is null)
                        Error(body, "runs: expect a count, a status, or both");
                    return workflow is null || person is null ? null : new RunsExpectation(place, workflow, person, count, status);
                }
            case "events":
                {
                    var e = Entries(body, "events", ["person", "none_of", "all_of"]);
                    var person = Text(e, "person", body, required: true);
                    var noneOf = Strings(e, "none_of", body);
                    var allOf = Strings(e, "all_of", body);
                    if (noneOf.Count == 0 && allOf.Count == 0)
                        Error(body, "events: expect none_of, all_of, or both");
                    return person is null ? null : new EventsExpectation(place, person, noneOf, allOf);
                }
            default:
                Error(keyNode, $"unknown expectation \"{kind}\"; an expectation is one of: {string.Join(", ", ExpectationKinds)}");
                return null;
        }
    }

    // ---------- YAML helpers ----------

    private PackPlace At(YamlNode node) => new(_shown, (int)node.Start.Line, (int)node.Start.Column);

    private void Error(YamlNode node, string message) => _errors.Add($"{At(node)}: {message}");

    private Dictionary<string, YamlNode> Entries(YamlNode node, string what, string[] allowed)
    {
        var entries = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        if (node is not YamlMappingNode map)
        {
            Error(node, $"{what}: expected a mapping with {string.Join(", ", allowed)}");
            return entries;
        }
        foreach (var (k, v) in map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "";
            if (!allowed.Contains(name))
                Error(k, $"{what}: unknown key \"{name}\" (expected one of: {string.Join(", ", allowed)})");
            else
                entries[name] = v;
        }
        return entries;
    }

    private string? Scalar(YamlNode node, string what)
    {
        if (node is YamlScalarNode s && !IsNull(s))
            return s.Value;
        Error(node, $"{what}: expected a value");
        return null;
    }

    private static bool IsNull(YamlScalarNode s) => s.Style is ScalarStyle.Plain or ScalarStyle.Any && s.Value is "" or "~" or "null" or null;

    private string? Text(Dictionary<string, YamlNode> entries, string key, YamlNode parent, bool required = false)
    {
        if (!entries.TryGetValue(key, out var node))
        {
            if (required)
                Error(parent, $"missing \"{key}\"");
            return null;
        }
        return Scalar(node, key);
    }

    private DateOnly? Day(Dictionary<string, YamlNode> entries, string key, YamlNode parent, bool required = false)
    {
        if (Text(entries, key, parent, required) is not { } text)
            return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return day;
        Error(entries[key], $"{key}: \"{text}\" is not a date in the format yyyy-MM-dd");
        return null;
    }

    private bool? Bool(Dictionary<string, YamlNode> entries, string key, YamlNode parent)
    {
        if (Text(entries, key, parent) is not { } text)
            return null;
        if (text is "true" or "false")
            return text == "true";
        Error(entries[key], $"{key}: \"{text}\" is not true or false");
        return null;
    }

    private int? Int(Dictionary<string, YamlNode> entries, string key, YamlNode parent)
    {
        if (Text(entries, key, parent) is not { } text)
            return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return n;
        Error(entries[key], $"{key}: \"{text}\" is not a whole number");
        return null;
    }

    private List<string> Strings(Dictionary<string, YamlNode> entries, string key, YamlNode parent)
    {
        if (!entries.TryGetValue(key, out var node))
            return [];
        if (node is YamlSequenceNode seq)
            return seq.Children.Select(c => Scalar(c, key)).OfType<string>().ToList();
        return Scalar(node, key) is { } one ? [one] : [];
    }

    private YamlSequenceNode? Sequence(Dictionary<string, YamlNode> entries, string key, YamlNode parent)
    {
        if (!entries.TryGetValue(key, out var node))
        {
            Error(parent, $"missing \"{key}\"");
            return null;
        }
        if (node is YamlSequenceNode seq)
            return seq;
        Error(node, $"{key}: expected a list");
        return null;
    }

    /// <summary>A file the pack names: in the pack folder, else (<paramref name="alsoInWorkspace"/>) in the
    /// workspace, e.g. the Acme day's change file <c>data/changes/hris-2026-11-27.csv</c>.</summary>
    private string? FilePath(Dictionary<string, YamlNode> entries, string key, YamlNode parent, bool required = false, bool alsoInWorkspace = false)
    {
        if (Text(entries, key, parent, required) is not { } relative)
            return null;
        var inPack = Path.GetFullPath(Path.Combine(directory, relative));
        if (File.Exists(inPack))
            return inPack;
        if (alsoInWorkspace && _workspace is not null && File.Exists(Path.Combine(_workspace, relative)))
            return Path.GetFullPath(Path.Combine(_workspace, relative));
        Error(entries[key], $"{key}: \"{relative}\" is not a file of the pack{(alsoInWorkspace ? " nor of its workspace" : "")}");
        return null;
    }
}
