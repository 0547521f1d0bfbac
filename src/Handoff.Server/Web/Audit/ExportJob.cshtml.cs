using Handoff.Data.Jobs;
using Handoff.Data.People;
using Handoff.Server.Jobs;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Audit;

/// <summary>POST only: the audit export as a background job that writes a file (the page follows its
/// progress and offers the download), for logs too large to stream while the browser waits.</summary>
[Authorize(Policy = Capabilities.AuditExport)]
public sealed class ExportJobModel(HandoffRuntime runtime, BackgroundJobQueue jobs) : PageModel
{
    [BindProperty] public string? Format { get; set; }
    [BindProperty] public string? From { get; set; }
    [BindProperty] public string? To { get; set; }
    [BindProperty] public string? Person { get; set; }
    [BindProperty] public string? System { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (Format is not ("csv" or "jsonl"))
        {
            TempData["Error"] = $"export format \"{Format}\" is not csv or jsonl";
            return Redirect("/Audit");
        }
        AuditExportJob job;
        try
        {
            string? personId = string.IsNullOrWhiteSpace(Person) ? null : Person;
            if (personId is not null && !Guid.TryParse(personId, out _))
            {
                await using var db = runtime.Database.CreateContext();
                try
                {
                    personId = (await PeopleDirectory.FindAsync(db, personId, ct)).Id.ToString();
                }
                catch (PersonNotFoundException)
                {
                    // A person's entries outlive the person: an id that matches no one is still a filter.
                }
            }
            job = new AuditExportJob(Format, AuditActions.ParseTime(From, false), AuditActions.ParseTime(To, true), personId, string.IsNullOrWhiteSpace(System) ? null : System);
        }
        catch (FormatException e)
        {
            TempData["Error"] = e.Message;
            return Redirect("/Audit");
        }
        var id = await jobs.EnqueueAsync(BackgroundJobKind.AuditExport, job, User.Actor(), ct);
        return Redirect($"/Jobs/{id}");
    }
}
