using System.Globalization;
using Handoff.Core.Connectors;
using Handoff.Core.Dictionary;
using Handoff.Core.People;

namespace Handoff.Core.Reconciliation;

/// <summary>What reconciliation found for one account (or one link without an account).</summary>
public enum AccountClass
{
    /// <summary>Linked (or anchored) to a living person and every bound attribute has the canonical value.</summary>
    InSync,
    /// <summary>Linked to a living person, but at least one bound attribute differs from the canonical value.</summary>
    Drifted,
    /// <summary>Linked or anchored to a person who no longer exists (purged or deleted), or to a terminated
    /// person while the account can still sign in.</summary>
    Orphan,
    /// <summary>Never created by Handoff: no link, no anchor of a known person, no linked username.</summary>
    Unmanaged,
    /// <summary>A link row whose account the target no longer has.</summary>
    Missing,
}

public static class AccountClassNames
{
    public static string ToName(this AccountClass c) => c switch
    {
        AccountClass.InSync => "in_sync",
        AccountClass.Drifted => "drifted",
        AccountClass.Orphan => "orphan",
        AccountClass.Unmanaged => "unmanaged",
        AccountClass.Missing => "missing",
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    public static IReadOnlyList<AccountClass> All { get; } = Enum.GetValues<AccountClass>();
}

/// <summary>One attribute whose value in the target differs from what the dictionary says it should be
/// (both sides in canonical form). Only <see cref="WriteStrength.Enforce"/> drift is repaired.</summary>
public sealed record FieldDrift(string Field, string Native, string? Expected, string? Actual, WriteStrength Strength)
{
    public bool Repairable => Strength == WriteStrength.Enforce;
}

/// <param name="MatchedBy">native_id, anchor or username — how the account was tied to its person; null when not tied</param>
/// <param name="Relink">the account belongs to the person but the link row does not name it (lost link, renamed
/// entry): reconciliation writes the link again</param>
/// <param name="Groups">memberships of managed groups that differ from the system's <see cref="GroupRule"/></param>
/// <param name="GroupsEnforced">the rule's strength is enforce: the memberships are repaired</param>
public sealed record ReconcileItem(
    AccountClass Class,
    string? NativeId,
    Guid? PersonId,
    string? Username,
    string? MatchedBy,
    IReadOnlyList<FieldDrift> Drift,
    string? Reason,
    bool Relink = false,
    IReadOnlyList<GroupDrift>? Groups = null,
    bool GroupsEnforced = false)
{
    public IEnumerable<FieldDrift> Repairs => Drift.Where(d => d.Repairable);

    /// <summary>The group memberships to repair (none unless the rule enforces).</summary>
    public IReadOnlyList<GroupDrift> GroupRepairs => GroupsEnforced && Groups is { } g ? g : [];

    /// <summary>Something to write: an enforce field or an enforced membership.</summary>
    public bool NeedsRepair => Repairs.Any() || GroupRepairs.Count > 0;
}

/// <summary>What one person's account should look like: the lifecycle state and the canonical value of
/// each bound field, in the order of <see cref="ReconcilePlan.Bindings"/>. Kept small on purpose —
/// reconciliation holds one per person of a target with 100,000 accounts.</summary>
/// <param name="Groups">the managed groups the account should be in, when the system has a <see cref="GroupRule"/></param>
public sealed record PersonExpectation(Guid PersonId, LifecycleState State, string? Anchor, string?[] Values, string[]? Groups = null);

/// <summary>The shadow of one account as Handoff last linked it.</summary>
public sealed record LinkShadow(long LinkId, Guid PersonId, string NativeId, string? Username);

/// <summary>The fields a target system has bindings for, and how to read and write each one there.</summary>
public sealed class ReconcilePlan
{
    /// <summary>Native names under which connectors report the account's expiry as the operation-level
    /// <see cref="AccountAttributes.Expires"/> date rather than the native encoding.</summary>
    private static readonly HashSet<string> ExpiryNatives = new(["accountExpires", "shadowExpire"], StringComparer.OrdinalIgnoreCase);

    private ReconcilePlan(string system, string anchorField, IReadOnlyList<(FieldDefinition Field, FieldBinding Binding)> bindings, GroupRule? groups)
    {
        System = system;
        AnchorField = anchorField;
        Bindings = bindings;
        Groups = groups;
    }

    /// <summary>The system's group rule, or null when group membership is not reconciled.</summary>
    public GroupRule? Groups { get; }

    public string System { get; }

    /// <summary>The canonical field whose value is written as the account's anchor (employee_id).</summary>
    public string AnchorField { get; }

    public IReadOnlyList<(FieldDefinition Field, FieldBinding Binding)> Bindings { get; }

    public static ReconcilePlan For(DictionaryDefinition dictionary, string system, string anchorField = "employee_id", GroupRule? groups = null) =>
        new(system, anchorField, [.. dictionary.Fields.Select(f => (Field: f, Binding: f.BindingFor(system))).Where(p => p.Binding is not null).Select(p => (p.Field, p.Binding!))], groups);

    /// <summary>The compact expectation of one person (values: canonical field → cleartext value).</summary>
    public PersonExpectation Expect(Guid personId, LifecycleState state, IReadOnlyDictionary<string, string?> values) =>
        new(personId, state, values.GetValueOrDefault(AnchorField),
            [.. Bindings.Select(b => values.TryGetValue(b.Field.Name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null)],
            Groups?.Expected(state, values));

    /// <summary>Every bound attribute of the account that differs from the person's canonical value.</summary>
    public List<FieldDrift> Compare(PersonExpectation person, TargetObject account)
    {
        var drift = new List<FieldDrift>();
        for (var i = 0; i < Bindings.Count; i++)
        {
            var (field, binding) = Bindings[i];
            var expected = person.Values[i];
            var actual = Actual(field, binding, account);
            if (!Same(field, expected, actual))
                drift.Add(new FieldDrift(field.Name, binding.Native, expected, actual, binding.Strength));
        }
        return drift;
    }

    /// <summary>The attributes of an Update that writes the repairable drift back (native names and
    /// native encodings; the expiry as the operation-level date every account connector understands).</summary>
    public Dictionary<string, object?> RepairAttributes(IEnumerable<FieldDrift> repairs)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in repairs)
        {
            var (field, binding) = Bindings.First(b => b.Field.Name == d.Field);
            if (ExpiryNatives.Contains(binding.Native))
                attributes[AccountAttributes.Expires] = d.Expected is null ? null : DateOnly.ParseExact(d.Expected[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture);
            else
                attributes[binding.Native] = ValueConverter.ToNative(field, binding, d.Expected);
        }
        return attributes;
    }

    /// <summary>The account's value of a bound attribute in canonical form; a value that does not convert
    /// is kept as read (it then differs from any canonical value, which is the drift to report).</summary>
    public static string? Actual(FieldDefinition field, FieldBinding binding, TargetObject account)
    {
        object? raw;
        if (ExpiryNatives.Contains(binding.Native) && account.Attributes.TryGetValue(AccountAttributes.Expires, out var expires)
            && (expires is DateOnly || expires is null))
            return expires is DateOnly d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null;
        if (!TryGet(account.Attributes, binding.Native, out raw))
            return null;
        var text = Text(raw);
        return ValueConverter.TryToCanonical(field, binding, text, out var canonical, out _) ? canonical : text;
    }

    private static bool TryGet(IReadOnlyDictionary<string, object?> attributes, string name, out object? value)
    {
        if (attributes.TryGetValue(name, out value))
            return true;
        // Sandbox objects keep the names as written, LDAP entries as the server spells them.
        foreach (var (k, v) in attributes)
        {
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }
        value = null;
        return false;
    }

    private static string? Text(object? raw) => raw switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        IEnumerable<string> list => list.ToList() is { Count: > 0 } l ? string.Join("\n", l) : null,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => raw.ToString(),
    };

    private static bool Same(FieldDefinition field, string? expected, string? actual)
    {
        if (string.IsNullOrWhiteSpace(expected) || string.IsNullOrWhiteSpace(actual))
            return string.IsNullOrWhiteSpace(expected) == string.IsNullOrWhiteSpace(actual);
        // Directories compare names case-insensitively (caseIgnoreMatch), so do we for text; the converter
        // already normalised dates, emails, numbers and enums.
        return field.Type is FieldType.String or FieldType.Email
            ? string.Equals(expected.Trim(), actual.Trim(), StringComparison.OrdinalIgnoreCase)
            : string.Equals(expected, actual, StringComparison.Ordinal);
    }
}

/// <summary>
/// Classifies the accounts of one target, one at a time as they stream in, against compact indexes of
/// the link rows and of the people: no database, no connector — the pure part of reconciliation.
/// </summary>
/// <remarks>
/// An account is tied to a person by its link's native id, else by its anchor (the employee id written
/// at creation), else by a linked username. Then: the person is gone (no row, or purged) → orphan; the
/// person is terminated and the account still enabled → orphan (the leaver process missed it; a
/// terminated person's disabled account is what the lifecycle wants and is compared like any other);
/// otherwise the bound attributes decide in_sync or drifted. An account tied to no one is unmanaged.
/// After the stream (<see cref="Finish"/>), every link whose account was not seen is missing.
/// </remarks>
public sealed class AccountClassifier
{
    private readonly ReconcilePlan _plan;
    private readonly Dictionary<string, LinkShadow> _byNative = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, LinkShadow> _byUsername = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<Guid, LinkShadow> _byPerson = [];
    private readonly Dictionary<Guid, PersonExpectation> _people = [];
    private readonly Dictionary<string, Guid> _anchors = new(StringComparer.Ordinal);
    private readonly HashSet<long> _seen = [];
    private readonly HashSet<Guid> _claimed = [];
    private readonly List<(TargetObject Account, LinkShadow Link, string MatchedBy)> _deferred = [];

    public AccountClassifier(ReconcilePlan plan) => _plan = plan;

    public ReconcilePlan Plan => _plan;

    public int LinkCount => _byPerson.Count;

    public void AddLink(LinkShadow link)
    {
        _byNative[link.NativeId] = link;
        _byPerson[link.PersonId] = link;
        if (link.Username is { Length: > 0 } u)
            _byUsername.TryAdd(u, link);
    }

    public void AddPerson(PersonExpectation person)
    {
        _people[person.PersonId] = person;
        if (person.Anchor is { Length: > 0 } a)
            _anchors.TryAdd(a, person.PersonId);
    }

    /// <summary>Classifies one account, or returns null when the account is tied to its person only by a
    /// fallback (anchor or username of a person whose link names another account): whether that is a
    /// renamed account or a second one is known only once the whole stream was seen — see <see cref="Finish"/>.</summary>
    public ReconcileItem? Classify(TargetObject account)
    {
        var username = account.Attributes.TryGetValue(AccountAttributes.Username, out var u) ? u as string : null;
        if (_byNative.TryGetValue(account.NativeId, out var link))
        {
            _seen.Add(link.LinkId);
            return Judge(account, username, link.PersonId, "native_id", relink: false);
        }
        if (account.Anchor is { Length: > 0 } anchor && _anchors.TryGetValue(anchor, out var anchored))
        {
            if (_byPerson.TryGetValue(anchored, out var other))
            {
                _deferred.Add((account, other, "anchor"));
                return null;
            }
            // Created by Handoff (it carries the person's anchor) but the link was lost: link it again.
            return _claimed.Add(anchored)
                ? Judge(account, username, anchored, "anchor", relink: true)
                : Unmanaged(account, username, $"a second account with the anchor {anchor}");
        }
        if (username is { Length: > 0 } && _byUsername.TryGetValue(username, out var named))
        {
            _deferred.Add((account, named, "username"));
            return null;
        }
        return Unmanaged(account, username, account.Anchor is { Length: > 0 } a ? $"its anchor {a} belongs to no person Handoff knows" : null);
    }

    /// <summary>After the last account: the deferred fallback matches (an account whose person's linked
    /// account was not seen is that account, renamed or moved: it is linked again; otherwise it is a second,
    /// unmanaged account), then every link whose account the stream did not contain, as missing.</summary>
    public IEnumerable<ReconcileItem> Finish()
    {
        foreach (var (account, link, matchedBy) in _deferred)
        {
            var username = account.Attributes.TryGetValue(AccountAttributes.Username, out var u) ? u as string : null;
            if (_seen.Add(link.LinkId))
                yield return Judge(account, username, link.PersonId, matchedBy, relink: true);
            else
                yield return Unmanaged(account, username, $"matches by {matchedBy} a person whose linked account is {link.NativeId}");
        }
        _deferred.Clear();
        foreach (var l in _byPerson.Values.Where(l => !_seen.Contains(l.LinkId)).OrderBy(l => l.NativeId, StringComparer.Ordinal))
            yield return new ReconcileItem(AccountClass.Missing, l.NativeId, l.PersonId, l.Username, null, [], "linked, but the target has no such account");
    }

    private ReconcileItem Judge(TargetObject account, string? username, Guid personId, string matchedBy, bool relink)
    {
        if (!_people.TryGetValue(personId, out var person) || person.State == LifecycleState.Purged)
            return new ReconcileItem(AccountClass.Orphan, account.NativeId, personId, username, matchedBy, [],
                person is null ? "the person no longer exists" : "the person was purged");
        var enabled = account.Attributes.TryGetValue(AccountAttributes.Enabled, out var e) && e is true;
        if (person.State == LifecycleState.Terminated && enabled)
            return new ReconcileItem(AccountClass.Orphan, account.NativeId, personId, username, matchedBy, [], "the person is terminated but the account is enabled");
        var drift = _plan.Compare(person, account);
        var groups = _plan.Groups is { } rule && person.Groups is { } expected ? rule.Compare(expected, GroupsOf(account)) : [];
        return new ReconcileItem(drift.Count == 0 && groups.Count == 0 ? AccountClass.InSync : AccountClass.Drifted, account.NativeId, personId, username, matchedBy, drift, null, relink,
            groups, _plan.Groups?.Enforce ?? false);
    }

    /// <summary>The group names the connector reports for the account (LDAP: cn of each group; sandbox and SCIM: names).</summary>
    private static IEnumerable<string> GroupsOf(TargetObject account) =>
        account.Attributes.TryGetValue(AccountAttributes.Groups, out var g) ? g switch
        {
            string one => [one],
            IEnumerable<string> many => many,
            _ => [],
        } : [];

    private static ReconcileItem Unmanaged(TargetObject account, string? username, string? reason) =>
        new(AccountClass.Unmanaged, account.NativeId, null, username, null, [], reason ?? "no link, no anchor of a known person");
}
