using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Handoff.Server.Web.Change;

/// <summary>
/// Renders training pages. Markdown only: raw HTML in the text is shown as text (DisableHtml), and a
/// link or image whose address is not http(s), mailto or a path in the app loses its address — a
/// training page is written by one user and read by many, so it must not be able to run script.
/// </summary>
public static class ChangePlanMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseTaskLists()
        .DisableHtml()
        .Build();

    public static string ToHtml(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (!IsSafe(link.Url))
                link.Url = "#";
        }
        foreach (var autolink in document.Descendants<AutolinkInline>())
        {
            if (!autolink.IsEmail && !IsSafe(autolink.Url))
                autolink.Url = "#";
        }
        return document.ToHtml(Pipeline);
    }

    private static bool IsSafe(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
            return true;
        var u = url.Trim();
        if (u.StartsWith('#') || (u.StartsWith('/') && !u.StartsWith("//", StringComparison.Ordinal)))
            return true;
        return Uri.TryCreate(u, UriKind.Absolute, out var abs)
            ? abs.Scheme is "http" or "https" or "mailto"
            : !u.Contains(':', StringComparison.Ordinal);
    }
}
