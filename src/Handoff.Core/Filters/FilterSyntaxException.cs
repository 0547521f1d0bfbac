namespace Handoff.Core.Filters;

/// <summary>
/// A filter's text is not a valid SCIM filter. The message says what was expected and what was found,
/// e.g. <c>expected a comparison operator (eq, ne, co, sw, ew, pr, gt, ge, lt, le) at column 10, found "equals"</c>.
/// </summary>
public sealed class FilterSyntaxException(string message, int position) : FormatException(message)
{
    /// <summary>Where the problem is, 0-based, in characters from the start of the filter text.</summary>
    public int Position { get; } = position;

    /// <summary>Where the problem is, 1-based (<see cref="Position"/> + 1).</summary>
    public int Column => Position + 1;
}
