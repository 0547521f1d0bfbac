using Handoff.Core.Workflows;
using Handoff.Data.Workflows;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Runs;

/// <summary>One run: each step's status, attempts, inputs and outputs (redacted in storage), errors,
/// approvals and held writes; retry and cancel.</summary>
[Authorize(Policy = Capabilities.RunsRead)]
public sealed class RunModel(HandoffRuntime runtime) : PageModel
{
    public RunDetail Detail { get; private set; } = null!;
    public WorkflowDefinition? Definition { get; private set; }
    public string PersonName { get; private set; } = "";
    public bool CanOperate { get; private set; }
    public bool CanDecide { get; private set; }
    public bool CanRelease { get; private set; }
    public Feedback.FeedbackFormView? FeedbackForm { get; private set; }

    public bool Final => RunStatus.Final.Contains(Detail.Run.Status);

    public bool Retryable => Detail.Run.Status is RunStatus.Failed or RunStatus.Canceled or RunStatus.CompletedWithErrors;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        try
        {
            Detail = await runtime.Engine.GetRunAsync(id.ToString(), ct);
        }
        catch (InvalidOperationException)
        {
            return NotFound();
        }
        var version = (await runtime.Workflows.ListAsync(ct)).FirstOrDefault(v => v.Id == Detail.Run.VersionId);
        Definition = version is null ? null : runtime.Workflows.Parse(version);
        PersonName = (await new WorkflowOverview(runtime.Database).PersonNamesAsync([Detail.Run.PersonId], ct)).GetValueOrDefault(Detail.Run.PersonId) ?? Detail.Run.PersonId.ToString();
        CanOperate = User.HasCapability(Capabilities.RunsOperate);
        CanDecide = User.HasCapability(Capabilities.ApprovalsDecide);
        CanRelease = User.HasCapability(Capabilities.StagedDecide);
        if (User.HasCapability(Capabilities.FeedbackReport))
        {
            var rules = (await runtime.Workspace.LoadActiveAsync(ct)).Definition.Charter.Feedback;
            FeedbackForm = new(Detail.Run.PersonId, Detail.Run.Id, $"/Runs/Run/{Detail.Run.Id}", rules.Categories, rules.Find("automation")?.Id ?? rules.DefaultCategory);
        }
        return Page();
    }
}
