namespace Handoff.Data.Workflows;

// PLACEHOLDER: delegates to Handoff.Core.Templates.UniqueValue once the template branch merges.
internal static class UniqueValues
{
    public static async ValueTask<string> SelectAsync(IReadOnlyList<string> alternatives, Func<string, CancellationToken, ValueTask<bool>> isTaken, int? maxLength, CancellationToken ct)
    {
        foreach (var a in alternatives)
        {
            if (!await isTaken(a, ct))
                return a;
        }
        for (var i = 2; i < 100; i++)
        {
            var v = alternatives[0] + i;
            if (!await isTaken(v, ct))
                return v;
        }
        throw new UniqueValueExhaustedException("no free value");
    }
}
