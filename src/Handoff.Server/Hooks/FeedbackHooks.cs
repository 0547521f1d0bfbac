using System.Security.Cryptography;
using System.Text.Json;
using Handoff.Connectors.Webhook;
using Handoff.Data.Governance;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Handoff.Server.Hooks;

/// <summary>
/// Feedback from outside the web app. <c>POST /hooks/feedback</c> takes a JSON report from another
/// system (a ticketing tool, a chat bot); <c>POST /hooks/feedback/mail</c> takes a whole mail
/// (RFC 5322, as an inbound mail relay receives it). Both are signed like the HRIS webhooks
/// (<see cref="WebhookSignature"/>: HMAC-SHA256 over timestamp, <c>Idempotency-Key</c> — empty for a mail
/// relay that sends none — and raw body, five-minute window) with
/// the secret in the environment variable the charter names (<c>feedback.webhook_secret_env</c>),
/// and a redelivery (same <c>Idempotency-Key</c>, same Message-ID) is the same report.
/// </summary>
public static class FeedbackHooks
{
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>The JSON a system posts. <c>person</c> is a person id; <c>employee_id</c> finds the person by key.</summary>
    public sealed record FeedbackHookBody(string? Category, string? Note, Guid? Person, string? EmployeeId, Guid? Run, string? Field, string? Reporter);

    public static IEndpointRouteBuilder MapFeedbackHooks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/hooks/feedback").WithTags("Feedback").AllowAnonymous();
        group.MapPost("/", ReceiveJsonAsync).WithName("ReceiveFeedbackWebhook").WithSummary("Report a problem from another system (signed JSON)");
        group.MapPost("/mail", ReceiveMailAsync).WithName("ReceiveFeedbackMail").WithSummary("Report a problem by mail: an inbound relay posts the whole message (signed)");
        return app;
    }

    private static async Task<IResult> ReceiveJsonAsync(HttpRequest request, HandoffRuntime runtime, CancellationToken ct)
    {
        var (body, refusal) = await VerifyAsync(request, runtime, ct);
        if (refusal is not null)
            return refusal;
        var key = request.Headers[WebhookSignature.IdempotencyHeader].ToString();
        if (string.IsNullOrWhiteSpace(key) || key.Length > 200)
            return Problem(400, "idempotency key required", $"send a unique {WebhookSignature.IdempotencyHeader} header (at most 200 characters) per report");
        FeedbackHookBody? report;
        try
        {
            report = JsonSerializer.Deserialize<FeedbackHookBody>(body!, new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
        }
        catch (JsonException e)
        {
            return Problem(400, "not a feedback report", $"the body is not the expected JSON ({e.Path ?? "$"}: {e.Message.Split('.')[0]}); send {{\"category\": …, \"note\": …, \"person\" | \"employee_id\" | \"run\": …}}");
        }
        if (report is null || string.IsNullOrWhiteSpace(report.Note))
            return Problem(400, "note required", "$.note: say what the problem is");
        var person = report.Person;
        if (person is null && report.EmployeeId is { } employeeId)
        {
            await using var db = runtime.Database.CreateContext();
            var value = employeeId.Trim().ToLowerInvariant();
            var ids = await db.PersonKeys.AsNoTracking().Where(k => k.Rule == "employee_id" && k.Value == value).Select(k => k.PersonId).Distinct().ToListAsync(ct);
            if (ids.Count != 1)
                return Problem(422, "unknown person", $"$.employee_id: {(ids.Count == 0 ? "no person has" : "several people have")} employee id \"{employeeId}\"");
            person = ids[0];
        }
        var reporter = string.IsNullOrWhiteSpace(report.Reporter) ? "webhook" : $"webhook:{report.Reporter.Trim()}";
        return await FileAsync(runtime, new FeedbackDraft(report.Category, report.Note, "webhook", person, report.Run, report.Field, ExternalKey: key), reporter, ct);
    }

    private static async Task<IResult> ReceiveMailAsync(HttpRequest request, HandoffRuntime runtime, CancellationToken ct)
    {
        var (body, refusal) = await VerifyAsync(request, runtime, ct);
        if (refusal is not null)
            return refusal;
        MimeMessage message;
        try
        {
            message = await MimeMessage.LoadAsync(new MemoryStream(body!), ct);
        }
        catch (FormatException e)
        {
            return Problem(400, "not a mail", $"the body is not an RFC 5322 message: {e.Message}");
        }
        var from = message.From.Mailboxes.FirstOrDefault()?.Address;
        if (string.IsNullOrWhiteSpace(from))
            return Problem(400, "sender required", "the mail has no From: address, so nobody could be told about the report");
        var subject = (message.Subject ?? "").Trim();
        // "[account_access] Cannot log in" files under account_access; otherwise the charter's default category.
        string? category = null;
        if (subject.StartsWith('[') && subject.IndexOf(']', StringComparison.Ordinal) is var close and > 1)
        {
            category = subject[1..close].Trim();
            subject = subject[(close + 1)..].Trim();
        }
        var text = (message.TextBody ?? "").Trim();
        var note = string.Join("\n\n", new[] { subject, text }.Where(t => t.Length > 0));
        if (note.Length > FeedbackStore.MaxNote)
            note = note[..FeedbackStore.MaxNote];
        var key = string.IsNullOrWhiteSpace(message.MessageId)
            ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body!))
            : message.MessageId;
        return await FileAsync(runtime, new FeedbackDraft(category, note, "email", ExternalKey: key), $"mail:{from}", ct);
    }

    private static async Task<IResult> FileAsync(HandoffRuntime runtime, FeedbackDraft draft, string reporter, CancellationToken ct)
    {
        try
        {
            var (report, created) = await runtime.Feedback.FileAsync(draft, reporter, ct);
            var answer = new { id = report.Id, category = report.Category, route = report.Route, status = report.Status, deadline = report.DeadlineAt, replayed = !created };
            return created ? Results.Created($"/Feedback/Report/{report.Id}", answer) : Results.Ok(answer);
        }
        catch (FeedbackException e)
        {
            return Problem(422, "report refused", e.Message);
        }
    }

    /// <summary>Reads the body and checks its signature; returns the refusal to send otherwise.</summary>
    private static async Task<(byte[]? Body, IResult? Refusal)> VerifyAsync(HttpRequest request, HandoffRuntime runtime, CancellationToken ct)
    {
        ActiveWorkspace workspace;
        try
        {
            workspace = await runtime.Workspace.LoadActiveAsync(ct);
        }
        catch (WorkspaceStateException e)
        {
            return (null, Problem(503, "workspace not ready", e.Message));
        }
        var variable = workspace.Definition.Charter.Feedback.WebhookSecretEnv;
        if (variable is null)
            return (null, Problem(404, "feedback webhooks not enabled", "the charter names no secret for feedback webhooks: set feedback.webhook_secret_env in charter.yaml"));
        var secret = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(secret))
            return (null, Problem(503, "webhook secret missing", $"the environment variable {variable} that holds the feedback webhook secret is not set on this node"));
        if (request.ContentLength > MaxBodyBytes)
            return (null, Problem(413, "body too large", $"the body exceeds {MaxBodyBytes} bytes"));
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
                return (null, Problem(413, "body too large", $"the body exceeds {MaxBodyBytes} bytes"));
            buffer.Write(chunk, 0, read);
        }
        var body = buffer.ToArray();
        var refusal = WebhookSignature.Verify(secret, request.Headers[WebhookSignature.TimestampHeader], request.Headers[WebhookSignature.SignatureHeader],
            request.Headers[WebhookSignature.IdempotencyHeader].ToString(), body, runtime.Clock.GetUtcNow());
        return refusal is null ? (body, null) : (null, Problem(401, "signature refused", $"{refusal} ({WebhookSignature.SignatureHeader} must be sha256=HMAC of \"timestamp.idempotency-key.body\" with the secret in {variable})"));
    }

    private static IResult Problem(int status, string title, string detail) =>
        Results.Problem(title: title, detail: detail, statusCode: status);
}
