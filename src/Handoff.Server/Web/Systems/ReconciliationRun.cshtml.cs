using Handoff.Data.Jobs;
using Handoff.Data.Reconciliation;
using Handoff.Data.Workspace;
using Handoff.Server.Jobs;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>POST only: reconcile a target now, as <c>handoff reconcile SYSTEM [--dry-run]</c> does — as a
/// background job (reading a large directory takes minutes), audited as the signed-in user; the browser
/// goes to the job's page, which counts the accounts read and then links the report.</summary>
[Authorize(Policy = Capabilities.SystemsReconcile)]
public sealed class ReconciliationRunModel(HandoffRuntime runtime, BackgroundJobQueue jobs) : PageModel
{
    [BindProperty] public bool DryRun { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(string system, CancellationToken ct)
    {
        try
        {
            Reconciler.Target((await runtime.Workspace.LoadActiveAsync(ct)).Definition, system);
        }
        catch (Exception e) when (e is ReconcileException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
            return Redirect("/Systems");
        }
        var id = await jobs.EnqueueAsync(BackgroundJobKind.Reconcile, new ReconcileJob(system, DryRun), User.Actor(), ct);
        return Redirect($"/Jobs/{id}");
    }
}
