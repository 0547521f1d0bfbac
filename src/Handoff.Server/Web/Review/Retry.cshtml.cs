using Handoff.Data.Workspace;
using Handoff.Server.Sources;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Review;

/// <summary>POST only: retry a system's quarantined rows.</summary>
[Authorize(Policy = Capabilities.QuarantineRetry)]
public sealed class RetryModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string System { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var r = await SourceRuns.RetryQuarantineAsync(runtime, System, ct);
            TempData["Message"] = $"{System}: {r.Retried} row(s) retried" + string.Concat(r.Syncs.Select(s => $"; sync #{s.SyncId}: rejected {s.Rejected}"))
                + (r.LeftUnreadable > 0 ? $"; {r.LeftUnreadable} unreadable record(s) stay until the sender resends them" : "") + ".";
        }
        catch (Exception e) when (e is WorkspaceStateException or Core.Sources.SourceFormatException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect("/Review#quarantine");
    }
}
