using Handoff.Data.People;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.People;

[Authorize(Policy = Capabilities.PeopleRead)]
public sealed class PeopleIndexModel(HandoffRuntime runtime) : PageModel
{
    public static readonly string[] States = ["candidate", "pre_hire", "active", "on_leave", "terminated", "purged"];

    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true)] public string? State { get; set; }
    public IReadOnlyList<PersonSummary> People { get; private set; } = [];
    public int Total { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) =>
        (People, Total) = await new PeopleDirectory(runtime.Database).SearchAsync(Q, State, 200, ct);
}
