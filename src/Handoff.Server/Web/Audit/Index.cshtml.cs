using Handoff.Data.Audit;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Audit;

/// <summary>Search the log, verify the chain (result shown), links to export.</summary>
[Authorize(Policy = Capabilities.AuditRead)]
public sealed class AuditIndexModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Actor { get; set; }
    [BindProperty(SupportsGet = true)] public string? Action { get; set; }
    [BindProperty(SupportsGet = true)] public string? From { get; set; }
    [BindProperty(SupportsGet = true)] public string? To { get; set; }
    [BindProperty(SupportsGet = true)] public bool Verify { get; set; }
    public IReadOnlyList<AuditEntryRow> Entries { get; private set; } = [];
    public AuditVerification? Verification { get; private set; }
    public bool CanExport { get; private set; }
    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        CanExport = User.HasCapability(Capabilities.AuditExport);
        if (Verify)
            Verification = await runtime.Audit.VerifyAsync(ct);
        try
        {
            Entries = await AuditSearch.SearchAsync(runtime.Database,
                new AuditSearchQuery(Actor, Action, AuditActions.ParseTime(From, false), AuditActions.ParseTime(To, true)), ct);
        }
        catch (FormatException e)
        {
            Error = e.Message;
        }
    }
}
