using Handoff.Server.Web.Account;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Admin;

[Authorize(Policy = Capabilities.AdminUsers)]
public sealed class UsersModel(UserAccounts accounts) : PageModel
{
    [BindProperty] public string UserName { get; set; } = "";
    [BindProperty] public string? DisplayName { get; set; }
    [BindProperty] public List<string> Roles { get; set; } = [];
    public IReadOnlyList<UserSummary> Users { get; private set; } = [];
    public string? Secret { get; private set; }
    public string? SecretFor { get; private set; }
    public List<string> Errors { get; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Users = await accounts.ListAsync(ct);

    public Task<IActionResult> OnPostAddAsync(CancellationToken ct) => Run(async () =>
    {
        var (user, password) = await accounts.CreateAsync(UserName.Trim(), DisplayName, Roles, User.Actor(), ct);
        (Secret, SecretFor) = (password, user.UserName);
    }, ct);

    public Task<IActionResult> OnPostRolesAsync(CancellationToken ct) => Run(async () =>
    {
        var roles = await accounts.SetRolesAsync(UserName, Roles, User.Actor(), ct);
        TempData["Message"] = $"{UserName}: {(roles.Count == 0 ? "no roles" : string.Join(", ", roles))}.";
    }, ct);

    public Task<IActionResult> OnPostResetAsync(CancellationToken ct) => Run(async () =>
        (Secret, SecretFor) = (await accounts.ResetPasswordAsync(UserName, User.Actor(), ct), UserName), ct);

    private async Task<IActionResult> Run(Func<Task> action, CancellationToken ct)
    {
        try
        {
            await action();
        }
        catch (AccountException e)
        {
            Errors.Add(e.Message);
        }
        Users = await accounts.ListAsync(ct);
        return Page();
    }
}
