using Handoff.Core.Dictionary;

namespace Handoff.Core.People;

/// <summary>The outcome of resolving one field: the value that wins (or none); when sources
/// disagree, every authorized observation (for the data-quality finding); and whether a human must
/// decide (manual rule).</summary>
public sealed record Resolution(ResolvedValue? Winner, IReadOnlyList<Observation> Conflicting, bool NeedsReview);

/// <summary>
/// Applies a field's conflict rule to what its authorized sources say. Sources that are not
/// authorized writers of the field are ignored (they may still be read targets).
/// </summary>
public static class ConflictResolver
{
    public static Resolution Resolve(FieldDefinition field, IEnumerable<Observation> observations, ResolvedValue? current)
    {
        var authorized = observations.Where(o => field.IsWriter(o.System)).ToList();
        var candidates = authorized.Where(o => o.Value is not null).ToList();
        // An explicit empty the dictionary lets its system clear is a statement, not silence: the
        // system of record saying "none" leaves the field empty whatever other writers say (an HR
        // feed that may write a termination date does not end a person the HRIS says is employed),
        // and the most recent statement may be "none".
        var cleared = authorized.Where(o => o.Value is null && field.EmptyClears(o.System)).ToList();
        if (field.Conflict.Kind == ConflictRuleKind.SystemOfRecord && cleared.Any(o => o.System == field.SystemOfRecord))
            return new Resolution(null, candidates.Count > 0 ? [.. cleared.Where(o => o.System == field.SystemOfRecord), .. candidates] : [], false);
        if (field.Conflict.Kind == ConflictRuleKind.MostRecent && cleared.Count > 0 && candidates.Count > 0)
        {
            var latest = authorized.Where(o => o.Value is not null || field.EmptyClears(o.System))
                .OrderByDescending(c => c.EffectiveFrom ?? DateOnly.MinValue).ThenByDescending(c => c.ObservedAt).First();
            if (latest.Value is null)
                return new Resolution(null, [], false);
        }
        if (candidates.Count == 0)
            return new Resolution(null, [], false);

        var distinct = candidates.Select(c => c.Value).Distinct(StringComparer.Ordinal).Count();
        Observation? winner;
        var needsReview = false;
        switch (field.Conflict.Kind)
        {
            case ConflictRuleKind.SystemOfRecord:
                winner = candidates.FirstOrDefault(c => c.System == field.SystemOfRecord)
                    ?? FirstByOrder(candidates, field.Conflict.Priority.Count > 0 ? field.Conflict.Priority : field.Writers);
                break;
            case ConflictRuleKind.Priority:
                winner = FirstByOrder(candidates, field.Conflict.Priority);
                break;
            case ConflictRuleKind.MostRecent:
                winner = candidates.OrderByDescending(c => c.EffectiveFrom ?? DateOnly.MinValue)
                    .ThenByDescending(c => c.ObservedAt).First();
                break;
            case ConflictRuleKind.Manual:
                if (distinct > 1)
                {
                    // Hold what we have; a person decides. With nothing held yet, the system of
                    // record's value (if any) is the provisional one.
                    needsReview = true;
                    if (current is not null && candidates.Any(c => c.Value == current.Value))
                        return new Resolution(current, candidates, true);
                    winner = candidates.FirstOrDefault(c => c.System == field.SystemOfRecord) ?? candidates[0];
                }
                else
                {
                    winner = candidates[0];
                }
                break;
            default:
                throw new InvalidOperationException($"unknown conflict rule {field.Conflict.Kind}");
        }

        winner ??= candidates[0];
        var resolved = current is not null && current.Value == winner.Value && current.System == winner.System
            ? current
            : new ResolvedValue(winner.Value!, winner.System, winner.NativeKey, winner.ObservedAt, winner.EffectiveFrom);
        return new Resolution(resolved, distinct > 1 ? candidates : [], needsReview);
    }

    private static Observation? FirstByOrder(List<Observation> candidates, IReadOnlyList<string> order)
    {
        foreach (var system in order)
        {
            var hit = candidates.FirstOrDefault(c => c.System == system);
            if (hit is not null)
                return hit;
        }
        return null;
    }
}
