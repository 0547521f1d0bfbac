using System.Globalization;
using System.Text.Json;
using Handoff.Core.Connectors;
using Handoff.Core.Templates;
using Handoff.Core.Workspace;
using Polly;
using Polly.Retry;

namespace Handoff.Connectors.Http;

/// <summary>
/// A ticketing system behind an HTTP API (ServiceNow, Jira Service Management, Zammad, an n8n flow):
/// a <c>connector: http</c> system with <c>kind: ticketing</c>. The <c>ticketing.create_ticket</c>
/// step's <c>ticket.create</c> becomes a POST of <c>config.ticket_body</c> (a Liquid JSON template over
/// title, body, queue, due) to <c>config.ticket_path</c>, signed and keyed like <see cref="HttpConnector"/>;
/// the ticket number is read from the answer at the JSON pointer <c>config.ticket_id</c> and becomes the
/// step's <c>ticket</c> output. <c>http.call</c> steps against the same system work as on any http system.
/// </summary>
/// <remarks>
/// 429 and 5xx answers are retried here (a Polly retry pipeline), <see cref="MaxAttempts"/> times at most,
/// waiting what the server's Retry-After says (else 1 s, 2 s, 4 s …) — a ticketing API that sheds load
/// says when to come back, and a run should not give up a step for a second's hiccup. A Retry-After longer than
/// <see cref="MaxRetryAfter"/> (or the last attempt failing) hands the failure to the engine as
/// transient, whose own retry policy then applies. Every attempt carries the same Idempotency-Key,
/// so a receiver that honours it creates one ticket however often it is asked.
/// </remarks>
public sealed class HttpTicketingConnector : ITargetConnector
{
    public const string DefaultTicketBody =
        """{"title": {{ title | json }}, "body": {{ body | json }}, "queue": {{ queue | json }}, "due": {{ due | json }}}""";

    /// <summary>The longest Retry-After this connector waits itself.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    private readonly HttpConnector _calls;
    private readonly Uri _ticketUrl;
    private readonly HandoffTemplate _body;
    private readonly string _idPointer;
    private readonly string? _secret;
    private readonly string? _token;
    private readonly HttpClient _client;
    private readonly TimeProvider _clock;
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;

    public HttpTicketingConnector(SystemDefinition system, HttpClient client, TimeProvider? clock = null)
    {
        SystemId = system.Id;
        _calls = new HttpConnector(system, client, clock);
        ConnectorException Bad(string message) => new(system.Id, ConnectorFailure.SchemaViolation, message);

        var url = system.Setting("url")!; // HttpConnector checked it
        var baseUrl = new Uri(url.EndsWith('/') ? url : url + "/");
        _ticketUrl = new Uri(baseUrl, (system.Setting("ticket_path") ?? "tickets").TrimStart('/'));
        try
        {
            _body = HandoffTemplate.Parse(system.Setting("ticket_body") ?? DefaultTicketBody);
        }
        catch (TemplateSyntaxException e)
        {
            throw Bad($"config.ticket_body: {e.Message}");
        }
        _idPointer = system.Setting("ticket_id") ?? "/id";
        if (_idPointer.Length > 0 && _idPointer[0] != '/')
            throw Bad($"config.ticket_id \"{_idPointer}\" is not a JSON pointer (RFC 6901): it starts with /, e.g. /result/number");
        MaxAttempts = 4;
        if (system.Setting("retries") is { } r)
        {
            if (!int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var retries) || retries > 10)
                throw Bad($"config.retries \"{r}\" is not a whole number from 0 to 10");
            MaxAttempts = retries + 1;
        }
        _secret = system.Setting("secret_env") is { } secretEnv ? Environment.GetEnvironmentVariable(secretEnv) : null;
        _token = system.Setting("token_env") is { } tokenEnv ? Environment.GetEnvironmentVariable(tokenEnv) : null;
        _client = client;
        _clock = clock ?? TimeProvider.System;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _clock };
        if (MaxAttempts > 1)
        {
            pipeline.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                Delay = TimeSpan.FromSeconds(1),
                // busy answers only: a network failure goes straight back to the engine, which retries it durably
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } r && HttpConnector.IsBusy(r)
                    && (HttpConnector.RetryAfter(r, _clock) is not { } wait || wait <= MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? HttpConnector.RetryAfter(r, _clock) : null),
            });
        }
        _retry = pipeline.Build();
    }

    public string SystemId { get; }

    /// <summary>How many times one ticket is sent at most (1 + <c>config.retries</c>, default 3 retries).</summary>
    public int MaxAttempts { get; }

    public Task<ConnectionCheck> TestAsync(CancellationToken ct) => _calls.TestAsync(ct);

    public Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct) =>
        Task.FromResult(new TargetSchema(
        [
            new TargetObjectClass(ObjectClasses.Ticket,
            [
                new TargetAttribute(MessageAttributes.Title, "string", true, false, false, null),
                new TargetAttribute(MessageAttributes.Body, "string", false, false, false, null),
                new TargetAttribute(MessageAttributes.Queue, "string", false, false, false, null),
                new TargetAttribute(MessageAttributes.Due, "date", false, false, false, null),
            ]),
            new TargetObjectClass(ObjectClasses.Request, []),
        ]));

    public IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, CancellationToken ct) => _calls.ReadAsync(objectClass, ct);

    public async Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
    {
        if (operation.Kind == TargetOperationKind.Call)
            return await _calls.ApplyAsync(operation, ct);
        if (operation.Kind != TargetOperationKind.CreateTicket)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"an http ticketing system takes ticket.create and http.call, not {operation.Kind}");

        var body = await RenderBodyAsync(operation);
        var attempts = 0;
        HttpResponseMessage response;
        try
        {
            // every attempt is a new request with the same body and Idempotency-Key (a request cannot be sent twice)
            response = await _retry.ExecuteAsync(async token =>
            {
                attempts++;
                using var request = HttpConnector.SignedRequest(HttpMethod.Post, _ticketUrl, body, operation.IdempotencyKey, _secret, _token, _clock);
                return await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, token);
            }, ct);
        }
        catch (Exception e) when (HttpConnector.Transport(SystemId, $"{_ticketUrl}", e, _client.Timeout, ct) is { } failure)
        {
            throw failure;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
                return Created(response, text);
            var refusal = HttpConnector.Refusal(SystemId, HttpMethod.Post, _ticketUrl, response, text);
            throw attempts > 1 ? new ConnectorException(SystemId, refusal.Failure, $"after {attempts} attempts: {refusal.Message[(SystemId.Length + 2)..]}") : refusal;
        }
    }

    private async Task<string> RenderBodyAsync(TargetOperation operation)
    {
        var values = new Dictionary<string, object?>(operation.Attributes) { ["idempotency_key"] = operation.IdempotencyKey };
        string body;
        try
        {
            body = await _body.RenderAsync(values);
        }
        catch (TemplateRenderException e)
        {
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"config.ticket_body: {e.Message}");
        }
        try
        {
            using var _ = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation,
                $"config.ticket_body rendered to text that is not JSON ({e.Message}); put values through the json filter: {{{{ title | json }}}}");
        }
        return body;
    }

    private TargetOperationResult Created(HttpResponseMessage response, string text)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw MissingId(response, text, "the answer is not JSON");
        }
        using (json)
        {
            if (JsonPointer.Find(json.RootElement, _idPointer) is not { } found)
                throw MissingId(response, text, "the answer has nothing there");
            var id = found.ValueKind switch
            {
                JsonValueKind.String => found.GetString(),
                JsonValueKind.Number => found.GetRawText(),
                _ => null,
            };
            if (string.IsNullOrEmpty(id))
                throw MissingId(response, text, $"the value there is {found.ValueKind.ToString().ToLowerInvariant()}, not a string or number");
            return TargetOperationResult.Done(id, new Dictionary<string, object?> { ["ticket"] = id, ["status"] = (int)response.StatusCode });
        }
    }

    /// <summary>The ticket may well exist now, so this is permanent: a retry could open a second one.</summary>
    private ConnectorException MissingId(HttpResponseMessage response, string text, string why) =>
        new(SystemId, ConnectorFailure.SchemaViolation,
            $"POST {_ticketUrl} answered {(int)response.StatusCode}, but config.ticket_id \"{_idPointer}\" finds no ticket id: {why} " +
            $"(the ticket may have been created; check the system and fix ticket_id). Answer: {HttpConnector.Shorten(text)}");
}

/// <summary>JSON pointers (RFC 6901): <c>/result/number</c>, <c>/items/0/id</c>, <c>~1</c> for / and <c>~0</c> for ~.</summary>
public static class JsonPointer
{
    /// <summary>The element at <paramref name="pointer"/>, or null when there is none ("" is the whole document).</summary>
    public static JsonElement? Find(JsonElement root, string pointer)
    {
        if (pointer.Length == 0)
            return root;
        if (pointer[0] != '/')
            throw new FormatException($"\"{pointer}\" is not a JSON pointer: it must start with /");
        var current = root;
        foreach (var raw in pointer[1..].Split('/'))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            switch (current.ValueKind)
            {
                case JsonValueKind.Object when current.TryGetProperty(token, out var child):
                    current = child;
                    break;
                case JsonValueKind.Array when token.Length > 0 && (token == "0" || token[0] != '0')
                    && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < current.GetArrayLength():
                    current = current[index];
                    break;
                default:
                    return null;
            }
        }
        return current;
    }
}
