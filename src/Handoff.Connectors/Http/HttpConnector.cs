using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Handoff.Connectors.Webhook;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Http;

/// <summary>
/// A custom extension over HTTP (like Entra's custom extensions or an n8n webhook): the workflow's
/// <c>http.call</c> step sends a JSON body, signed the way Handoff's own inbound webhooks are
/// (<c>X-Handoff-Timestamp</c>, <c>X-Handoff-Signature: sha256=HMAC(secret, "ts.idempotency-key.body")</c>), with
/// <c>Idempotency-Key: run/step</c> so a receiver can recognise a request repeated after a crash.
/// 429 and 5xx answers, timeouts and refused connections are transient (the engine retries); other 4xx
/// answers are permanent. A JSON object answer's top-level values become the step's outputs.
/// </summary>
public sealed class HttpConnector : ITargetConnector
{
    private readonly Uri _baseUrl;
    private readonly string? _secret;
    private readonly string? _token;
    private readonly HttpClient _client;
    private readonly TimeProvider _clock;

    public HttpConnector(SystemDefinition system, HttpClient client, TimeProvider? clock = null)
    {
        SystemId = system.Id;
        var url = system.Setting("url") ?? throw new ConnectorException(system.Id, ConnectorFailure.SchemaViolation, "config.url is required for an http system");
        _baseUrl = new Uri(url.EndsWith('/') ? url : url + "/");
        _secret = system.Setting("secret_env") is { } secretEnv ? Environment.GetEnvironmentVariable(secretEnv) : null;
        _token = system.Setting("token_env") is { } tokenEnv ? Environment.GetEnvironmentVariable(tokenEnv) : null;
        _client = client;
        _clock = clock ?? TimeProvider.System;
    }

    public string SystemId { get; }

    public async Task<ConnectionCheck> TestAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, _baseUrl), ct);
            return new ConnectionCheck(true, $"{_baseUrl} answered {(int)response.StatusCode}", watch.Elapsed);
        }
        catch (HttpRequestException e)
        {
            return new ConnectionCheck(false, $"{_baseUrl}: {e.Message}", watch.Elapsed);
        }
    }

    public Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct) =>
        Task.FromResult(new TargetSchema([new TargetObjectClass(ObjectClasses.Request, [])]));

    public async IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        yield break;
    }

    public async Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
    {
        if (operation.Kind != TargetOperationKind.Call)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"an http system only takes calls, not {operation.Kind}");
        var method = new HttpMethod(operation[HttpAttributes.Method] as string ?? "POST");
        var path = (operation[HttpAttributes.Path] as string ?? "").TrimStart('/');
        var body = operation[HttpAttributes.Body] as string;
        if (body is { Length: > 0 })
        {
            try
            {
                using var _ = JsonDocument.Parse(body);
            }
            catch (JsonException e)
            {
                throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"the body is not JSON ({e.Message}); use the json filter for values");
            }
        }
        using var request = SignedRequest(method, new Uri(_baseUrl, path), body, operation.IdempotencyKey, _secret, _token, _clock);

        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, ct);
        }
        catch (Exception e) when (Transport(SystemId, $"{request.RequestUri}", e, _client.Timeout, ct) is { } failure)
        {
            throw failure;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
                throw Refusal(SystemId, request.Method, request.RequestUri, response, text);
            var outputs = new Dictionary<string, object?> { ["status"] = status };
            string? id = null;
            if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
            {
                try
                {
                    using var json = JsonDocument.Parse(text);
                    if (json.RootElement.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var p in json.RootElement.EnumerateObject())
                        {
                            outputs[p.Name] = p.Value.ValueKind switch
                            {
                                JsonValueKind.String => p.Value.GetString(),
                                JsonValueKind.Number => p.Value.GetRawText(),
                                JsonValueKind.True => true,
                                JsonValueKind.False => false,
                                JsonValueKind.Null => null,
                                _ => p.Value.GetRawText(),
                            };
                        }
                        if (outputs.TryGetValue("id", out var v) && v is not null)
                            id = Convert.ToString(v, CultureInfo.InvariantCulture);
                    }
                }
                catch (JsonException)
                {
                    // an answer that is not JSON is not an error: the call succeeded
                }
            }
            return new TargetOperationResult(id, false, outputs);
        }
    }

    /// <summary>A JSON request signed the way Handoff's inbound webhooks are, with the idempotency key
    /// and, when configured, a bearer token. The body is signed as the exact bytes sent.</summary>
    internal static HttpRequestMessage SignedRequest(HttpMethod method, Uri url, string? body, string idempotencyKey, string? secret, string? token, TimeProvider clock)
    {
        var bytes = Encoding.UTF8.GetBytes(body ?? "");
        var request = new HttpRequestMessage(method, url);
        if (body is not null)
            request.Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } };
        request.Headers.TryAddWithoutValidation(WebhookSignature.IdempotencyHeader, idempotencyKey);
        if (secret is not null)
        {
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Sign(secret, timestamp, idempotencyKey, bytes));
        }
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    /// <summary>
    /// A request that got no answer, as the connector failure every HTTP connector reports (an exception
    /// filter: <c>catch (Exception e) when (Transport(…) is { } failure) throw failure;</c>): a refused
    /// or broken connection is <see cref="ConnectorFailure.Unavailable"/>, the client's timeout
    /// <see cref="ConnectorFailure.Timeout"/>, both naming the URL; null for anything else (the caller's
    /// own cancellation included), which then propagates as it is.
    /// </summary>
    /// <param name="what">the request as the message names it (its URL, or method and URL)</param>
    /// <param name="after">appended to the message, e.g. how many retries came before</param>
    internal static ConnectorException? Transport(string systemId, string what, Exception e, TimeSpan timeout, CancellationToken ct, string after = "") => e switch
    {
        HttpRequestException => new ConnectorException(systemId, ConnectorFailure.Unavailable, $"{what}: {e.Message}{after}", e),
        TaskCanceledException when !ct.IsCancellationRequested => new ConnectorException(systemId, ConnectorFailure.Timeout, $"{what}: no answer within {timeout.TotalSeconds:0} s{after}", e),
        _ => null,
    };

    /// <summary>Whether an answer is worth sending again: 429 (too many requests) and 5xx.</summary>
    internal static bool IsBusy(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.TooManyRequests || response.StatusCode >= HttpStatusCode.InternalServerError;

    /// <summary>An error answer, classified: 429 and 5xx transient, other 4xx permanent.</summary>
    internal static ConnectorException Refusal(string systemId, HttpMethod method, Uri? url, HttpResponseMessage response, string text)
    {
        var detail = $"{method} {url} answered {(int)response.StatusCode}: {Shorten(text)}";
        var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? $" (Retry-After {delta.TotalSeconds:0} s)" : "";
        return response.StatusCode switch
        {
            HttpStatusCode.TooManyRequests => new ConnectorException(systemId, ConnectorFailure.Unavailable, detail + retryAfter),
            >= HttpStatusCode.InternalServerError => new ConnectorException(systemId, ConnectorFailure.Unavailable, detail + retryAfter),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new ConnectorException(systemId, ConnectorFailure.Denied, detail),
            HttpStatusCode.NotFound => new ConnectorException(systemId, ConnectorFailure.NotFound, detail),
            HttpStatusCode.Conflict => new ConnectorException(systemId, ConnectorFailure.Conflict, detail),
            _ => new ConnectorException(systemId, ConnectorFailure.SchemaViolation, detail),
        };
    }

    /// <summary>Retry-After as a delay: seconds, or an HTTP date relative to now (never negative); null without the header.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider clock) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - clock.GetUtcNow() is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    internal static string Shorten(string text) => text.Length <= 200 ? text : text[..197] + "...";
}
