using Handoff.Core.Audit;
using Handoff.Server.Web.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Handoff.Server.Web.Security;

/// <summary>
/// Every refused permission is an audit entry: a signed-in user or API token sent to a page or API
/// route its role does not grant (<c>access.denied</c>), and a SCIM token used outside its system or
/// scope (<c>scim.denied</c>). Auditors see who tried what; the security-incident KPI counts them
/// beside the writes the workflow guard blocked. A request that is not signed in at all is a
/// challenge (sign in), not a refusal, and is not recorded.
/// </summary>
public static class AccessDenials
{
    public const string AccessDenied = "access.denied";
    public const string ScimDenied = "scim.denied";

    public static async Task RecordAsync(HandoffRuntime runtime, string actor, string action, string objectType, string objectId,
        IReadOnlyList<AuditFieldChange> fields, string? system, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await runtime.Audit.AppendAsync(db, new AuditDraft(actor, action, objectType, objectId, fields, system, null, runtime.Clock.GetUtcNow()), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The route's method and path, without the query string (it may carry values).</summary>
    public static string Route(HttpRequest request) => $"{request.Method} {request.PathBase}{request.Path}";
}

/// <summary>Records <see cref="AccessDenials.AccessDenied"/> for a signed-in caller the authorization
/// policies forbid, then answers as ASP.NET Core would (403, or the access-denied page).</summary>
public sealed class AuditedAuthorizationResultHandler(HandoffRuntime runtime) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && context.User.Identity?.IsAuthenticated == true)
        {
            var needs = context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().ToList() ?? [];
            var roles = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<Microsoft.AspNetCore.Authorization.Infrastructure.RolesAuthorizationRequirement>()
                .SelectMany(r => r.AllowedRoles).Distinct().ToList() ?? [];
            var actor = context.User.Identity.Name is { } name && name.Contains(':', StringComparison.Ordinal) ? name : "user:" + context.User.Actor();
            List<AuditFieldChange> fields =
            [
                new("capability", null, needs.Count == 0 ? "(none named)" : string.Join(", ", needs)),
                new("roles_allowed", null, string.Join(", ", roles)),
                new("roles_held", null, string.Join(", ", context.User.FindAll(System.Security.Claims.ClaimTypes.Role).Select(c => c.Value))),
            ];
            await AccessDenials.RecordAsync(runtime, actor, AccessDenials.AccessDenied, "route", AccessDenials.Route(context.Request), fields, null, context.RequestAborted);
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
