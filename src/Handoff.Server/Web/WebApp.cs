using System.Threading.RateLimiting;
using Handoff.Data;
using Handoff.Data.Accounts;
using Handoff.Server.Web.Account;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.FileProviders;
using Scalar.AspNetCore;

namespace Handoff.Server.Web;

/// <summary>
/// The web application: sign-in (ASP.NET Core Identity, optional OpenID Connect), the permission
/// matrix as authorization policies, server-rendered pages (Razor Pages under Web/, one folder per
/// feature), the REST API under /api with its reference page, and the security headers.
/// </summary>
public static class WebApp
{
    public const string SignInRateLimit = "sign-in";
    public const string SmartScheme = "Handoff";

    public static WebApplicationBuilder AddHandoffWeb(this WebApplicationBuilder builder, HandoffRuntime runtime)
    {
        var services = builder.Services;
        var oidc = builder.Configuration.GetSection("Handoff:Oidc").Get<OidcOptions>() ?? new OidcOptions();
        services.AddSingleton(oidc);

        services.AddDbContext<HandoffDbContext>(runtime.Database.Configure);
        services.AddIdentity<HandoffUser, IdentityRole>(UserAccounts.ConfigureIdentity)
            .AddEntityFrameworkStores<HandoffDbContext>()
            .AddClaimsPrincipalFactory<HandoffClaimsFactory>();
        services.AddScoped<UserAccounts>();
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));

        // SameSite=Strict keeps the session cookie off every cross-site request (CSRF on the JSON API);
        // single sign-on comes back from the provider's site, so it needs Lax.
        var sameSite = oidc.Enabled ? SameSiteMode.Lax : SameSiteMode.Strict;
        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "handoff.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = sameSite;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.Events.OnRedirectToLogin = c => ApiAware(c, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = c => ApiAware(c, StatusCodes.Status403Forbidden);
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "handoff.antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.HeaderName = "X-CSRF-TOKEN";
        });

        // One default scheme that reads a Bearer API token on /api and the session cookie everywhere else.
        var auth = services.AddAuthentication(o =>
        {
            // Identity sets its cookie as the default for authenticate and challenge; these win over it.
            o.DefaultScheme = SmartScheme;
            o.DefaultAuthenticateScheme = SmartScheme;
            o.DefaultChallengeScheme = SmartScheme;
            o.DefaultForbidScheme = SmartScheme;
        });
        auth.AddPolicyScheme(SmartScheme, "cookie or API token", o => o.ForwardDefaultSelector = c =>
            (c.Request.Path.StartsWithSegments("/api") || c.Request.Path.StartsWithSegments(Cluster.Telemetry.MetricsPath)) && c.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? ApiTokenAuthenticationHandler.SchemeName
                : IdentityConstants.ApplicationScheme);
        auth.AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        OidcSignIn.Add(builder, auth, oidc);

        services.AddAuthorization(Capabilities.AddPolicies);
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler>(new AuditedAuthorizationResultHandler(runtime));

        // Sign-in attempts per client address; each answer past the limit is 429. Failed passwords
        // additionally lock the account (Identity lockout).
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SignInRateLimit, c => HttpMethods.IsPost(c.Request.Method)
                ? RateLimitPartition.GetFixedWindowLimiter(c.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = c.RequestServices.GetRequiredService<IConfiguration>().GetValue("Handoff:SignIn:PermitPerMinute", 10),
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter("read"));
        });

        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Web";
        });
        services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(o =>
        {
            o.Cookie.Name = "handoff.tempdata";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        // The keys that protect session and antiforgery cookies: in one folder every node shares
        // (Handoff:DataProtection:Path), default ./data/dataprotection-keys next to the demo database.
        services.AddDataProtection().SetApplicationName("handoff")
            .PersistKeysToFileSystem(new DirectoryInfo(builder.Configuration["Handoff:DataProtection:Path"] ?? Path.GetFullPath(Path.Combine("data", "dataprotection-keys"))));
        // EF Core logs every SQL statement at Information; the app's own log lines are what matter.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
        return builder;
    }

    public static WebApplication MapHandoffWeb(this WebApplication app)
    {
        var oidc = app.Services.GetRequiredService<OidcOptions>();
        var https = app.Urls.Any(u => u.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
            || app.Configuration["Kestrel:Certificates:Default:Path"] is not null;
        if (https)
            app.UseHsts();
        app.UseHandoffSecurityHeaders(oidc.Enabled ? new Uri(oidc.Authority!).GetLeftPart(UriPartial.Authority) : null);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new EmbeddedFileProvider(typeof(WebApp).Assembly, "Handoff.Server.wwwroot"),
        });
        app.UseRouting();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseMiddleware<PasswordChangeGate>();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapRazorPages();
        app.MapHandoffApi();
        app.MapScalarApiReference("/api/reference", (o, _) =>
        {
            o.WithTitle("Handoff API").WithOpenApiRoutePattern("/openapi/{documentName}.json").WithNonce();
        });
        return app;
    }

    private static Task ApiAware(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/openapi"))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}

/// <summary>A user signed in with a one-time password may only change it (and sign out) until they do.</summary>
public sealed class PasswordChangeGate(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.User.HasClaim(HandoffClaimsFactory.MustChangePasswordClaim, "true")
            && !context.Request.Path.StartsWithSegments("/Account")
            && !context.Request.Path.StartsWithSegments("/css") && !context.Request.Path.StartsWithSegments("/js"))
        {
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
            context.Response.Redirect("/Account/ChangePassword");
            return;
        }
        await next(context);
    }
}
