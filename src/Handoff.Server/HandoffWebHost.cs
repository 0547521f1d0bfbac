using Handoff.Server.Cluster;
using Handoff.Server.Health;
using Handoff.Server.Hooks;
using Handoff.Server.Jobs;
using Handoff.Server.Logging;
using Handoff.Server.Scim;
using Handoff.Server.Sources;
using Handoff.Server.Web;

namespace Handoff.Server;

/// <summary>The web host: the web app and its API (see <see cref="WebApp"/>), webhooks, health, and the
/// background workers of the data spine.</summary>
public static class HandoffWebHost
{
    public static WebApplicationBuilder AddHandoff(this WebApplicationBuilder builder, HandoffRuntime runtime)
    {
        builder.AddHandoffRedaction();
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton(runtime.Clock);
        builder.Services.AddSingleton<WebhookSignal>();
        builder.Services.AddHostedService<WebhookDeliveryWorker>();
        builder.Services.AddHostedService<ScheduleWorker>();
        builder.Services.AddHostedService<ReconcileWorker>();
        builder.Services.AddHostedService<SystemHealthWorker>();
        builder.Services.AddSingleton<WorkflowSignal>();
        builder.Services.AddHostedService<WorkflowWorker>();
        builder.Services.AddHostedService<DropFolderWorker>();
        builder.Services.AddSingleton<BackgroundJobQueue>();
        builder.Services.AddHostedService<BackgroundJobRunner>();
        builder.Services.AddSingleton<ClusterJobs>();
        builder.Services.AddHostedService<NodeWorker>();
        builder.AddHandoffTelemetry(runtime);
        builder.Services.AddHostedService<FeedbackSlaWorker>();
        builder.Services.AddHostedService<GovernanceScheduleWorker>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.AddHandoffWeb(runtime);
        return builder;
    }

    public static WebApplication MapHandoff(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.MapHandoffWeb();
        // The API description needs a signed-in user like every page; health and the webhooks are
        // anonymous on purpose (the hooks check their own HMAC signature or API token, SCIM its API token).
        app.MapOpenApi();
        app.MapHealthApi();
        app.MapHandoffMetrics();
        app.MapHooksApi();
        app.MapFeedbackHooks();
        // SCIM authenticates by its own API token of a scim-server source system, like the hooks.
        app.MapScimApi();
        return app;
    }
}
