using Handoff.Data.Cluster;
using Handoff.Server.Web.Security;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Handoff.Server.Cluster;

/// <summary>
/// OpenTelemetry for one node: the "Handoff" meter (runs, step latency, queue depth, lease takeovers,
/// connector errors) scraped as Prometheus text at <c>/metrics</c> — which needs the it_admin role (a
/// signed-in it_admin or an API token with that scope) like the other cluster internals — and the
/// "Handoff.Engine" spans, exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddHandoffTelemetry(this WebApplicationBuilder builder, HandoffRuntime runtime)
    {
        builder.Services.AddSingleton<QueueDepth>();
        var otlp = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("handoff", serviceVersion: NodeWorker.Version, serviceInstanceId: runtime.NodeId))
            .WithMetrics(m =>
            {
                m.AddMeter(HandoffMetrics.MeterName).AddPrometheusExporter();
                if (otlp)
                    m.AddOtlpExporter();
            });
        if (otlp)
            otel.WithTracing(t => t.AddSource(HandoffMetrics.ActivitySourceName).AddOtlpExporter());
        return builder;
    }

    private static QueueDepth? _depth;
    private static int _gauges;

    /// <summary>The queue depths as observable gauges, read from the heartbeat's snapshot of the latest
    /// host (the meter is process-wide, so the gauges are created once).</summary>
    public static void RegisterGauges(QueueDepth depth)
    {
        _depth = depth;
        if (Interlocked.Exchange(ref _gauges, 1) == 1)
            return;
        HandoffMetrics.Meter.CreateObservableGauge("handoff.queue.runs", () => _depth?.QueuedRuns ?? 0, "{run}", "Runs queued and not yet claimed (as of the last heartbeat)");
        HandoffMetrics.Meter.CreateObservableGauge("handoff.queue.outbox", () => _depth?.Outbox ?? 0, "{event}", "Outbox events not yet turned into runs (as of the last heartbeat)");
    }

    public static WebApplication MapHandoffMetrics(this WebApplication app)
    {
        RegisterGauges(app.Services.GetRequiredService<QueueDepth>());
        // A GET route like every other, so the permission matrix test sees it and checks who may read it.
        app.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(new HttpMethodMetadata([HttpMethods.Get])).RequireAuthorization(Capabilities.AdminTokens);
        return app;
    }
}
