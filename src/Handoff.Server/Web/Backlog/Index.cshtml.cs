using Handoff.Data.Governance;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Backlog;

/// <summary>The backlog of candidate workflows, best joint rank first, with HR's and IT's scores
/// (each side edits its own) and a warning when a candidate depends on an unchecked workflow.</summary>
[Authorize(Policy = Capabilities.ChangeRead)]
public sealed class BacklogIndexModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<BacklogEntry> Entries { get; private set; } = [];
    public bool CanAdd { get; private set; }
    public bool CanScoreHr { get; private set; }
    public bool CanScoreIt { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Entries = await runtime.Backlog.ListAsync(ct);
        CanAdd = User.HasCapability(Capabilities.ChangeEdit);
        CanScoreHr = User.HasCapability(Capabilities.BacklogScoreHr);
        CanScoreIt = User.HasCapability(Capabilities.BacklogScoreIt);
    }
}

/// <summary>POST only: add a candidate.</summary>
[Authorize(Policy = Capabilities.ChangeEdit)]
public sealed class BacklogAddModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string Id { get; set; } = "";
    [BindProperty] public string Name { get; set; } = "";
    [BindProperty] public string? Reads { get; set; }
    [BindProperty] public string? Description { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var reads = (Reads ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            await runtime.Backlog.AddAsync(Id.Trim(), Name, reads, Description, User.Actor(), ct);
            TempData["Message"] = $"{Id} added to the backlog; HR and IT score it next.";
        }
        catch (Exception e) when (e is BacklogException or WorkspaceStateException)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect("/Backlog");
    }
}

/// <summary>POST only: HR's scores (value, volume, pain) as an HR charter member.</summary>
[Authorize(Policy = Capabilities.BacklogScoreHr)]
public sealed class BacklogScoreHrModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string Id { get; set; } = "";
    [BindProperty] public int Value { get; set; }
    [BindProperty] public int Volume { get; set; }
    [BindProperty] public int Pain { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct) =>
        await BacklogForms.ScoreAsync(this, () => runtime.Backlog.ScoreHrAsync(Id, Core.Governance.BacklogRanking.Hr(Value, Volume, Pain), User.Actor(), ct), Id, "HR");
}

/// <summary>POST only: IT's scores (effort, risk, integration availability) as an IT charter member.</summary>
[Authorize(Policy = Capabilities.BacklogScoreIt)]
public sealed class BacklogScoreItModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string Id { get; set; } = "";
    [BindProperty] public int Effort { get; set; }
    [BindProperty] public int Risk { get; set; }
    [BindProperty] public int Availability { get; set; }

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct) =>
        await BacklogForms.ScoreAsync(this, () => runtime.Backlog.ScoreItAsync(Id, Core.Governance.BacklogRanking.It(Effort, Risk, Availability), User.Actor(), ct), Id, "IT");
}

internal static class BacklogForms
{
    public static async Task<IActionResult> ScoreAsync(PageModel page, Func<Task<BacklogItemRow>> score, string id, string side)
    {
        try
        {
            await score();
            page.TempData["Message"] = $"{side} scores of {id} saved.";
        }
        catch (Exception e) when (e is BacklogException or Core.Governance.BacklogScoreException or ApprovalRefusedException or WorkspaceStateException)
        {
            page.TempData["Error"] = e.Message;
        }
        return new RedirectResult("/Backlog");
    }
}
