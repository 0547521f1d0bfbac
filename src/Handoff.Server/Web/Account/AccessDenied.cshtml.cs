using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Account;

/// <summary>Where a signed-in user lands when their roles refuse a page (HTTP 403).</summary>
public sealed class AccessDeniedModel : PageModel
{
    public void OnGet() => Response.StatusCode = StatusCodes.Status403Forbidden;
}
