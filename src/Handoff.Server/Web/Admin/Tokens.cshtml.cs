using Handoff.Data.Security;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Web.Admin;

[Authorize(Policy = Capabilities.AdminTokens)]
public sealed class TokensModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string System { get; set; } = "";
    [BindProperty] public List<string> Scopes { get; set; } = [];
    [BindProperty] public int? ExpiresInDays { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public long Id { get; set; }
    public IReadOnlyList<ApiTokenInfo> Tokens { get; private set; } = [];
    public IReadOnlyList<string> Systems { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }
    public string? Created { get; private set; }
    public List<string> Errors { get; } = [];

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        try
        {
            Created = (await runtime.Tokens.CreateAsync(System, Scopes, ExpiresInDays is { } d ? TimeSpan.FromDays(d) : null, User.Actor(), ct, Name)).Token;
        }
        catch (ApiTokenException e)
        {
            Errors.Add(e.Message);
        }
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(CancellationToken ct)
    {
        try
        {
            await runtime.Tokens.RevokeAsync(Id, ct, User.Actor());
        }
        catch (ApiTokenException e)
        {
            Errors.Add(e.Message);
        }
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Now = runtime.Clock.GetUtcNow();
        Tokens = await runtime.Tokens.ListAsync(ct);
        await using var db = runtime.Database.CreateContext();
        Systems = await db.Systems.OrderBy(s => s.Position).Select(s => s.Id).ToListAsync(ct);
    }
}
