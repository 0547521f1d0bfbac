using Handoff.Data;
using Handoff.Data.Jobs;
using Handoff.Server.Jobs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Jobs;

/// <summary>One background job: a progress bar that <c>js/handoff.js</c> refreshes from
/// <c>GET /api/jobs/{id}</c> until the job ends, then its result (a summary, or a download).</summary>
public sealed class JobModel(BackgroundJobQueue jobs) : PageModel
{
    public BackgroundJobRow Job { get; private set; } = null!;
    public SimulationSummary? Simulation { get; private set; }
    public ReconcileSummary? Reconciliation { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        var job = await jobs.Store.FindAsync(id, ct);
        if (job is null)
            return NotFound();
        if (!User.MayRead(job))
            return Forbid();
        Job = job;
        if (job.Kind == BackgroundJobKind.Simulate && job.ResultJson is { } json)
            Simulation = JsonDefaults.Deserialize<SimulationSummary>(json);
        if (job.Kind == BackgroundJobKind.Reconcile && job.ResultJson is { } report)
            Reconciliation = JsonDefaults.Deserialize<ReconcileSummary>(report);
        return Page();
    }

    /// <summary>The export's file. Only a path this server wrote under its jobs folder is served.</summary>
    public async Task<IActionResult> OnGetDownloadAsync(Guid id, CancellationToken ct)
    {
        var job = await jobs.Store.FindAsync(id, ct);
        if (job is null)
            return NotFound();
        if (!User.MayRead(job))
            return Forbid();
        if (job.Status != BackgroundJobStatus.Completed || job.ResultPath is not { } path)
            return NotFound();
        var full = Path.GetFullPath(path);
        if (!full.StartsWith(Path.GetFullPath(jobs.ResultDirectory) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !System.IO.File.Exists(full))
            return NotFound();
        var type = full.EndsWith(".csv", StringComparison.Ordinal) ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
        return PhysicalFile(full, type, $"handoff-{Path.GetFileName(full)}");
    }
}
