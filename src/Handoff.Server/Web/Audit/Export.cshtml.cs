using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Audit;

/// <summary>The export as a download (streamed): <c>?format=csv|jsonl&amp;from=&amp;to=&amp;person=&amp;system=</c>.</summary>
[Authorize(Policy = Capabilities.AuditExport)]
public sealed class ExportModel(HandoffRuntime runtime) : PageModel
{
    public async Task<IActionResult> OnGetAsync(string? format, string? from, string? to, string? person, string? system, CancellationToken ct)
    {
        try
        {
            AuditActions.ParseTime(from, false);
            AuditActions.ParseTime(to, true);
        }
        catch (FormatException e)
        {
            return BadRequest(e.Message);
        }
        await AuditActions.ExportAsync(HttpContext, runtime, format, from, to, person, system, ct);
        return new EmptyResult();
    }
}
