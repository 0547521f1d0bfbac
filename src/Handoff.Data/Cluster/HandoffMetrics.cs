using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Handoff.Data.Cluster;

/// <summary>
/// The engine's OpenTelemetry instruments (System.Diagnostics.Metrics and Activity, exported by the
/// server): one Meter "Handoff" and one ActivitySource "Handoff.Engine". They live here, beside the
/// engine that records them, so the data layer needs no OpenTelemetry package — only the host decides
/// whether and where they are exported.
/// </summary>
public static class HandoffMetrics
{
    public const string MeterName = "Handoff";
    public const string ActivitySourceName = "Handoff.Engine";

    public static readonly Meter Meter = new(MeterName, "1.0");
    public static readonly ActivitySource Engine = new(ActivitySourceName, "1.0");

    /// <summary>Runs whose first step was claimed by a worker.</summary>
    public static readonly Counter<long> RunsStarted = Meter.CreateCounter<long>("handoff.runs.started", "{run}", "Runs that began executing");

    public static readonly Counter<long> RunsCompleted = Meter.CreateCounter<long>("handoff.runs.completed", "{run}", "Runs that completed (with or without step errors)");

    public static readonly Counter<long> RunsFailed = Meter.CreateCounter<long>("handoff.runs.failed", "{run}", "Runs that failed");

    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("handoff.step.duration", "s", "Time from a step's start to its commit, by step type and system");

    public static readonly Counter<long> LeaseTakeovers = Meter.CreateCounter<long>("handoff.lease.takeovers", "{lease}", "Run or job leases taken over from another node after they ran out");

    public static readonly Counter<long> ConnectorErrors = Meter.CreateCounter<long>("handoff.connector.errors", "{error}", "Connector failures (transient and permanent), by system");

    /// <summary>The trace of a run: its trace id is the run id, so every step of the run — on whichever
    /// node executes it — lands in one trace without storing a context anywhere.</summary>
    public static ActivityContext RunContext(Guid runId)
    {
        Span<byte> bytes = stackalloc byte[16];
        runId.TryWriteBytes(bytes, bigEndian: true, out _);
        return new ActivityContext(ActivityTraceId.CreateFromBytes(bytes), ActivitySpanId.CreateFromBytes(bytes[8..]), ActivityTraceFlags.Recorded, isRemote: true);
    }
}
