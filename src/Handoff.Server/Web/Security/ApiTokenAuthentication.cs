using System.Security.Claims;
using System.Text.Encodings.Web;
using Handoff.Data.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Handoff.Server.Web.Security;

/// <summary>
/// <c>Authorization: Bearer hoff_…</c> on <c>/api</c>: an API token whose scopes include
/// <c>api:ROLE</c> acts with those roles, as <c>token:ID (system)</c>. Other scopes (hooks, SCIM)
/// give no API role, so a webhook token cannot read people.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger,
    UrlEncoder encoder, HandoffRuntime runtime) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var check = await runtime.Tokens.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (!check.Allowed)
            return AuthenticateResult.Fail(check.Refusal!);
        var token = check.Token!;
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, $"token:{token.Id}"),
            new(ClaimTypes.Name, $"token:{token.Id}"),
            new("handoff:system", token.System),
        };
        foreach (var scope in token.Scopes.Where(s => s.StartsWith(ApiTokens.ApiScopePrefix, StringComparison.Ordinal)))
            claims.Add(new Claim(ClaimTypes.Role, scope[ApiTokens.ApiScopePrefix.Length..]));
        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
