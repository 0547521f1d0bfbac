using System.Security.Claims;
using Handoff.Data.Accounts;
using Handoff.Data.Governance;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Feedback;

/// <summary>Which owner sides a user works for: HR roles handle what is routed to HR operations, IT
/// roles what is routed to IT; an auditor reads both and handles neither.</summary>
public static class FeedbackSides
{
    public static IReadOnlyList<string> Handles(ClaimsPrincipal user)
    {
        var routes = new List<string>();
        if (user.IsInRole(HandoffRoles.HrAdmin) || user.IsInRole(HandoffRoles.HrOperator))
            routes.Add("hr_operations");
        if (user.IsInRole(HandoffRoles.ItAdmin) || user.IsInRole(HandoffRoles.ItOperator))
            routes.Add("it");
        return routes;
    }

    public static IReadOnlyList<string> Reads(ClaimsPrincipal user) =>
        user.IsInRole(HandoffRoles.Auditor) ? ["hr_operations", "it"] : Handles(user);

    public static string Label(string route) => route == "it" ? "IT" : "HR operations";
}

/// <summary>The feedback inbox of the user's side: open and acknowledged reports with their SLA clock.</summary>
[Authorize(Policy = Capabilities.FeedbackRead)]
public sealed class FeedbackIndexModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<FeedbackReportRow> Reports { get; private set; } = [];
    public IReadOnlyList<string> Routes { get; private set; } = [];
    public bool All { get; private set; }
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(bool all, CancellationToken ct)
    {
        All = all;
        Routes = FeedbackSides.Reads(User);
        Now = runtime.Clock.GetUtcNow();
        Reports = await runtime.Feedback.ListAsync(Routes, all, ct);
    }
}

/// <summary>One report: what it is about, its SLA clock and its history; acknowledge, note, resolve.</summary>
[Authorize(Policy = Capabilities.FeedbackRead)]
public sealed class FeedbackReportModel(HandoffRuntime runtime) : PageModel
{
    public FeedbackReportRow Report { get; private set; } = null!;
    public bool CanHandle { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var report = await runtime.Feedback.GetAsync(id, ct);
        if (report is null || !FeedbackSides.Reads(User).Contains(report.Route))
            return NotFound();
        Report = report;
        CanHandle = User.HasCapability(Capabilities.FeedbackHandle) && FeedbackSides.Handles(User).Contains(report.Route);
        return Page();
    }
}

/// <summary>POST only: report a problem on a person, a run or a value, from the web.</summary>
[Authorize(Policy = Capabilities.FeedbackReport)]
public sealed class FeedbackNewModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string? Category { get; set; }
    [BindProperty] public string Note { get; set; } = "";
    [BindProperty] public Guid? PersonId { get; set; }
    [BindProperty] public Guid? RunId { get; set; }
    [BindProperty] public string? ReturnTo { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var (report, _) = await runtime.Feedback.FileAsync(new FeedbackDraft(Category, Note, "web", PersonId, RunId), User.Actor(), ct);
            TempData["Message"] = $"Problem reported as feedback #{report.Id}, routed to {FeedbackSides.Label(report.Route)} (due {report.DeadlineAt:u}).";
        }
        catch (Exception e) when (e is FeedbackException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        // Only back to a page of this app.
        var back = ReturnTo is { } r && r.StartsWith('/') && !r.StartsWith("//", StringComparison.Ordinal) ? r : "/";
        return Redirect(back);
    }
}

/// <summary>POST only: acknowledge, add a note to or resolve a report routed to the user's side.</summary>
[Authorize(Policy = Capabilities.FeedbackHandle)]
public sealed class FeedbackHandleModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public long Id { get; set; }
    [BindProperty] public string Action { get; set; } = "";
    [BindProperty] public string? Note { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var report = await runtime.Feedback.GetAsync(Id, ct);
        if (report is null)
            return NotFound();
        if (!FeedbackSides.Handles(User).Contains(report.Route))
        {
            TempData["Error"] = $"Feedback #{Id} is routed to {FeedbackSides.Label(report.Route)}; only that side handles it.";
            return Redirect($"/Feedback/Report/{Id}");
        }
        try
        {
            var done = Action switch
            {
                "acknowledge" => await runtime.Feedback.AcknowledgeAsync(Id, User.Actor(), Note, ct),
                "resolve" => await runtime.Feedback.ResolveAsync(Id, User.Actor(), Note, ct),
                "note" => await runtime.Feedback.AddNoteAsync(Id, User.Actor(), Note ?? "", ct),
                _ => throw new FeedbackException($"unknown action \"{Action}\"; expected acknowledge, note or resolve"),
            };
            TempData["Message"] = done.Status == FeedbackStatus.Resolved
                ? $"Feedback #{Id} resolved after {FeedbackStore.FormatElapsed(TimeSpan.FromSeconds(done.ElapsedSeconds ?? 0))} ({(done.WithinSla == true ? "within" : "outside")} the SLA)."
                : $"Feedback #{Id} is {done.Status}.";
        }
        catch (FeedbackException e)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Feedback/Report/{Id}");
    }
}
