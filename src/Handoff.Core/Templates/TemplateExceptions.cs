namespace Handoff.Core.Templates;

/// <summary>
/// A template's text is not valid Liquid, uses a filter or tag Handoff does not offer, or breaks a limit.
/// <see cref="Line"/> and <see cref="Column"/> (both 1-based) are as precise as the Liquid parser allows.
/// </summary>
public sealed class TemplateSyntaxException(string message, int line, int column) : FormatException(message)
{
    /// <summary>1-based line of the problem.</summary>
    public int Line { get; } = line;

    /// <summary>1-based column of the problem.</summary>
    public int Column { get; } = column;
}

/// <summary>A template failed while rendering: a limit was reached or a filter got input it cannot use.</summary>
public sealed class TemplateRenderException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
