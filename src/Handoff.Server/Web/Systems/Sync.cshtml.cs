using Handoff.Data.Jobs;
using Handoff.Data.Workspace;
using Handoff.Server.Jobs;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>POST only: read a CSV system's drop folder now, as a background job (a large file takes
/// minutes); the browser goes to the job's page, which shows the records read so far.</summary>
[Authorize(Policy = Capabilities.SystemsSync)]
public sealed class SyncModel(HandoffRuntime runtime, BackgroundJobQueue jobs) : PageModel
{
    [BindProperty] public string System { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var workspace = await runtime.Workspace.LoadActiveAsync(ct);
            var system = workspace.Definition.FindSystem(System)
                ?? throw new WorkspaceStateException($"no system '{System}' in the workspace (known: {string.Join(", ", workspace.Definition.Systems.Select(s => s.Id))})");
            if (system.Connector != "csv")
                throw new WorkspaceStateException($"system '{system.Id}' uses the {system.Connector} connector; only CSV drop folders are read on demand");
        }
        catch (WorkspaceStateException e)
        {
            TempData["Error"] = e.Message;
            return Redirect("/Systems");
        }
        var id = await jobs.EnqueueAsync(BackgroundJobKind.Sync, new SyncJob(System), User.Actor(), ct);
        return Redirect($"/Jobs/{id}");
    }
}
