using Handoff.Data.Jobs;
using Handoff.Server.Jobs;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Runs;

/// <summary>POST only: the run history export (the Runs page's filters) as a background job that
/// writes a CSV file, one line per step; the job page follows it and offers the download.</summary>
[Authorize(Policy = Capabilities.RunsExport)]
public sealed class ExportJobModel(BackgroundJobQueue jobs) : PageModel
{
    /// <summary>Always <c>csv</c>; asked for so that an empty POST starts nothing.</summary>
    [BindProperty] public string? Format { get; set; }
    [BindProperty] public string? Status { get; set; }
    [BindProperty] public string? Workflow { get; set; }
    [BindProperty] public string? Date { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (Format != "csv")
        {
            TempData["Error"] = $"export format \"{Format}\" is not csv";
            return Redirect("/Runs");
        }
        if (!string.IsNullOrWhiteSpace(Status) && !RunsIndexModel.Statuses.Contains(Status))
        {
            TempData["Error"] = $"status \"{Status}\" is not one of {string.Join(", ", RunsIndexModel.Statuses)}";
            return Redirect("/Runs");
        }
        Data.Workflows.RunQuery query;
        try
        {
            query = RunFilters.Query(Status, Workflow, null, Date);
        }
        catch (FormatException e)
        {
            TempData["Error"] = e.Message;
            return Redirect("/Runs");
        }
        var id = await jobs.EnqueueAsync(BackgroundJobKind.RunsExport, new RunsExportJob(query.Status, query.WorkflowId, query.Since), User.Actor(), ct);
        return Redirect($"/Jobs/{id}");
    }
}
