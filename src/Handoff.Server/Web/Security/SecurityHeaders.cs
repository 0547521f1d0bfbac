using Scalar.AspNetCore;

namespace Handoff.Server.Web.Security;

/// <summary>
/// Security headers on every response. The Content-Security-Policy allows nothing from another
/// origin and no inline script at all (the pages keep their script in /js/*.js and pass data in
/// <c>data-</c> attributes); the API reference page gets a per-request nonce for its one module
/// script and inline styles, which its UI needs.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>A page that sets this item to true allows inline styles (never inline script): Mermaid
    /// writes its diagram's theme as a &lt;style&gt; element and style attributes inside the SVG.</summary>
    public const string InlineStylesItemKey = "handoff.csp.inline-styles";

    public static IApplicationBuilder UseHandoffSecurityHeaders(this IApplicationBuilder app, string? extraFormAction = null)
    {
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                var script = "script-src 'self'";
                var style = "style-src 'self'";
                if (context.Items.TryGetValue(ScalarOptions.NonceHttpContextItemKey, out var nonce) && nonce is string n)
                {
                    script += $" 'nonce-{n}'";
                    style += " 'unsafe-inline'";
                }
                else if (context.Items.TryGetValue(InlineStylesItemKey, out var inline) && inline is true)
                {
                    style += " 'unsafe-inline'";
                }
                var formAction = "form-action 'self'" + (extraFormAction is null ? "" : " " + extraFormAction);
                headers.ContentSecurityPolicy =
                    $"default-src 'self'; {script}; {style}; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
                    $"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; {formAction}";
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Cross-Origin-Resource-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
