using Handoff.Core.Dictionary;

namespace Handoff.Core.People;

/// <summary>What correlation decided for one incoming record.</summary>
public abstract record CorrelationDecision
{
    /// <summary>The record belongs to this person (by link or by a linking rule).</summary>
    public sealed record Match(Guid PersonId, string Reason) : CorrelationDecision;

    /// <summary>No one matches: a new person.</summary>
    public sealed record NoMatch : CorrelationDecision;

    /// <summary>Handoff will not guess: the record waits in the review queue.</summary>
    public sealed record Review(string Kind, IReadOnlyList<Guid> Candidates, string Reason) : CorrelationDecision;
}

/// <summary>The index the correlator asks: who holds a key value, and what keys a person holds.</summary>
public interface ICorrelationIndex
{
    Guid? LinkedPerson(string system, string nativeKey);

    IReadOnlyCollection<Guid> PeopleWithKey(string rule, string value);

    string? KeyOf(Guid person, string rule);
}

/// <summary>
/// Finds the person a record belongs to. Rules are tried in order of precedence; every linking rule
/// is checked, so a record whose employee id points to one person and whose work email points to
/// another is a collision, and so is a record that matches a person by a weaker rule while a stronger
/// key of theirs differs. Suggest-only rules never link: they send the record to review.
/// </summary>
public static class Correlator
{
    public const string Collision = "collision";
    public const string PossibleMatch = "possible_match";

    public static CorrelationDecision Decide(
        IReadOnlyList<CorrelationRule> rules,
        string system,
        string nativeKey,
        IReadOnlyDictionary<string, string?> values,
        ICorrelationIndex index)
    {
        var keys = rules.Select(r => (Rule: r, Value: KeyValue(r, values))).ToList();
        var linking = keys.Where(k => !k.Rule.SuggestOnly && k.Value is not null).ToList();

        var linked = index.LinkedPerson(system, nativeKey);
        var matches = new List<(Guid Person, CorrelationRule Rule)>();
        foreach (var (rule, value) in linking)
        {
            foreach (var person in index.PeopleWithKey(rule.Name, value!))
                matches.Add((person, rule));
        }

        var people = matches.Select(m => m.Person).Distinct().ToList();
        if (linked is { } l)
        {
            var others = people.Where(p => p != l).ToList();
            if (others.Count > 0)
            {
                var rule = matches.First(m => m.Person != l).Rule;
                return new CorrelationDecision.Review(Collision, [l, .. others],
                    $"{system} record {nativeKey} is linked to one person but its {rule.Name} belongs to another");
            }
            return new CorrelationDecision.Match(l, $"linked {system}:{nativeKey}");
        }

        if (people.Count > 1)
        {
            var rulesHit = string.Join(", ", matches.Select(m => m.Rule.Name).Distinct());
            return new CorrelationDecision.Review(Collision, people,
                $"the record's keys ({rulesHit}) point to {people.Count} different people");
        }

        if (people.Count == 1)
        {
            var person = people[0];
            var via = matches.First().Rule;
            // A stronger key the record has but the person holds with a different value means two
            // different people share the weaker key (e.g. a recycled work email).
            foreach (var (rule, value) in linking)
            {
                if (rule == via)
                    break;
                var held = index.KeyOf(person, rule.Name);
                if (held is not null && held != value)
                    return new CorrelationDecision.Review(Collision, [person],
                        $"matched by {via.Name} but {rule.Name} differs ({value} vs {held})");
            }
            return new CorrelationDecision.Match(person, $"matched by {via.Name}");
        }

        foreach (var (rule, value) in keys.Where(k => k.Rule.SuggestOnly && k.Value is not null))
        {
            var suggested = index.PeopleWithKey(rule.Name, value!);
            if (suggested.Count > 0)
                return new CorrelationDecision.Review(PossibleMatch, suggested.ToList(),
                    $"no linking key matches, but {rule.Name} matches {suggested.Count} person(s)");
        }

        return new CorrelationDecision.NoMatch();
    }

    /// <summary>The normalized key a rule takes from canonical values, or null when any part is empty.
    /// Keys compare case-insensitively (emails, names).</summary>
    public static string? KeyValue(CorrelationRule rule, IReadOnlyDictionary<string, string?> values)
    {
        if (rule.Fields.Count == 1)
            return values.TryGetValue(rule.Fields[0], out var single) && !string.IsNullOrWhiteSpace(single)
                ? single.Trim().ToLowerInvariant()
                : null;
        var parts = new string[rule.Fields.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!values.TryGetValue(rule.Fields[i], out var v) || string.IsNullOrWhiteSpace(v))
                return null;
            parts[i] = v.Trim().ToLowerInvariant();
        }
        return string.Join('\u001f', parts);
    }
}
