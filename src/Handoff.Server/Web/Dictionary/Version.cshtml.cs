using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Dictionary;

/// <summary>One version: signatures, the diff from the version before, approve (when allowed).</summary>
[Authorize(Policy = Capabilities.DictionaryRead)]
public sealed class VersionModel(HandoffRuntime runtime) : PageModel
{
    public DictionaryVersionRow Version { get; private set; } = null!;
    public string? Diff { get; private set; }
    public int? PreviousId { get; private set; }
    public bool CanApprove { get; private set; }

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken ct)
    {
        var versions = await runtime.Workspace.VersionsAsync(ct);
        var version = versions.FirstOrDefault(v => v.Id == id);
        if (version is null)
            return NotFound();
        Version = version;
        // Compared with the version in effect (what it would replace), else the one before it.
        PreviousId = versions.FirstOrDefault(v => v.Status == "active" && v.Id != id)?.Id ?? versions.LastOrDefault(v => v.Id < id)?.Id;
        if (PreviousId is { } from)
            Diff = await runtime.Workspace.DiffAsync(from, id, ct);
        CanApprove = User.HasCapability(Capabilities.DictionaryApprove);
        return Page();
    }
}
