namespace Handoff.Core.Templates;

/// <summary>
/// Picks a value no one else holds yet, like Entra ID's <c>SelectUniqueValue</c>: try each alternative
/// (<c>john.smith</c>, <c>j.smith</c>), then numbered variants of the first (<c>john.smith2</c>,
/// <c>john.smith3</c>, …), each cut to fit a length limit such as sAMAccountName's 20 characters.
/// A value with an <c>@</c> (a mail address, a UPN) is numbered and cut before it.
/// </summary>
public static class UniqueValue
{
    /// <summary>
    /// <paramref name="baseValue"/>, then <c>baseValue2</c>, <c>baseValue3</c>, … without end. With
    /// <paramref name="maxLength"/>, the base is cut so base and number fit (separators left dangling at the
    /// cut, such as a trailing ".", are dropped too): <c>john.smith</c> with 5 gives <c>john</c>, <c>john2</c>, … <c>joh10</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The base is empty or the limit leaves no room for it.</exception>
    public static IEnumerable<string> Candidates(string baseValue, int? maxLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseValue);
        if (maxLength is < 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "The length limit must be at least 1.");
        return Enumerate(baseValue, maxLength);

        static IEnumerable<string> Enumerate(string baseValue, int? maxLength)
        {
            yield return Fit(baseValue, "", maxLength);
            for (var number = 2; ; number++)
            {
                var suffix = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (maxLength is { } limit && suffix.Length >= limit)
                    yield break;
                yield return Fit(baseValue, suffix, maxLength);
            }
        }
    }

    /// <summary>
    /// The first value that <paramref name="isTaken"/> says is free: each of <paramref name="alternatives"/>
    /// in order (cut to <paramref name="maxLength"/>), then the numbered <see cref="Candidates"/> of the first
    /// alternative, checking at most <paramref name="maxTries"/> values in all.
    /// </summary>
    /// <exception cref="UniqueValueExhaustedException">Every value tried was taken.</exception>
    public static async ValueTask<string> SelectAsync(
        IEnumerable<string> alternatives,
        Func<string, CancellationToken, ValueTask<bool>> isTaken,
        int? maxLength,
        int maxTries = 100,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alternatives);
        ArgumentNullException.ThrowIfNull(isTaken);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTries, 1);
        var given = alternatives.Where(a => !string.IsNullOrEmpty(a)).ToList();
        if (given.Count == 0)
            throw new ArgumentException("At least one non-empty alternative is needed.", nameof(alternatives));

        var tried = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var candidate in given.Select(a => Fit(a, "", maxLength)).Concat(Candidates(given[0], maxLength).Skip(1)))
        {
            if (tried.Count >= maxTries)
                break;
            if (candidate.Length == 0 || !seen.Add(candidate))
                continue;
            cancellationToken.ThrowIfCancellationRequested();
            tried.Add(candidate);
            if (!await isTaken(candidate, cancellationToken))
                return candidate;
        }
        throw new UniqueValueExhaustedException(tried);
    }

    private static string Fit(string baseValue, string suffix, int? maxLength)
    {
        // A mail address or UPN is numbered in its local part: ada.lovelace2@acme.example, not
        // ada.lovelace@acme.example2; the domain is kept whole and the local part cut to make room.
        var at = baseValue.LastIndexOf('@');
        if (at > 0 && at < baseValue.Length - 1)
        {
            var domain = baseValue[at..];
            var room = maxLength is { } max ? max - domain.Length : (int?)null;
            if (room is null or >= 1)
                return FitPart(baseValue[..at], suffix, room) + domain;
        }
        return FitPart(baseValue, suffix, maxLength);
    }

    private static string FitPart(string baseValue, string suffix, int? maxLength)
    {
        if (maxLength is not { } limit || baseValue.Length + suffix.Length <= limit)
            return baseValue + suffix;
        var cut = baseValue[..Math.Max(0, limit - suffix.Length)];
        var trimmed = cut.TrimEnd('.', '-', '_', ' ');
        return (trimmed.Length > 0 ? trimmed : cut) + suffix;
    }
}

/// <summary>Every candidate <see cref="UniqueValue.SelectAsync"/> tried was taken.</summary>
public sealed class UniqueValueExhaustedException(IReadOnlyList<string> tried)
    : InvalidOperationException(
        $"no free value after {tried.Count} tries: {Describe(tried)} are all taken; add alternatives or allow more tries")
{
    /// <summary>The values tried, in order.</summary>
    public IReadOnlyList<string> Tried { get; } = tried;

    private static string Describe(IReadOnlyList<string> tried) =>
        tried.Count <= 4
            ? string.Join(", ", tried.Select(t => $"\"{t}\""))
            : $"\"{tried[0]}\", \"{tried[1]}\", … \"{tried[^1]}\"";
}
