using System.Security.Claims;
using Handoff.Data.Accounts;
using Handoff.Data.People;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Account;
using Handoff.Server.Web.Admin;
using Handoff.Server.Web.Audit;
using Handoff.Server.Web.Dictionary;
using Handoff.Server.Web.Jobs;
using Handoff.Server.Web.People;
using Handoff.Server.Web.Review;
using Handoff.Server.Web.Runs;
using Handoff.Server.Web.Systems;
using Handoff.Server.Web.Workflows;

namespace Handoff.Server.Web.Api;

/// <summary>
/// The REST API under <c>/api</c>: the same reads and actions as the pages, one group per feature
/// (each in its feature folder), authenticated by the session cookie or an API token with an
/// <c>api:ROLE</c> scope, authorized by the same capabilities. Refusals the domain explains
/// (charter, review, workspace state) are <c>409</c>/<c>400</c> problems with the reason.
/// </summary>
public static class HandoffApi
{
    public static IEndpointRouteBuilder MapHandoffApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").AddEndpointFilter(DomainErrors);
        api.MapGet("/me", (ClaimsPrincipal user) => Results.Ok(new
        {
            name = user.Identity!.Name,
            roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).Order(StringComparer.Ordinal),
        })).WithName("Me").WithSummary("Who is calling, with which roles").WithTags("Account");
        api.MapGet("/dashboard", async (HandoffRuntime runtime, CancellationToken ct) => Results.Ok(new
        {
            people = await new PeopleDirectory(runtime.Database).CountByStateAsync(ct),
            attention = await new SourceOverview(runtime.Database).AttentionAsync(ct),
            recent_syncs = (await new SourceOverview(runtime.Database).RecentSyncsAsync(10, ct)).Select(SystemsApi.Sync),
            runs_today = await DashboardModel.RunsTodayAsync(new WorkflowOverview(runtime.Database),
                new DateTimeOffset(runtime.Clock.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero), ct),
            workflow_attention = await WorkflowAttentionAsync(runtime, ct),
        })).WithName("Dashboard").WithSummary("People by lifecycle state, today's runs, what needs action, recent syncs").WithTags("Dashboard");
        api.MapPeopleApi();
        api.MapDictionaryApi();
        api.MapSystemsApi();
        api.MapWorkflowsApi();
        api.MapRunsApi();
        api.MapReviewApi();
        api.MapDeliveriesApi();
        api.MapAuditApi();
        api.MapAdminApi();
        api.MapJobsApi();
        return app;
    }

    private static async Task<object> WorkflowAttentionAsync(HandoffRuntime runtime, CancellationToken ct)
    {
        var (approvals, held) = await new WorkflowOverview(runtime.Database).NeedsActionAsync(ct);
        return new { open_approvals = approvals, held_writes = held };
    }

    /// <summary>The signed-in user's name (the charter member id for approvals), or <c>token:ID</c>.</summary>
    public static string Actor(this ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    private static async ValueTask<object?> DomainErrors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (PersonNotFoundException e)
        {
            return Results.Problem(title: "not found", detail: e.Message, statusCode: 404);
        }
        catch (FormatException e)
        {
            return Results.Problem(title: "invalid", detail: e.Message, statusCode: 400);
        }
        catch (WorkspaceValidationException e)
        {
            return Results.Problem(title: "invalid", detail: string.Join("\n", e.Errors), statusCode: 400);
        }
        catch (Exception e) when (e is WorkflowStateException && e.Message.StartsWith("no ", StringComparison.Ordinal))
        {
            return Results.Problem(title: "not found", detail: e.Message, statusCode: 404);
        }
        catch (Exception e) when (e is WorkspaceStateException or ApprovalRefusedException or WorkflowStateException or ReviewException or ApiTokenException or AccountException
            or Core.Sources.SourceFormatException)
        {
            return Results.Problem(title: "refused", detail: e.Message, statusCode: 409);
        }
    }

    internal static bool HasCapability(this ClaimsPrincipal user, string capability) =>
        Security.Capabilities.Matrix[capability].Any(user.IsInRole);

    internal static IReadOnlyList<string> Roles(this ClaimsPrincipal user) =>
        [.. HandoffRoles.All.Where(user.IsInRole)];
}
