using System.Security.Claims;
using Handoff.Data.People;
using Handoff.Data.Sources;
using Handoff.Server.Sources;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;

namespace Handoff.Server.Web.Review;

/// <summary>A decision on a review item: <c>link</c> (with <c>person</c>), <c>new</c>, <c>dismiss</c>, or <c>accept</c> (with <c>system</c>).</summary>
public sealed record ReviewResolution(string Decision, string? Person, string? System);

public static class ReviewActions
{
    public static async Task<ReviewItemRow> ResolveAsync(HandoffRuntime runtime, long id, ReviewResolution resolution, string actor, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        ReviewDecision decision = resolution.Decision switch
        {
            "link" when !string.IsNullOrWhiteSpace(resolution.Person) => new ReviewDecision.Link(await FindPersonAsync(runtime, resolution.Person, ct)),
            "new" => new ReviewDecision.NewPerson(),
            "dismiss" => new ReviewDecision.Dismiss(),
            "accept" when !string.IsNullOrWhiteSpace(resolution.System) => new ReviewDecision.Accept(resolution.System),
            _ => throw new ReviewException("decide link (with a person), new, dismiss, or accept (with a system)"),
        };
        return await runtime.Review.ResolveAsync(workspace.Definition, id, decision, actor, ct);
    }

    private static async Task<Guid> FindPersonAsync(HandoffRuntime runtime, string reference, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        return (await PeopleDirectory.FindAsync(db, reference, ct)).Id;
    }

    public static object Item(ReviewItemRow r) => new
    {
        id = r.Id,
        kind = r.Kind,
        system = r.System,
        native_key = r.NativeKey,
        person_id = r.PersonId,
        field = r.Field,
        reason = r.Reason,
        candidates = r.CandidatesJson,
        status = r.Status,
        resolution = r.Resolution,
        resolved_by = r.ResolvedBy,
        created_at = r.CreatedAt,
    };

    public static object Quarantined(QuarantineRow q) => new
    {
        id = q.Id,
        system = q.System,
        place = q.Pointer is null ? $"{q.File}:{q.Line}" : $"{q.File}#{q.Pointer}",
        field = q.Field,
        reason = q.Reason,
        status = q.Status,
        created_at = q.CreatedAt,
    };
}

public static class ReviewApi
{
    public static RouteGroupBuilder MapReviewApi(this RouteGroupBuilder api)
    {
        var review = api.MapGroup("/review").WithTags("Review");
        review.MapGet("/", async (bool? all, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok((await runtime.Review.ListAsync(all ?? false, ct)).Select(ReviewActions.Item)))
            .WithName("ListReviewItems").WithSummary("What Handoff would not guess: collisions, possible matches, manual conflicts, reported problems").RequireAuthorization(Capabilities.ReviewRead);
        review.MapPost("/{id:long}/resolution", async (long id, ReviewResolution resolution, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(ReviewActions.Item(await ReviewActions.ResolveAsync(runtime, id, resolution, user.Actor(), ct))))
            .WithName("ResolveReviewItem").WithSummary("Decide a review item").RequireAuthorization(Capabilities.ReviewResolve);

        var quarantine = api.MapGroup("/quarantine").WithTags("Review");
        quarantine.MapGet("/", async (string? system, bool? all, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok((await new SourceOverview(runtime.Database).QuarantineAsync(system, all ?? false, ct)).Select(ReviewActions.Quarantined)))
            .WithName("ListQuarantine").WithSummary("Rows that could not be used, with place and reason").RequireAuthorization(Capabilities.ReviewRead);
        quarantine.MapPost("/{system}/retry", async (string system, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var report = await SourceRuns.RetryQuarantineAsync(runtime, system, ct);
            return Results.Ok(new { retried = report.Retried, left_unreadable = report.LeftUnreadable, syncs = report.Syncs });
        }).WithName("RetryQuarantine").WithSummary("Retry a system's quarantined rows after the source was fixed").RequireAuthorization(Capabilities.QuarantineRetry);
        return api;
    }
}
