using Handoff.Data.Reconciliation;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>POST only: reconcile a target now, as <c>handoff reconcile SYSTEM [--dry-run]</c> does — in the
/// request (a 100,000-account directory takes seconds), audited as the signed-in user; the browser goes to
/// the new report.</summary>
[Authorize(Policy = Capabilities.SystemsReconcile)]
public sealed class ReconciliationRunModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public bool DryRun { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(string system, CancellationToken ct)
    {
        try
        {
            var detail = await ReconciliationModel.ReconcilerFor(runtime).RunAsync(system, DryRun, "user:" + User.Actor(), ct);
            var r = detail.Report;
            TempData["Message"] = $"{(r.DryRun ? "Dry run" : "Reconciliation")} of {system}: {r.Accounts} account(s), {r.Drifted} drifted, {r.Orphan} orphan, {r.Unmanaged} unmanaged, {r.Missing} missing; "
                + (r.DryRun ? $"{detail.Items.Count(i => i.Repair == RepairStatus.WouldRepair)} would be repaired" : $"{r.Repaired} repaired, {r.Held} held, {r.RepairFailed} failed");
            return Redirect($"/Systems/{Uri.EscapeDataString(system)}/Reconciliation?report={r.Id:N}");
        }
        catch (Exception e) when (e is ReconcileException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
            return Redirect("/Systems");
        }
    }
}
