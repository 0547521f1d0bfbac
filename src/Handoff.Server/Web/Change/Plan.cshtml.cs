using Handoff.Core.Workspace;
using Handoff.Data.Governance;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Change;

/// <summary>A workflow's change plan: communications, training per role and the feedback channel.</summary>
[Authorize(Policy = Capabilities.ChangeRead)]
public sealed class ChangePlanPageModel(HandoffRuntime runtime) : PageModel
{
    public ChangePlan Plan { get; private set; } = null!;
    public FeedbackRules Feedback { get; private set; } = FeedbackRules.Default;
    public bool CanEdit { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        try
        {
            Plan = await runtime.ChangePlans.GetAsync(id, ct);
        }
        catch (ChangePlanException)
        {
            return NotFound();
        }
        try
        {
            Feedback = (await runtime.Workspace.LoadActiveAsync(ct)).Definition.Charter.Feedback;
        }
        catch (WorkspaceStateException)
        {
            // The default routing is shown until a workspace is in effect.
        }
        CanEdit = User.HasCapability(Capabilities.ChangeEdit);
        return Page();
    }
}

/// <summary>One training page, rendered from Markdown without raw HTML.</summary>
[Authorize(Policy = Capabilities.ChangeRead)]
public sealed class ChangeTrainingModel(HandoffRuntime runtime) : PageModel
{
    public ChangeTrainingRow Training { get; private set; } = null!;
    public string Html { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string id, string role, CancellationToken ct)
    {
        ChangePlan plan;
        try
        {
            plan = await runtime.ChangePlans.GetAsync(id, ct);
        }
        catch (ChangePlanException)
        {
            return NotFound();
        }
        if (plan.Training.FirstOrDefault(t => t.Role == role) is not { } training)
            return NotFound();
        Training = training;
        Html = ChangePlanMarkdown.ToHtml(training.Markdown);
        return Page();
    }
}

/// <summary>POST only: plan a communication.</summary>
[Authorize(Policy = Capabilities.ChangeEdit)]
public sealed class ChangeCommunicateModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string WorkflowId { get; set; } = "";
    [BindProperty] public string Audience { get; set; } = "";
    [BindProperty] public string Message { get; set; } = "";
    [BindProperty] public string Channel { get; set; } = "";
    [BindProperty] public DateOnly? Date { get; set; }
    [BindProperty] public string Owner { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            if (Date is not { } date)
                throw new ChangePlanException("date is required (yyyy-MM-dd)");
            await runtime.ChangePlans.AddCommunicationAsync(WorkflowId, Audience, Message, Channel, date, Owner, User.Actor(), ct);
            TempData["Message"] = $"Communication to {Audience} planned.";
        }
        catch (ChangePlanException e)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Workflows/{Uri.EscapeDataString(WorkflowId)}/change");
    }
}

/// <summary>POST only: a communication's status (planned, sent, done).</summary>
[Authorize(Policy = Capabilities.ChangeEdit)]
public sealed class ChangeStatusModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string WorkflowId { get; set; } = "";
    [BindProperty] public long Id { get; set; }
    [BindProperty] public string Status { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            await runtime.ChangePlans.SetCommunicationStatusAsync(Id, Status, User.Actor(), ct);
            TempData["Message"] = $"Communication #{Id} is {Status}.";
        }
        catch (ChangePlanException e)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Workflows/{Uri.EscapeDataString(WorkflowId)}/change");
    }
}

/// <summary>POST only: create or replace the training page of a role.</summary>
[Authorize(Policy = Capabilities.ChangeEdit)]
public sealed class ChangeTrainingSaveModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string WorkflowId { get; set; } = "";
    [BindProperty] public string Role { get; set; } = "";
    [BindProperty] public string Title { get; set; } = "";
    [BindProperty] public string Markdown { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            await runtime.ChangePlans.SaveTrainingAsync(WorkflowId, Role, Title, Markdown, User.Actor(), ct);
            TempData["Message"] = $"Training for {Role} saved.";
            return Redirect($"/Workflows/{Uri.EscapeDataString(WorkflowId)}/change/training/{Uri.EscapeDataString(Role)}");
        }
        catch (ChangePlanException e)
        {
            TempData["Error"] = e.Message;
        }
        return Redirect($"/Workflows/{Uri.EscapeDataString(WorkflowId)}/change");
    }
}
