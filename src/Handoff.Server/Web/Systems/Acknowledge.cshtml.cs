using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>POST only: an owner has seen a system finding (audited as them). Drift and volume findings
/// close with it; condition findings stay open until the condition clears — like <c>handoff system ack</c>.</summary>
[Authorize(Policy = Capabilities.SystemsSync)]
public sealed class AcknowledgeModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public long Finding { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var row = await Cli.DriftServices.For(runtime).Monitor.AcknowledgeAsync(Finding, "user:" + User.Actor(), ct);
            TempData["Message"] = $"finding {row.Id} ({row.System}, {row.Kind}) acknowledged" + (row.ResolvedAt is null ? "; it stays open until the condition clears" : " and closed");
        }
        catch (InvalidOperationException e)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect("/Systems");
    }
}
