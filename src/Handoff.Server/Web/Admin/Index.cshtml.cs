using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Admin;

/// <summary>The admin sections the user's roles allow (any signed-in user may open the index).</summary>
public sealed class AdminIndexModel : PageModel
{
    public bool Users { get; private set; }
    public bool Tokens { get; private set; }
    public bool Keys { get; private set; }
    public bool Retention { get; private set; }

    public void OnGet()
    {
        Users = User.HasCapability(Capabilities.AdminUsers);
        Tokens = User.HasCapability(Capabilities.AdminTokens);
        Keys = User.HasCapability(Capabilities.AdminKeys);
        Retention = User.HasCapability(Capabilities.RetentionRead);
    }
}
