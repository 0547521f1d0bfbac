using System.Globalization;
using Handoff.Data.Audit;
using Handoff.Data.People;
using Handoff.Server.Web.Security;

namespace Handoff.Server.Web.Audit;

public static class AuditActions
{
    /// <summary>yyyy-MM-dd (a "to" date includes that day) or an ISO 8601 time, UTC unless it says otherwise.</summary>
    public static DateTimeOffset? ParseTime(string? value, bool endOfDay)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return new DateTimeOffset((endOfDay ? day.AddDays(1) : day).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t.ToUniversalTime()
            : throw new FormatException($"\"{value}\" is not a date (yyyy-MM-dd) or an ISO 8601 time");
    }

    /// <summary>Streams an export as a download (CSV or JSON lines); a person reference becomes its id.</summary>
    public static async Task ExportAsync(HttpContext http, HandoffRuntime runtime, string? format, string? from, string? to, string? person, string? system, CancellationToken ct)
    {
        var csv = string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase);
        string? personId = null;
        if (!string.IsNullOrWhiteSpace(person))
        {
            personId = person;
            if (!Guid.TryParse(person, out _))
            {
                await using var db = runtime.Database.CreateContext();
                try
                {
                    personId = (await PeopleDirectory.FindAsync(db, person, ct)).Id.ToString();
                }
                catch (PersonNotFoundException)
                {
                    // A person's entries outlive the person: an id that matches no one is still a filter.
                }
            }
        }
        var query = new AuditExportQuery(ParseTime(from, false), ParseTime(to, true), personId, string.IsNullOrWhiteSpace(system) ? null : system);
        http.Response.ContentType = csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"handoff-audit-{runtime.Clock.GetUtcNow():yyyyMMdd-HHmmss}.{(csv ? "csv" : "jsonl")}\"";
        await runtime.Audit.ExportAsync(query, csv ? AuditExportFormat.Csv : AuditExportFormat.Jsonl, http.Response.Body, ct);
    }

    public static object Entry(AuditEntryRow a) => new
    {
        sequence = a.Sequence,
        at = a.At,
        actor = a.Actor,
        action = a.Action,
        system = a.System,
        object_type = a.ObjectType,
        object_id = a.ObjectId,
        fields = a.FieldsJson,
        correlation_id = a.CorrelationId,
        hash = a.Hash,
    };
}

public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit");
        audit.MapGet("/", async (string? actor, string? action, string? from, string? to, int? limit, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var rows = await AuditSearch.SearchAsync(runtime.Database,
                new AuditSearchQuery(actor, action, AuditActions.ParseTime(from, false), AuditActions.ParseTime(to, true), null, limit ?? 200), ct);
            return Results.Ok(rows.Select(AuditActions.Entry));
        }).WithName("SearchAudit").WithSummary("Search the audit log by actor, action and time").RequireAuthorization(Capabilities.AuditRead);
        audit.MapGet("/verify", async (HandoffRuntime runtime, CancellationToken ct) =>
        {
            var result = await runtime.Audit.VerifyAsync(ct);
            return Results.Ok(new { intact = result.Intact, entries = result.Entries, checkpoints = result.Checkpoints, problem = result.Problem?.Message });
        }).WithName("VerifyAudit").WithSummary("Walk the hash chain and its signed checkpoints").RequireAuthorization(Capabilities.AuditRead);
        audit.MapGet("/export", (HttpContext http, string? format, string? from, string? to, string? person, string? system, HandoffRuntime runtime, CancellationToken ct) =>
            AuditActions.ExportAsync(http, runtime, format, from, to, person, system, ct))
            .WithName("ExportAudit").WithSummary("Export entries as CSV or JSON lines (format=csv|jsonl)").RequireAuthorization(Capabilities.AuditExport);
        return api;
    }
}
