using Handoff.Connectors.Webhook;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Hooks;

/// <summary>
/// <c>POST /hooks/{system}</c>: signed HR change notifications. The delivery is checked (HMAC-SHA256
/// over timestamp, idempotency key and raw body, five-minute replay window, when the system has a
/// webhook secret; an API token scoped <c>hooks:write</c> for the system otherwise), stored once per
/// idempotency key, and answered <c>202 Accepted</c> with a status URL; <see cref="WebhookDeliveryWorker"/>
/// then takes it through the same pipeline as a CSV drop. The same key with the same body again is a
/// retry (<c>202</c>, <c>replayed: true</c>); the same key with another body is refused (<c>409</c>).
/// </summary>
public static class HooksApi
{
    public const long MaxBodyBytes = 10 * 1024 * 1024;

    public static IEndpointRouteBuilder MapHooksApi(this IEndpointRouteBuilder app)
    {
        // Anonymous for the session/token scheme of the web app: each delivery proves itself with its
        // HMAC signature or a hooks:write API token, checked below.
        var group = app.MapGroup("/hooks").WithTags("Webhooks").AllowAnonymous();
        group.MapPost("/{system}", ReceiveAsync)
            .WithName("ReceiveWebhook")
            .WithSummary("Receive a signed change notification from an HR system");
        group.MapGet("/{system}/deliveries/{id:guid}", StatusAsync)
            .WithName("GetWebhookDelivery")
            .WithSummary("Status of a webhook delivery");
        return app;
    }

    private static async Task<IResult> ReceiveAsync(string system, HttpRequest request, HandoffRuntime runtime, WebhookSignal signal, CancellationToken ct)
    {
        ActiveWorkspace workspace;
        try
        {
            workspace = await runtime.Workspace.LoadActiveAsync(ct);
        }
        catch (WorkspaceStateException e)
        {
            return Problem(503, "workspace not ready", e.Message);
        }
        var definition = workspace.Definition.FindSystem(system);
        if (definition is null)
            return Problem(404, "unknown system", $"no system '{system}' in the workspace");
        // Credentials. A system with a webhook secret always needs the HMAC signature (it also proves
        // the body and the time); an API token sent as well must be valid too. A system without a
        // secret accepts deliveries only with an API token scoped hooks:write for that system.
        var secretVariable = definition.Setting("secret_env") ?? definition.Setting("webhook_secret_env");
        var bearer = BearerToken(request);
        string? secret = null;
        if (secretVariable is null)
        {
            if (bearer is null)
                return Problem(404, "webhooks not enabled", $"system '{system}' has no webhook secret (secret_env / webhook_secret_env in its config); send an API token scoped {ApiTokens.HooksWrite} for it as Authorization: Bearer <token>");
        }
        else
        {
            secret = Environment.GetEnvironmentVariable(secretVariable);
            if (string.IsNullOrEmpty(secret))
                return Problem(503, "webhook secret missing", $"the environment variable {secretVariable} that holds the secret for '{system}' is not set on this node");
        }
        if (bearer is not null)
        {
            var check = await runtime.Tokens.AuthenticateAsync(bearer, system, ApiTokens.HooksWrite, ct);
            if (!check.Allowed)
                return Problem(401, "token refused", check.Refusal!);
        }

        if (request.ContentLength > MaxBodyBytes)
            return Problem(413, "body too large", $"the body exceeds {MaxBodyBytes} bytes");
        var body = await ReadBodyAsync(request, ct);
        if (body is null)
            return Problem(413, "body too large", $"the body exceeds {MaxBodyBytes} bytes");

        string idempotencyKey = request.Headers[WebhookSignature.IdempotencyHeader].ToString();
        if (secret is not null)
        {
            var refusal = WebhookSignature.Verify(secret,
                request.Headers[WebhookSignature.TimestampHeader], request.Headers[WebhookSignature.SignatureHeader],
                idempotencyKey, body, runtime.Clock.GetUtcNow());
            if (refusal is not null)
                return Problem(401, "signature refused", refusal);
        }

        if (string.IsNullOrWhiteSpace(idempotencyKey) || idempotencyKey.Length > 200)
            return Problem(400, "idempotency key required", $"send a unique {WebhookSignature.IdempotencyHeader} header (at most 200 characters) per delivery");

        // Refuse a body that is not JSON now, while the sender is listening; record-level problems
        // are quarantined later with their JSON pointer.
        try
        {
            JsonRecordReader.Read(body, "delivery");
        }
        catch (Core.Sources.SourceFormatException e)
        {
            return Problem(400, "not JSON", e.Message);
        }

        var text = System.Text.Encoding.UTF8.GetString(body);
        await using var db = runtime.Database.CreateContext();
        var existing = await db.WebhookDeliveries.AsNoTracking()
            .FirstOrDefaultAsync(d => d.System == system && d.IdempotencyKey == idempotencyKey, ct);
        if (existing is not null)
            return Again(system, existing, text, runtime.Keys);

        var delivery = new WebhookDeliveryRow
        {
            Id = Guid.CreateVersion7(),
            System = system,
            IdempotencyKey = idempotencyKey,
            ReceivedAt = runtime.Clock.GetUtcNow(),
            // The body holds HR data (national ids, salaries): it is stored encrypted, like every value at rest.
            Body = WebhookBody.Seal(runtime.Keys, text),
        };
        db.WebhookDeliveries.Add(delivery);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same delivery arrived twice at once; the other request stored it.
            await using var again = runtime.Database.CreateContext();
            var winner = await again.WebhookDeliveries.AsNoTracking()
                .FirstAsync(d => d.System == system && d.IdempotencyKey == idempotencyKey, ct);
            return Again(system, winner, text, runtime.Keys);
        }
        signal.Notify();
        return Accepted(system, delivery, replayed: false);
    }

    private static async Task<IResult> StatusAsync(string system, Guid id, HandoffRuntime runtime, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        var delivery = await db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id && d.System == system, ct);
        if (delivery is null)
            return Problem(404, "unknown delivery", $"no delivery {id} for system '{system}'");
        var sync = delivery.SyncId is { } syncId ? await db.Syncs.AsNoTracking().FirstOrDefaultAsync(s => s.Id == syncId, ct) : null;
        var quarantined = delivery.SyncId is { } sid
            ? await db.Quarantine.AsNoTracking().Where(q => q.SyncId == sid).Select(q => new { pointer = q.Pointer, field = q.Field, reason = q.Reason }).ToListAsync(ct)
            : [];
        return Results.Ok(new
        {
            id = delivery.Id,
            system = delivery.System,
            status = delivery.Status,
            received_at = delivery.ReceivedAt,
            processed_at = delivery.ProcessedAt,
            error = delivery.Error,
            counts = sync is null ? null : new { read = sync.Read, created = sync.Created, updated = sync.Updated, unchanged = sync.Unchanged, rejected = sync.Rejected, held = sync.Held, scheduled = sync.Scheduled },
            quarantined,
        });
    }

    /// <summary>A delivery under a key already stored: the sender's retry of the same body is acknowledged
    /// as the stored delivery; another body under that key is refused, never dropped in silence (it is
    /// either a sender reusing keys, whose second change would be lost, or a replay of a captured key).</summary>
    private static IResult Again(string system, WebhookDeliveryRow stored, string body, KeyMaterial keys)
    {
        if (string.Equals(WebhookBody.Open(keys, stored.Body), body, StringComparison.Ordinal))
            return Accepted(system, stored, replayed: true);
        return Problem(409, "idempotency key reused",
            $"{WebhookSignature.IdempotencyHeader} \"{stored.IdempotencyKey}\" was already used for delivery {stored.Id} (received {stored.ReceivedAt:u}) "
            + "with another body; nothing of this one is stored. Retry a delivery with the same body and key; send a new change under a new key");
    }

    private static IResult Accepted(string system, WebhookDeliveryRow delivery, bool replayed)
    {
        var url = $"/hooks/{system}/deliveries/{delivery.Id}";
        return Results.Accepted(url, new { id = delivery.Id, status = delivery.Status, status_url = url, replayed });
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header; null without one, empty when malformed.</summary>
    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
            return null;
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
    }

    private static IResult Problem(int status, string title, string detail) =>
        Results.Problem(title: title, detail: detail, statusCode: status);
}
