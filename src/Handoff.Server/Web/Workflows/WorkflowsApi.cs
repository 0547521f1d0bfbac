using System.Security.Claims;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;

namespace Handoff.Server.Web.Workflows;

public sealed record WorkflowYaml(string? Yaml);

public sealed record ManualRunRequest(string? Person, string? Filter, int? Max);

public static class WorkflowsApi
{
    public static RouteGroupBuilder MapWorkflowsApi(this RouteGroupBuilder api)
    {
        var workflows = api.MapGroup("/workflows").WithTags("Workflows");
        workflows.MapGet("/", async (HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok((await runtime.Workflows.ListAsync(ct)).Select(WorkflowActions.Version)))
            .WithName("ListWorkflowVersions").WithSummary("Every workflow version with status, approvals and what it widens").RequireAuthorization(Capabilities.WorkflowsRead);
        workflows.MapGet("/templates", () =>
            Results.Ok(WorkflowActions.Templates.Select(t => new { name = t.Name, title = t.Title, trigger = t.Trigger, steps = t.Steps, yaml = t.Yaml })))
            .WithName("ListWorkflowTemplates").WithSummary("The shipped templates (starting points)").RequireAuthorization(Capabilities.WorkflowsRead);
        workflows.MapGet("/steps", () =>
            Results.Ok(Core.Workflows.StepCatalog.Steps.Select(s => new
            {
                type = s.Type,
                title = s.Title,
                description = s.Description,
                target = s.TargetKind?.ToString().ToLowerInvariant(),
                operation = s.Operation,
                inputs = s.Inputs.Select(i => new { name = i.Name, kind = i.Kind.ToString().ToLowerInvariant(), required = i.Required, description = i.Description, @default = i.Default }),
            })))
            .WithName("ListWorkflowSteps").WithSummary("The step catalogue: step types and their inputs").RequireAuthorization(Capabilities.WorkflowsRead);
        workflows.MapGet("/versions/{reference}", async (string reference, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var v = await runtime.Workflows.GetAsync(reference, ct);
            return Results.Ok(new { version = WorkflowActions.Version(v), yaml = v.Yaml });
        }).WithName("GetWorkflowVersion").WithSummary("One version (WORKFLOW@vN, or WORKFLOW for its latest) with its YAML").RequireAuthorization(Capabilities.WorkflowsRead);
        workflows.MapGet("/diff", async (string from, string to, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Text(await runtime.Workflows.DiffAsync(from, to, ct)))
            .WithName("DiffWorkflowVersions").WithSummary("Line diff between two versions, with what the second widens").RequireAuthorization(Capabilities.WorkflowsRead);
        workflows.MapPost("/validation", async (WorkflowYaml body, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var loaded = await runtime.Workflows.ValidateAsync(body.Yaml ?? "", WorkflowActions.FileName, ct);
            return Results.Ok(new { valid = loaded.Succeeded, errors = WorkflowActions.Errors(loaded.Errors) });
        }).WithName("ValidateWorkflow").WithSummary("Check a workflow's YAML against the dictionary, the systems and least privilege").RequireAuthorization(Capabilities.WorkflowsPropose);
        workflows.MapPost("/simulation", async (SimulationRequest body, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var (loaded, report) = await WorkflowActions.SimulateAsync(runtime, body, ct);
            return report is null
                ? Results.BadRequest(new { valid = false, errors = WorkflowActions.Errors(loaded.Errors) })
                : Results.Ok(WorkflowActions.Simulation(report));
        }).WithName("SimulateWorkflow").WithSummary("Run a workflow's YAML with no side effects: per person, the writes it would make and the steps that would fail").RequireAuthorization(Capabilities.WorkflowsPropose);
        workflows.MapPost("/versions", async (WorkflowYaml body, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var p = await runtime.Workflows.ProposeAsync(body.Yaml ?? "", WorkflowActions.FileName, user.Actor(), ct);
            return Results.Created($"/api/workflows/versions/{p.WorkflowId}@v{p.Version}", new { id = p.VersionId, workflow = p.WorkflowId, version = p.Version, status = "proposed", widens = p.Widens });
        }).WithName("ProposeWorkflowVersion").WithSummary("Propose a version (YAML); logic-only needs an HR approval, widening needs HR and IT").RequireAuthorization(Capabilities.WorkflowsPropose);
        workflows.MapPost("/versions/{reference}/approvals", async (string reference, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(await WorkflowActions.ApproveAsync(runtime, user, reference, ct)))
            .WithName("ApproveWorkflowVersion").WithSummary("Sign a proposed version for your side of the charter").RequireAuthorization(Capabilities.WorkflowsApprove);
        workflows.MapPost("/versions/{reference}/activation", async (string reference, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(WorkflowActions.Version(await WorkflowActions.ActivateAsync(runtime, user, reference, ct))))
            .WithName("ActivateWorkflowVersion").WithSummary("Make an approved version the one that runs (retires the one it replaces)").RequireAuthorization(Capabilities.WorkflowsActivate);
        workflows.MapPost("/{id}/retirement", async (string id, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(WorkflowActions.Version(await WorkflowActions.RetireAsync(runtime, user, id, ct))))
            .WithName("RetireWorkflow").WithSummary("Retire a workflow's active version: it starts no new runs").RequireAuthorization(Capabilities.WorkflowsActivate);
        workflows.MapPost("/{id}/runs", async (string id, ManualRunRequest body, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var ids = await WorkflowActions.StartAsync(runtime, user, id, body.Person, body.Filter, body.Max, ct);
            return Results.Ok(new { queued = ids.Count, runs = ids });
        }).WithName("StartWorkflowRuns").WithSummary("Run an active workflow now for one person or a filter (capped)").RequireAuthorization(Capabilities.RunsStart);
        return api;
    }
}
