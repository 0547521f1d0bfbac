using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;

namespace Handoff.Server.Logging;

/// <summary>The data classes log parameters carry; the platform's redaction erases them on the way to
/// any log sink, so a message that may hold HR data never reaches a log in clear.</summary>
public static class HandoffData
{
    public const string Taxonomy = "Handoff";

    public static DataClassification Personal { get; } = new(Taxonomy, "personal");

    public static DataClassification Sensitive { get; } = new(Taxonomy, "sensitive");

    /// <summary>Registers the redactors and turns redaction on for every logger.</summary>
    public static WebApplicationBuilder AddHandoffRedaction(this WebApplicationBuilder builder)
    {
        builder.Services.AddRedaction(r => r.SetRedactor<ErasingRedactor>(new DataClassificationSet(Personal), new DataClassificationSet(Sensitive)));
        builder.Logging.EnableRedaction();
        return builder;
    }
}

/// <summary>A log parameter that may hold personal data (names, emails, messages quoting values).</summary>
public sealed class PersonalDataAttribute() : DataClassificationAttribute(HandoffData.Personal);

/// <summary>The server's log messages, with every parameter that may carry HR data classified.</summary>
public static partial class HandoffLog
{
    [LoggerMessage(LogLevel.Warning, "webhook delivery {Id} for {System} failed: {Error}")]
    public static partial void DeliveryFailed(ILogger logger, Guid id, string system, [PersonalData] string error);

    [LoggerMessage(LogLevel.Debug, "tick skipped: {Reason}")]
    public static partial void TickSkipped(ILogger logger, [PersonalData] string reason);

    [LoggerMessage(LogLevel.Information, "job {Job} ran on node {Node} (lease token {Token})")]
    public static partial void JobRan(ILogger logger, string job, string node, long token);

    [LoggerMessage(LogLevel.Warning, "job {Job}: node {Node} lost its lease while the job ran; another node holds it now")]
    public static partial void JobLeaseLost(ILogger logger, string job, string node);

    [LoggerMessage(LogLevel.Warning, "node heartbeat failed: {Error}")]
    public static partial void HeartbeatFailed(ILogger logger, [PersonalData] string error);
}
