using Handoff.Data.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Account;

public sealed class ChangePasswordModel(UserManager<HandoffUser> users, SignInManager<HandoffUser> signIn, UserAccounts accounts) : PageModel
{
    [BindProperty] public string Current { get; set; } = "";
    [BindProperty] public string Next { get; set; } = "";
    [BindProperty] public string Repeat { get; set; } = "";
    public List<string> Errors { get; } = [];
    public bool Forced => User.HasClaim(HandoffClaimsFactory.MustChangePasswordClaim, "true");

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return RedirectToPage("/Account/Login");
        if (Next != Repeat)
        {
            Errors.Add("The two new passwords differ.");
            return Page();
        }
        if (Next == Current)
        {
            Errors.Add("Choose a password other than the current one.");
            return Page();
        }
        var result = await accounts.ChangePasswordAsync(user, Current, Next, ct);
        if (!result.Succeeded)
        {
            Errors.AddRange(result.Errors.Select(e => e.Description));
            return Page();
        }
        await signIn.RefreshSignInAsync(user);
        TempData["Message"] = "Your password was changed.";
        return Redirect("/");
    }
}
