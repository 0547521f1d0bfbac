using Handoff.Data.People;
using Handoff.Data.Workflows;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.People;

/// <summary>One person: every value with source, record and time (provenance), findings, timeline.</summary>
[Authorize(Policy = Capabilities.PeopleRead)]
public sealed class PersonModel(HandoffRuntime runtime) : PageModel
{
    public PersonDetail Person { get; private set; } = null!;
    public bool CanReport { get; private set; }
    public IReadOnlyList<RunRow> Runs { get; private set; } = [];
    public IReadOnlyList<AccountLinkRow> Accounts { get; private set; } = [];
    public bool CanSeeRuns { get; private set; }
    public Feedback.FeedbackFormView? FeedbackForm { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        try
        {
            Person = await new PeopleDirectory(runtime.Database).GetAsync(id, workspace.Definition.Dictionary, ct);
        }
        catch (PersonNotFoundException)
        {
            return NotFound();
        }
        CanReport = User.HasCapability(Capabilities.PeopleReport);
        CanSeeRuns = User.HasCapability(Capabilities.RunsRead);
        if (CanSeeRuns)
            Runs = await runtime.Engine.ListRunsAsync(new RunQuery(PersonId: Person.Id, Limit: 50), ct);
        Accounts = await new WorkflowOverview(runtime.Database).AccountLinksAsync(Person.Id, ct);
        if (User.HasCapability(Capabilities.FeedbackReport))
        {
            var rules = workspace.Definition.Charter.Feedback;
            FeedbackForm = new(Person.Id, null, $"/People/Person/{Person.Id}", rules.Categories, rules.Find("wrong_value")?.Id ?? rules.DefaultCategory);
        }
        return Page();
    }
}
