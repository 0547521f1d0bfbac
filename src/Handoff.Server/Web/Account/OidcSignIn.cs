using System.Security.Claims;
using Handoff.Data.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;

namespace Handoff.Server.Web.Account;

/// <summary>
/// OpenID Connect single sign-on, off unless <c>Handoff:Oidc:Authority</c> is set. The identity
/// provider's role claim (<c>Handoff:Oidc:RoleClaim</c>, default <c>roles</c>) is mapped to Handoff
/// roles by <c>Handoff:Oidc:RoleMap:{claim value}</c> = <c>role[,role]</c> (a claim value that is a
/// Handoff role name maps to itself). The user gets a local account (no password) named by
/// <c>preferred_username</c>, whose roles follow the provider's at every sign-in.
/// </summary>
public sealed class OidcOptions
{
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string RoleClaim { get; set; } = "roles";
    public string UserNameClaim { get; set; } = "preferred_username";
    public string DisplayName { get; set; } = "single sign-on";
    public Dictionary<string, string> RoleMap { get; set; } = [];

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);

    /// <summary>The Handoff roles for the provider's claim values.</summary>
    public IReadOnlyList<string> MapRoles(IEnumerable<string> claimValues)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var value in claimValues)
        {
            if (RoleMap.TryGetValue(value, out var mapped))
            {
                foreach (var role in mapped.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    if (HandoffRoles.All.Contains(role))
                        result.Add(role);
            }
            else if (HandoffRoles.All.Contains(value))
            {
                result.Add(value);
            }
        }
        return [.. result];
    }
}

public static class OidcSignIn
{
    public const string Scheme = "oidc";

    public static void Add(WebApplicationBuilder builder, Microsoft.AspNetCore.Authentication.AuthenticationBuilder auth, OidcOptions oidc)
    {
        if (!oidc.Enabled)
            return;
        auth.AddOpenIdConnect(Scheme, oidc.DisplayName, o =>
        {
            o.Authority = oidc.Authority;
            o.ClientId = oidc.ClientId;
            o.ClientSecret = oidc.ClientSecret;
            o.ResponseType = "code";
            o.UsePkce = true;
            o.SaveTokens = false;
            o.Scope.Add("profile");
            o.Scope.Add("email");
            o.SignInScheme = IdentityConstants.ExternalScheme;
            o.RequireHttpsMetadata = !builder.Environment.IsDevelopment();
            o.CallbackPath = "/signin-oidc";
        });
    }

    /// <summary>After the provider's callback: find or create the local account, set its roles from
    /// the mapped claims, sign in with the application cookie and audit it.</summary>
    public static async Task<string?> CompleteAsync(HttpContext context, OidcOptions oidc, UserManager<HandoffUser> users,
        SignInManager<HandoffUser> signIn, UserAccounts accounts, HandoffRuntime runtime, CancellationToken ct)
    {
        var external = await context.AuthenticateAsync(IdentityConstants.ExternalScheme);
        if (!external.Succeeded || external.Principal is null)
            return "single sign-on did not complete";
        var principal = external.Principal;
        var userName = principal.FindFirstValue(oidc.UserNameClaim) ?? principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (string.IsNullOrWhiteSpace(userName))
            return $"the identity provider sent no {oidc.UserNameClaim} claim";
        var roles = oidc.MapRoles(principal.FindAll(oidc.RoleClaim).Select(c => c.Value).Concat(principal.FindAll(ClaimTypes.Role).Select(c => c.Value)));
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            await accounts.EnsureRolesAsync();
            user = new HandoffUser { UserName = userName, DisplayName = principal.FindFirstValue("name") ?? userName, CreatedAt = runtime.Clock.GetUtcNow(), ExternalProvider = Scheme };
            var created = await users.CreateAsync(user);
            if (!created.Succeeded)
                return string.Join("; ", created.Errors.Select(e => e.Description));
            await AccountAudit.WriteAsync(runtime, $"sso:{userName}", "user.created", userName, [new("roles", null, string.Join(",", roles))], ct);
        }
        else if (user.ExternalProvider != Scheme)
        {
            return $"'{userName}' is a local account; sign in with its password";
        }
        await accounts.SetRolesAsync(userName, roles, $"sso:{userName}", ct);
        await context.SignOutAsync(IdentityConstants.ExternalScheme);
        await signIn.SignInAsync(user, isPersistent: false, Scheme);
        await AccountAudit.WriteAsync(runtime, $"user:{userName}", "user.signed_in", userName, [new("method", null, "oidc")], ct);
        return null;
    }
}
