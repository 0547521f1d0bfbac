using System.Security.Claims;
using Handoff.Data.People;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;

namespace Handoff.Server.Web.People;

public sealed record ProblemReport(string Field, string Note);

public static class PeopleApi
{
    public static RouteGroupBuilder MapPeopleApi(this RouteGroupBuilder api)
    {
        var people = api.MapGroup("/people").WithTags("People");
        people.MapGet("/", async (string? search, string? state, int? limit, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var (list, total) = await new PeopleDirectory(runtime.Database).SearchAsync(search, state, Math.Clamp(limit ?? 50, 1, 500), ct);
            return Results.Ok(new { total, people = list });
        }).WithName("SearchPeople").WithSummary("Search people by name or key, filter by lifecycle state").RequireAuthorization(Capabilities.PeopleRead);
        people.MapGet("/{reference}", async (string reference, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var workspace = await runtime.Workspace.LoadActiveAsync(ct);
            return Results.Ok(await new PeopleDirectory(runtime.Database).GetAsync(reference, workspace.Definition.Dictionary, ct));
        }).WithName("GetPerson").WithSummary("A person: every value with its source and time, source records, findings, timeline").RequireAuthorization(Capabilities.PeopleRead);
        people.MapPost("/{id:guid}/problems", async (Guid id, ProblemReport report, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var item = await runtime.Review.ReportAsync(id, report.Field, report.Note, user.Actor(), ct);
            return Results.Created($"/api/review/{item.Id}", new { id = item.Id, kind = item.Kind, field = item.Field, status = item.Status });
        }).WithName("ReportProblem").WithSummary("Report a problem with one of a person's values (files a review item)").RequireAuthorization(Capabilities.PeopleReport);
        return api;
    }
}
