using System.Text.RegularExpressions;
using Handoff.Core.People;
using Handoff.Core.Templates;
using Handoff.Core.Workspace;

namespace Handoff.Core.Reconciliation;

/// <summary>One group membership that differs from the rule: the account should be in the group and is
/// not (<see cref="Missing"/>), or is in a managed group it should not be in.</summary>
public sealed record GroupDrift(string Group, bool Missing);

/// <summary>
/// Which groups a person's account in a target should be in, from the system's config:
/// <c>reconcile_groups</c> (comma-separated templates over the person's canonical fields, e.g.
/// <c>all-staff, dept-{{ department | slug }}</c>), <c>reconcile_groups_managed</c> (comma-separated
/// names with <c>*</c> wildcards: the groups Handoff answers for; default: each template with its
/// <c>{{ … }}</c> parts as <c>*</c>, e.g. <c>all-staff, dept-*</c>) and <c>reconcile_groups_strength</c>
/// (<c>enforce</c> repairs memberships, <c>report</c> — the default — only lists them).
/// </summary>
/// <remarks>Memberships of groups that are not managed (a project group someone added by hand) are never
/// drift: Handoff does not answer for them. A terminated person's account should be in no managed group
/// (the leaver workflow leaves them all); any other living person's account in exactly the rendered ones.</remarks>
public sealed partial class GroupRule
{
    private readonly IReadOnlyList<HandoffTemplate> _templates;
    private readonly IReadOnlyList<Regex> _managed;

    private GroupRule(IReadOnlyList<HandoffTemplate> templates, IReadOnlyList<Regex> managed, bool enforce, IReadOnlyList<string> managedPatterns)
    {
        _templates = templates;
        _managed = managed;
        Enforce = enforce;
        ManagedPatterns = managedPatterns;
    }

    /// <summary>Repair memberships (true) or only report them.</summary>
    public bool Enforce { get; }

    public IReadOnlyList<string> ManagedPatterns { get; }

    /// <summary>The canonical fields the templates read (what reconciliation must keep of each person).</summary>
    public IEnumerable<string> ReferencedFields => _templates.SelectMany(t => t.ReferencedNames).Distinct(StringComparer.Ordinal);

    public const string GroupsKey = "reconcile_groups";
    public const string ManagedKey = "reconcile_groups_managed";
    public const string StrengthKey = "reconcile_groups_strength";

    /// <summary>The rule of a system, or null when it has no <c>reconcile_groups</c>.</summary>
    /// <exception cref="InvalidOperationException">a key is malformed; the message names the system and the key</exception>
    public static GroupRule? For(SystemDefinition system)
    {
        var templates = system.Setting(GroupsKey);
        foreach (var key in new[] { GroupsKey, ManagedKey, StrengthKey })
        {
            if (system.Setting(key) is { } value && Check(key, value) is { } error)
                throw new InvalidOperationException($"system {system.Id}: {error}");
        }
        if (templates is null)
        {
            return system.Setting(ManagedKey) is not null || system.Setting(StrengthKey) is not null
                ? throw new InvalidOperationException($"system {system.Id}: config.{(system.Setting(ManagedKey) is not null ? ManagedKey : StrengthKey)} needs config.{GroupsKey} (the groups each person's account should be in)")
                : null;
        }
        var parsed = Split(templates).Select(HandoffTemplate.Parse).ToList();
        var patterns = system.Setting(ManagedKey) is { } m ? Split(m) : [.. parsed.Select(t => Placeholder().Replace(t.Source, "*"))];
        return new GroupRule(parsed, [.. patterns.Select(Wildcard)], system.Setting(StrengthKey) == "enforce", patterns);
    }

    /// <summary>The error of one config value (for the workspace loader, which reports it at its line), or null.</summary>
    public static string? Check(string key, string value)
    {
        switch (key)
        {
            case GroupsKey:
                if (Split(value).Count == 0)
                    return $"{GroupsKey}: name at least one group (comma-separated; templates like dept-{{{{ department | slug }}}} allowed)";
                foreach (var t in Split(value))
                {
                    if (!HandoffTemplate.TryParse(t, out _, out var error))
                        return $"{GroupsKey}: \"{t}\" is not a valid template: {error.Message}";
                }
                return null;
            case ManagedKey:
                return Split(value).Count == 0 ? $"{ManagedKey}: name at least one group or pattern (comma-separated, * as wildcard)" : null;
            case StrengthKey:
                return value is "enforce" or "report" ? null : $"{StrengthKey}: \"{value}\" must be enforce or report";
            default:
                return null;
        }
    }

    /// <summary>The managed groups a person's account should be in (empty for a terminated person).</summary>
    public string[] Expected(LifecycleState state, IReadOnlyDictionary<string, string?> values)
    {
        if (state is LifecycleState.Terminated or LifecycleState.Purged)
            return [];
        var model = values.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal);
        return [.. _templates.Select(t => t.Render(model).Trim()).Where(g => g.Length > 0 && IsManaged(g)).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    public bool IsManaged(string group) => _managed.Any(r => r.IsMatch(group));

    /// <summary>Missing and extra memberships of an account in the managed groups (names compared case-insensitively, as directories do).</summary>
    public List<GroupDrift> Compare(IReadOnlyList<string> expected, IEnumerable<string> actual)
    {
        var have = new HashSet<string>(actual.Where(IsManaged), StringComparer.OrdinalIgnoreCase);
        var want = new HashSet<string>(expected, StringComparer.OrdinalIgnoreCase);
        return
        [
            .. expected.Where(g => !have.Contains(g)).Order(StringComparer.OrdinalIgnoreCase).Select(g => new GroupDrift(g, Missing: true)),
            .. have.Where(g => !want.Contains(g)).Order(StringComparer.OrdinalIgnoreCase).Select(g => new GroupDrift(g, Missing: false)),
        ];
    }

    private static List<string> Split(string text) => [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    private static Regex Wildcard(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    [GeneratedRegex(@"\{\{.*?\}\}|\{%.*?%\}")]
    private static partial Regex Placeholder();
}
