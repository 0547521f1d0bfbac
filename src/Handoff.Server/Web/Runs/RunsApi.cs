using System.Globalization;
using System.Security.Claims;
using System.Text;
using Handoff.Data.Workflows;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.WebUtilities;

namespace Handoff.Server.Web.Runs;

public sealed record RetryRequest(string? Step);

public sealed record DecisionRequest(bool Approve, string? Comment);

public sealed record ReleaseRequest(bool Release);

/// <summary>Run filters as the pages and the API take them: status, workflow, person (id), day (yyyy-MM-dd).</summary>
public static class RunFilters
{
    public static RunQuery Query(string? status, string? workflow, Guid? person, string? date, int limit = 200)
    {
        DateTimeOffset? since = null;
        if (!string.IsNullOrWhiteSpace(date))
        {
            if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                throw new FormatException($"date \"{date}\" must be yyyy-MM-dd");
            since = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }
        return new RunQuery(string.IsNullOrWhiteSpace(status) ? null : status, string.IsNullOrWhiteSpace(workflow) ? null : workflow, person, since, limit);
    }

    /// <summary>A day filter means that day only (the engine's query gives "since").</summary>
    public static IReadOnlyList<RunRow> OnDay(IReadOnlyList<RunRow> runs, RunQuery query, string? date) =>
        query.Since is { } since && !string.IsNullOrWhiteSpace(date) ? runs.Where(r => r.CreatedAt < since.AddDays(1)).ToList() : runs;
}

public static class RunsApi
{
    public static object Run(RunRow r) => new
    {
        id = r.Id,
        workflow = r.WorkflowId,
        version = r.Version,
        person = r.PersonId,
        trigger = r.TriggerKey,
        status = r.Status,
        waiting_for = r.WaitingFor,
        error = r.Error,
        created_at = r.CreatedAt,
        started_at = r.StartedAt,
        finished_at = r.FinishedAt,
    };

    public static object Task(HumanTaskRow t) => new
    {
        id = t.Id,
        run = t.RunId,
        step = t.StepId,
        person = t.PersonId,
        workflow = t.WorkflowId,
        title = t.Title,
        role = t.Role,
        escalate_to = t.EscalateTo,
        escalated = t.Escalated,
        due_at = t.DueAt,
        status = t.Status,
        decided_by = t.DecidedBy,
        comment = t.Comment,
        decided_at = t.DecidedAt,
    };

    public static object Staged(StagedWriteRow s) => new
    {
        id = s.Id,
        run = s.RunId,
        step = s.StepId,
        person = s.PersonId,
        system = s.System,
        operation = s.Operation,
        reason = s.Reason,
        status = s.Status,
        decided_by = s.DecidedBy,
        decided_at = s.DecidedAt,
    };

    public static RouteGroupBuilder MapRunsApi(this RouteGroupBuilder api)
    {
        var runs = api.MapGroup("/runs").WithTags("Runs");
        runs.MapGet("/", async (string? status, string? workflow, Guid? person, string? date, int? limit, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var query = RunFilters.Query(status, workflow, person, date, Math.Clamp(limit ?? 200, 1, 1000));
            return Results.Ok(RunFilters.OnDay(await runtime.Engine.ListRunsAsync(query, ct), query, date).Select(Run));
        }).WithName("ListRuns").WithSummary("Run history, newest first; filters: status, workflow, person, date (yyyy-MM-dd)").RequireAuthorization(Capabilities.RunsRead);
        runs.MapGet("/export", async (string? status, string? workflow, string? date, HttpContext http, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var query = RunFilters.Query(status, workflow, null, date);
            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = "attachment; filename=\"handoff-runs.csv\"";
            // The CSV writer flushes synchronously; Kestrel allows only asynchronous writes, so the
            // export goes through a buffer that spills to a temporary file when it grows large.
            await using var buffer = new FileBufferingWriteStream();
            await using (var writer = new StreamWriter(buffer, new UTF8Encoding(false), 65536, leaveOpen: true))
                await runtime.Engine.ExportCsvAsync(writer, query, ct);
            await buffer.DrainBufferAsync(http.Response.Body, ct);
            return Results.Empty;
        }).WithName("ExportRuns").WithSummary("Run history as CSV, one line per step (sensitive values redacted)").RequireAuthorization(Capabilities.RunsExport);
        runs.MapGet("/{id}", async (string id, HandoffRuntime runtime, CancellationToken ct) =>
        {
            RunDetail d;
            try
            {
                d = await runtime.Engine.GetRunAsync(id, ct);
            }
            catch (InvalidOperationException)
            {
                return Results.Problem(title: "not found", detail: $"no run {id}", statusCode: 404);
            }
            return Results.Ok(new
            {
                run = Run(d.Run),
                steps = d.Steps.Select(s => new
                {
                    step = s.StepId,
                    index = s.StepIndex,
                    uses = s.Uses,
                    system = s.System,
                    status = s.Status,
                    attempts = s.Attempts,
                    inputs = s.InputsJson,
                    outputs = s.OutputsJson,
                    operation = s.Operation,
                    error = s.Error,
                    started_at = s.StartedAt,
                    finished_at = s.FinishedAt,
                }),
                approvals = d.Tasks.Select(Task),
                held_writes = d.Staged.Select(Staged),
            });
        }).WithName("GetRun").WithSummary("One run (id or unique prefix) with its steps, approvals and held writes").RequireAuthorization(Capabilities.RunsRead);
        runs.MapPost("/{id}/retry", async (string id, RetryRequest body, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(Run(await runtime.Engine.RetryAsync(await runtime.Engine.ResolveRunAsync(id, ct), string.IsNullOrWhiteSpace(body.Step) ? null : body.Step, user.Actor(), ct))))
            .WithName("RetryRun").WithSummary("Run a failed, canceled or completed-with-errors run again from the failed step or a chosen one").RequireAuthorization(Capabilities.RunsOperate);
        runs.MapPost("/{id}/cancel", async (string id, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(Run(await runtime.Engine.CancelAsync(await runtime.Engine.ResolveRunAsync(id, ct), user.Actor(), ct))))
            .WithName("CancelRun").WithSummary("Cancel a run that has not finished (open approvals are canceled, held writes discarded)").RequireAuthorization(Capabilities.RunsOperate);

        var approvals = api.MapGroup("/approvals").WithTags("Runs");
        approvals.MapGet("/", async (bool? open, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok((await runtime.Engine.ListTasksAsync(open ?? true, ct)).Select(Task)))
            .WithName("ListApprovals").WithSummary("Human tasks (approval steps); open only unless open=false").RequireAuthorization(Capabilities.RunsRead);
        approvals.MapPost("/{id:long}/decision", async (long id, DecisionRequest body, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(Task(await runtime.Engine.DecideAsync(id, body.Approve, user.Actor(), body.Comment, ct))))
            .WithName("DecideApproval").WithSummary("Approve or reject; your charter member needs the task's role").RequireAuthorization(Capabilities.ApprovalsDecide);

        var staged = api.MapGroup("/staged").WithTags("Runs");
        staged.MapGet("/", async (bool? held, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok((await runtime.Engine.ListStagedAsync(held ?? true, ct)).Select(Staged)))
            .WithName("ListHeldWrites").WithSummary("Disables and deletes held by a threshold; held only unless held=false").RequireAuthorization(Capabilities.RunsRead);
        staged.MapPost("/{id:long}/decision", async (long id, ReleaseRequest body, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(new { decided = await runtime.Engine.DecideStagedAsync(id, null, body.Release, user.Actor(), ct) }))
            .WithName("DecideHeldWrite").WithSummary("Release (execute) or discard a held write; charter approvers only").RequireAuthorization(Capabilities.StagedDecide);
        return api;
    }
}
