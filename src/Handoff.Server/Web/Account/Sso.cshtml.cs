using Handoff.Data.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Handoff.Server.Web.Account;

/// <summary>POST starts OpenID Connect sign-in at the provider; GET is where it comes back
/// (after /signin-oidc) to get a local account with mapped roles.</summary>
[AllowAnonymous]
[EnableRateLimiting(WebApp.SignInRateLimit)]
public sealed class SsoModel(OidcOptions oidc, UserManager<HandoffUser> users, SignInManager<HandoffUser> signIn, UserAccounts accounts, HandoffRuntime runtime) : PageModel
{
    public string? Error { get; private set; }

    public IActionResult OnPost(string? returnUrl)
    {
        if (!oidc.Enabled)
            return NotFound();
        var back = Url.Page("/Account/Sso", null, new { returnUrl = Url.IsLocalUrl(returnUrl) ? returnUrl : "/" })!;
        return Challenge(new AuthenticationProperties { RedirectUri = back }, OidcSignIn.Scheme);
    }

    public async Task<IActionResult> OnGetAsync(string? returnUrl, CancellationToken ct)
    {
        if (!oidc.Enabled)
            return NotFound();
        Error = await OidcSignIn.CompleteAsync(HttpContext, oidc, users, signIn, accounts, runtime, ct);
        return Error is null ? LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/") : Page();
    }
}
