using Handoff.Core.Governance;
using Handoff.Data.Governance;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Reviews;

/// <summary>One archived review shown inside the app (the stored HTML's content, exactly as archived),
/// with its versions and the two downloads.</summary>
[Authorize(Policy = Capabilities.MonthlyReviewRead)]
public sealed class MonthModel(HandoffRuntime runtime) : PageModel
{
    public MonthlyReviewRow Review { get; private set; } = null!;
    public IReadOnlyList<MonthlyReviewVersion> Versions { get; private set; } = [];
    /// <summary>The stored document's <c>main</c> element: our own encoded output, so it is shown as markup.</summary>
    public string ReviewMarkup { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string month, int? version, CancellationToken ct)
    {
        if (await FindAsync(month, version, ct) is not { } row)
            return NotFound();
        Review = row;
        Versions = (await runtime.Reviews.ListAsync(ct)).Where(v => v.Month == row.Month).ToList();
        ReviewMarkup = MainElement(row.Html);
        return Page();
    }

    public async Task<IActionResult> OnGetPdfAsync(string month, int? version, CancellationToken ct) =>
        await FindAsync(month, version, ct) is { } row ? File(row.Pdf, "application/pdf", $"review-{row.Month}-v{row.Version}.pdf") : NotFound();

    public async Task<IActionResult> OnGetHtmlAsync(string month, int? version, CancellationToken ct) =>
        await FindAsync(month, version, ct) is { } row ? File(System.Text.Encoding.UTF8.GetBytes(row.Html), "text/html; charset=utf-8", $"review-{row.Month}-v{row.Version}.html") : NotFound();

    private async Task<MonthlyReviewRow?> FindAsync(string month, int? version, CancellationToken ct) =>
        ReviewMonth.TryParse(month, out var m) ? await runtime.Reviews.GetAsync(m, version, ct) : null;

    public static string MainElement(string html)
    {
        var start = html.IndexOf("<main", StringComparison.Ordinal);
        var end = html.LastIndexOf("</main>", StringComparison.Ordinal);
        return start < 0 || end < start ? "" : html[start..(end + "</main>".Length)];
    }
}
