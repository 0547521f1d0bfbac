namespace Handoff.Server.Health;

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" }))
            .WithName("Live").WithSummary("The process is up").WithTags("Health").AllowAnonymous();
        app.MapGet("/health/ready", async (HandoffRuntime runtime, CancellationToken ct) =>
        {
            await using var db = runtime.Database.CreateContext();
            return await db.Database.CanConnectAsync(ct)
                ? Results.Ok(new { status = "ready", database = runtime.Database.Provider.ToString().ToLowerInvariant() })
                : Results.Problem(title: "database unreachable", statusCode: 503);
        }).WithName("Ready").WithSummary("The node can reach its database").WithTags("Health").AllowAnonymous();
        return app;
    }
}
