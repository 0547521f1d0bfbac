using Handoff.Data.People;
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
        return Page();
    }
}
