using System.Security.Claims;
using System.Text.Json.Serialization;
using Handoff.Data;
using Handoff.Data.Sources;
using Handoff.Data.Workspace;
using Handoff.Server.Sources;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Web.Review;

/// <summary>Why a held delivery is rejected (required: it goes into the audit trail).</summary>
public sealed record DeliveryRejection(string? Reason);

/// <summary>What a held delivery would do, as the delivery guard measured it before anything applied.</summary>
public sealed record DeliveryReportView(
    [property: JsonPropertyName("columns")] IReadOnlyList<string> Columns,
    [property: JsonPropertyName("missing_columns")] IReadOnlyList<string> MissingColumns,
    [property: JsonPropertyName("new_columns")] IReadOnlyList<string> NewColumns,
    [property: JsonPropertyName("population")] int Population,
    [property: JsonPropertyName("records")] int Records,
    [property: JsonPropertyName("changed")] int Changed,
    [property: JsonPropertyName("cleared")] int Cleared,
    [property: JsonPropertyName("terminated")] int Terminated,
    [property: JsonPropertyName("missing")] int Missing,
    [property: JsonPropertyName("fields")] IReadOnlyDictionary<string, int> Fields,
    [property: JsonPropertyName("examples")] IReadOnlyList<string> Examples,
    [property: JsonPropertyName("hold_reasons")] IReadOnlyList<string> HoldReasons);

/// <summary>One delivery of a source: a file, a webhook body, a SCIM request, a retry.</summary>
public sealed record DeliveryView(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("system")] string System,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("as_of")] DateTimeOffset AsOf,
    [property: JsonPropertyName("received_at")] DateTimeOffset ReceivedAt,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("sync_id")] long? SyncId,
    [property: JsonPropertyName("decided_by")] string? DecidedBy,
    [property: JsonPropertyName("decided_at")] DateTimeOffset? DecidedAt,
    [property: JsonPropertyName("report")] DeliveryReportView? Report);

/// <summary>The counts of the sync an accepted delivery ran.</summary>
public sealed record DeliverySyncView(
    [property: JsonPropertyName("sync_id")] long SyncId,
    [property: JsonPropertyName("read")] int Read,
    [property: JsonPropertyName("created")] int Created,
    [property: JsonPropertyName("updated")] int Updated,
    [property: JsonPropertyName("unchanged")] int Unchanged,
    [property: JsonPropertyName("rejected")] int Rejected,
    [property: JsonPropertyName("held")] int Held,
    [property: JsonPropertyName("scheduled")] int Scheduled,
    [property: JsonPropertyName("stale")] int Stale);

/// <summary>A decision taken on a held delivery: the delivery as it is now, what happened, and the
/// sync an acceptance ran.</summary>
public sealed record DeliveryDecisionView(
    [property: JsonPropertyName("delivery")] DeliveryView Delivery,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("sync")] DeliverySyncView? Sync);

/// <summary>Reads and decisions on source deliveries, for the Review → Deliveries pages and the API
/// (the CLI's <c>handoff deliveries</c> does the same through <see cref="SourceRuns"/> and
/// <see cref="SourceDeliveries"/>).</summary>
public static class DeliveryActions
{
    /// <summary>The actor a web or API decision is taken as: <c>user:NAME</c> (an API token is already <c>token:ID</c>).</summary>
    public static string DecidingActor(ClaimsPrincipal user) =>
        user.Identity?.Name is { } name && name.Contains(':', StringComparison.Ordinal) ? name : "user:" + user.Actor();

    public static DeliveryInspection? Inspection(DeliveryRow d) =>
        d.ReportJson is null ? null : JsonDefaults.Deserialize<DeliveryInspection>(d.ReportJson);

    public static DeliveryView View(DeliveryRow d) => new(d.Id, d.System, d.Name, d.Kind, d.Status, d.AsOf, d.ReceivedAt, d.Reason, d.SyncId,
        d.DecidedBy, d.DecidedAt, Inspection(d) is { } r
            ? new DeliveryReportView(r.Columns, r.MissingColumns, r.NewColumns, r.Population, r.Records, r.Changed, r.Cleared, r.Terminated, r.Missing,
                r.Fields, r.Examples, r.HoldReasons)
            : null);

    /// <summary>Newest first, per system: every held delivery, then the most recent <paramref name="perSystem"/> of each system.</summary>
    public static async Task<IReadOnlyList<DeliveryRow>> RecentAsync(HandoffRuntime runtime, string? system, string? status, int perSystem, CancellationToken ct)
    {
        List<string> systems;
        await using (var db = runtime.Database.CreateContext())
        {
            systems = system is not null ? [system]
                : await db.Deliveries.AsNoTracking().Select(d => d.System).Distinct().OrderBy(s => s).ToListAsync(ct);
        }
        var rows = new List<DeliveryRow>();
        foreach (var s in systems)
        {
            var recent = await runtime.Deliveries.ListAsync(s, status, perSystem, ct);
            // A held delivery stays in view until someone decides it, however many came after it.
            var held = status is null ? await runtime.Deliveries.ListAsync(s, "held", 1000, ct) : [];
            rows.AddRange(recent.Concat(held).DistinctBy(d => d.Id).OrderByDescending(d => d.Id));
        }
        return rows;
    }

    /// <summary>Accepts a held delivery: it applies now, as of its own time; the file must still hold the bytes that were held.</summary>
    public static async Task<DeliveryDecisionView> AcceptAsync(HandoffRuntime runtime, long id, string actor, CancellationToken ct)
    {
        var outcome = await SourceRuns.AcceptAsync(runtime, id, actor, ct);
        return await DecidedAsync(runtime, outcome, ct);
    }

    /// <summary>Rejects a held delivery: nothing of it applies, and the same content is not read again.</summary>
    public static async Task<DeliveryDecisionView> RejectAsync(HandoffRuntime runtime, long id, string? reason, string actor, CancellationToken ct)
    {
        _ = await runtime.Deliveries.FindAsync(id, ct) ?? throw new DeliveryDecisionException($"there is no delivery {id}");
        if (string.IsNullOrWhiteSpace(reason))
            throw new DeliveryDecisionException("say why the delivery is rejected (the reason is kept in the audit trail)");
        var outcome = await runtime.Deliveries.RejectAsync(id, actor, reason.Trim(), ct);
        return await DecidedAsync(runtime, outcome, ct);
    }

    private static async Task<DeliveryDecisionView> DecidedAsync(HandoffRuntime runtime, DeliveryOutcome outcome, CancellationToken ct)
    {
        var row = await runtime.Deliveries.FindAsync(outcome.DeliveryId, ct) ?? throw new DeliveryDecisionException($"there is no delivery {outcome.DeliveryId}");
        var sync = outcome.Sync is { } s ? new DeliverySyncView(s.SyncId, s.Read, s.Created, s.Updated, s.Unchanged, s.Rejected, s.Held, s.Scheduled, s.Stale) : null;
        return new DeliveryDecisionView(View(row), outcome.Message, sync);
    }

    /// <summary>A decision that cannot be taken, as the API answers it: no such delivery 404, else 409
    /// (not held, decided meanwhile, the file changed or is gone, no reason given).</summary>
    public static ProblemHttpResult Refused(Exception e) =>
        e is DeliveryDecisionException && e.Message.StartsWith("there is no delivery", StringComparison.Ordinal)
            ? TypedResults.Problem(title: "not found", detail: e.Message, statusCode: StatusCodes.Status404NotFound)
            : TypedResults.Problem(title: "refused", detail: e.Message, statusCode: StatusCodes.Status409Conflict);

    public static bool IsRefusal(Exception e) => e is DeliveryDecisionException or WorkspaceStateException or Core.Sources.SourceFormatException;
}

public static class DeliveriesApi
{
    public static RouteGroupBuilder MapDeliveriesApi(this RouteGroupBuilder api)
    {
        var deliveries = api.MapGroup("/deliveries").WithTags("Review");
        deliveries.MapGet("/", async Task<Ok<IReadOnlyList<DeliveryView>>> (string? system, string? status, int? limit, HandoffRuntime runtime, CancellationToken ct) =>
            TypedResults.Ok<IReadOnlyList<DeliveryView>>([.. (await DeliveryActions.RecentAsync(runtime, system, status, Math.Clamp(limit ?? 30, 1, 500), ct)).Select(DeliveryActions.View)]))
            .WithName("ListDeliveries").WithSummary("Recent deliveries per system (newest first, every held one included), with what a held one would do")
            .RequireAuthorization(Capabilities.SystemsRead);
        deliveries.MapGet("/{id:long}", async Task<Results<Ok<DeliveryView>, NotFound>> (long id, HandoffRuntime runtime, CancellationToken ct) =>
            await runtime.Deliveries.FindAsync(id, ct) is { } d ? TypedResults.Ok(DeliveryActions.View(d)) : TypedResults.NotFound())
            .WithName("GetDelivery").WithSummary("One delivery; a held one with what it would do and why it is held").RequireAuthorization(Capabilities.SystemsRead);
        deliveries.MapPost("/{id:long}/accept", async Task<Results<Ok<DeliveryDecisionView>, ProblemHttpResult>> (long id, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
        {
            try
            {
                return TypedResults.Ok(await DeliveryActions.AcceptAsync(runtime, id, DeliveryActions.DecidingActor(user), ct));
            }
            catch (Exception e) when (DeliveryActions.IsRefusal(e))
            {
                return DeliveryActions.Refused(e);
            }
        }).WithName("AcceptDelivery").WithSummary("Accept a held delivery: it applies now, as of its own time").RequireAuthorization(Capabilities.SystemsSync);
        deliveries.MapPost("/{id:long}/reject", async Task<Results<Ok<DeliveryDecisionView>, ProblemHttpResult>> (long id, DeliveryRejection rejection, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
        {
            try
            {
                return TypedResults.Ok(await DeliveryActions.RejectAsync(runtime, id, rejection.Reason, DeliveryActions.DecidingActor(user), ct));
            }
            catch (Exception e) when (DeliveryActions.IsRefusal(e))
            {
                return DeliveryActions.Refused(e);
            }
        }).WithName("RejectDelivery").WithSummary("Reject a held delivery (with a reason): nothing of it applies, the same content is not read again")
            .RequireAuthorization(Capabilities.SystemsSync);
        return api;
    }
}
