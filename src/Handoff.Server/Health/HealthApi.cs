using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Health;

/// <summary>
/// Liveness and readiness of this node, for a load balancer or an orchestrator. Live: the process
/// answers. Ready: the database is reachable, its schema has no pending migration (a node of an older
/// version against a newer schema, or the reverse during an upgrade, is not ready), and a workspace is
/// active — otherwise 503 with a JSON body naming each check that failed. Both name the node.
/// </summary>
public static class HealthApi
{
    /// <summary>A readiness probe never waits longer than this for the database.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", (HandoffRuntime runtime) => Results.Ok(new { status = "live", node = runtime.NodeId }))
            .WithName("Live").WithSummary("The process is up").WithTags("Health").AllowAnonymous();
        app.MapGet("/health/ready", async (HandoffRuntime runtime, CancellationToken ct) =>
        {
            var checks = await ReadinessAsync(runtime, ct);
            var failed = checks.Where(c => c.Value != "ok").Select(c => c.Key).ToList();
            var body = new
            {
                status = failed.Count == 0 ? "ready" : "unready",
                node = runtime.NodeId,
                database = runtime.Database.Provider.ToString().ToLowerInvariant(),
                checks,
                failed,
            };
            return Results.Json(body, statusCode: failed.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithName("Ready").WithSummary("The node can reach its database, the schema is current and a workspace is active").WithTags("Health").AllowAnonymous();
        return app;
    }

    /// <summary>Each check with "ok" or what is wrong; later checks are skipped (not run) when the database is unreachable.</summary>
    public static async Task<Dictionary<string, string>> ReadinessAsync(HandoffRuntime runtime, CancellationToken ct)
    {
        var checks = new Dictionary<string, string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await using var db = runtime.Database.CreateContext();
            if (!await db.Database.CanConnectAsync(timeout.Token))
            {
                checks["database"] = "unreachable";
                checks["migrations"] = "not checked: the database is unreachable";
                checks["workspace"] = "not checked: the database is unreachable";
                return checks;
            }
            checks["database"] = "ok";
            var pending = (await db.Database.GetPendingMigrationsAsync(timeout.Token)).ToList();
            checks["migrations"] = pending.Count == 0 ? "ok" : $"{pending.Count} pending: {string.Join(", ", pending)} (run any handoff command of this version to migrate)";
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            checks["database"] = $"unreachable: {Reason(e)}";
            checks["migrations"] = "not checked: the database is unreachable";
            checks["workspace"] = "not checked: the database is unreachable";
            return checks;
        }
        try
        {
            await runtime.Workspace.LoadActiveAsync(timeout.Token);
            checks["workspace"] = "ok";
        }
        catch (WorkspaceStateException e)
        {
            checks["workspace"] = e.Message;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            checks["workspace"] = $"not loaded: {Reason(e)}";
        }
        return checks;
    }

    private static string Reason(Exception e) => e is OperationCanceledException ? $"no answer within {ProbeTimeout.TotalSeconds:0} s" : e.GetBaseException().Message;
}
