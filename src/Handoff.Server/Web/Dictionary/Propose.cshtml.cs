using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Dictionary;

/// <summary>Propose a new version from YAML; errors name the line and column, nothing is stored then.</summary>
[Authorize(Policy = Capabilities.DictionaryPropose)]
public sealed class ProposeModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string Yaml { get; set; } = "";
    [BindProperty] public string? Comment { get; set; }
    public int? BasedOn { get; private set; }
    public List<string> Errors { get; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var latest = (await runtime.Workspace.VersionsAsync(ct)).LastOrDefault();
        BasedOn = latest?.Id;
        Yaml = latest?.Yaml ?? "";
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            var id = await runtime.Workspace.ProposeAsync(Yaml, "dictionary.yaml", User.Actor(), Comment, ct);
            TempData["Message"] = $"v{id} proposed; it needs one HR and one IT approval.";
            return Redirect($"/Dictionary/Version/{id}");
        }
        catch (WorkspaceValidationException e)
        {
            Errors.AddRange(e.Errors.Select(x => x.ToString()));
        }
        catch (WorkspaceStateException e)
        {
            Errors.Add(e.Message);
        }
        BasedOn = (await runtime.Workspace.VersionsAsync(ct)).LastOrDefault()?.Id;
        return Page();
    }
}
