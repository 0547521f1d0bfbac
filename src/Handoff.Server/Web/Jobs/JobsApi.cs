using System.Security.Claims;
using Handoff.Data.Jobs;
using Handoff.Server.Jobs;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;

namespace Handoff.Server.Web.Jobs;

/// <summary>Who may see a job: whoever may start that kind of job (the capability of the page that
/// starts it), so an export's file is only handed to someone who may export.</summary>
public static class JobAccess
{
    public static string CapabilityFor(string kind) => kind switch
    {
        BackgroundJobKind.Simulate => Capabilities.WorkflowsPropose,
        BackgroundJobKind.Sync => Capabilities.SystemsSync,
        BackgroundJobKind.AuditExport => Capabilities.AuditExport,
        BackgroundJobKind.RunsExport => Capabilities.RunsExport,
        BackgroundJobKind.Reconcile => Capabilities.SystemsReconcile,
        _ => throw new InvalidOperationException($"unknown background job kind '{kind}'"),
    };

    public static readonly string[] Kinds = [BackgroundJobKind.Simulate, BackgroundJobKind.Sync, BackgroundJobKind.AuditExport, BackgroundJobKind.RunsExport, BackgroundJobKind.Reconcile];

    public static bool MayRead(this ClaimsPrincipal user, BackgroundJobRow job) => user.HasCapability(CapabilityFor(job.Kind));

    public static IReadOnlyList<string> KindsFor(ClaimsPrincipal user) => Kinds.Where(k => user.HasCapability(CapabilityFor(k))).ToList();

    /// <summary>The job as the page's poller reads it.</summary>
    public static object Json(BackgroundJobRow j) => new
    {
        id = j.Id,
        kind = j.Kind,
        status = j.Status,
        done = j.Done,
        total = j.Total,
        percent = j.Total is > 0 ? Math.Min(100, (int)(j.Done * 100 / j.Total.Value)) : (int?)null,
        message = j.Message,
        started_by = j.StartedBy,
        created_at = j.CreatedAt,
        started_at = j.StartedAt,
        finished_at = j.FinishedAt,
        final = BackgroundJobStatus.IsFinal(j.Status),
        download = j.ResultPath is not null && j.Status == BackgroundJobStatus.Completed ? $"/Jobs/{j.Id}?handler=Download" : null,
    };
}

public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/jobs/{id:guid}", async (Guid id, ClaimsPrincipal user, BackgroundJobQueue jobs, CancellationToken ct) =>
        {
            var job = await jobs.Store.FindAsync(id, ct);
            if (job is null)
                return Results.Problem(title: "not found", detail: $"no background job {id}", statusCode: 404);
            return user.MayRead(job) ? Results.Ok(JobAccess.Json(job)) : Results.Forbid();
        }).WithName("GetJob").WithTags("Jobs")
            .WithSummary("A background job's status and progress (done of total); readable by whoever may start its kind");
        return api;
    }
}
