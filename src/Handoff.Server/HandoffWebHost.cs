using Handoff.Server.Health;
using Handoff.Server.Hooks;
using Handoff.Server.Logging;

namespace Handoff.Server;

/// <summary>The web host: webhooks, health, and the background workers of the data spine.</summary>
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
        builder.Services.AddSingleton<WorkflowSignal>();
        builder.Services.AddHostedService<WorkflowWorker>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication MapHandoff(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.MapOpenApi();
        app.MapHealthApi();
        app.MapHooksApi();
        return app;
    }
}
