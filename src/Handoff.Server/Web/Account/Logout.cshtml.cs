using Handoff.Data.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Account;

public sealed class LogoutModel(SignInManager<HandoffUser> signIn, HandoffRuntime runtime) : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var name = User.Identity?.Name;
        await signIn.SignOutAsync();
        if (name is not null)
            await AccountAudit.WriteAsync(runtime, $"user:{name}", "user.signed_out", name, [], ct);
        return RedirectToPage("/Account/Login");
    }
}
