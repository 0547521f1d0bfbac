using Handoff.Data.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Handoff.Server.Web.Account;

/// <summary>Local sign-in: Identity's password check with lockout (5 failures lock the account for
/// 15 minutes), a rate limit per client address, and an audit entry for every attempt.</summary>
[AllowAnonymous]
[EnableRateLimiting(WebApp.SignInRateLimit)]
public sealed class LoginModel(SignInManager<HandoffUser> signIn, UserManager<HandoffUser> users, HandoffRuntime runtime, OidcOptions oidc) : PageModel
{
    [BindProperty] public string UserName { get; set; } = "";
    [BindProperty] public string Password { get; set; } = "";
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }
    public bool SsoEnabled => oidc.Enabled;
    public string SsoName => oidc.DisplayName;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var name = UserName.Trim();
        var user = name.Length == 0 ? null : await users.FindByNameAsync(name);
        if (user is null)
        {
            // No account by that name: the log says so without keeping what was typed (it may be a password).
            await AccountAudit.WriteAsync(runtime, "anonymous", "user.sign_in_failed", "unknown", [new("reason", null, "unknown user")], ct);
            Error = "Wrong user name or password.";
            return Page();
        }
        if (user.ExternalProvider is not null)
        {
            Error = "This account signs in with single sign-on.";
            return Page();
        }
        var result = await signIn.PasswordSignInAsync(user, Password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            await AccountAudit.WriteAsync(runtime, $"user:{user.UserName}", "user.signed_in", user.UserName!, [new("method", null, "password")], ct);
            if (user.MustChangePassword)
                return RedirectToPage("/Account/ChangePassword");
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
        }
        if (result.IsLockedOut)
        {
            await AccountAudit.WriteAsync(runtime, $"user:{user.UserName}", "user.locked_out", user.UserName!, [new("until", null, user.LockoutEnd?.ToString("O"))], ct);
            Error = "This account is locked after repeated failed sign-ins. Try again in 15 minutes or ask an administrator to reset the password.";
            return Page();
        }
        await AccountAudit.WriteAsync(runtime, $"user:{user.UserName}", "user.sign_in_failed", user.UserName!, [new("reason", null, "wrong password")], ct);
        Error = "Wrong user name or password.";
        return Page();
    }
}
