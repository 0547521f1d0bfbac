using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Handoff.Connectors.Http;
using Handoff.Connectors.Webhook;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Tests.Http;

/// <summary><c>ticket.create</c> against an HTTP ticketing API on a real loopback listener: the body
/// template, the signature, the id read back through a JSON pointer, retries on 503/429.</summary>
public sealed class HttpTicketingConnectorTests
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(10) };

    private const string ServiceNowBody = """
        {"short_description": {{ title | json }},
         "description": {{ body | json }},
         "assignment_group": {{ queue | default: "IT" | json }},
         "due_date": {{ due | json }},
         "correlation_id": {{ idempotency_key | json }}}
        """;

    private static HttpTicketingConnector Connector(string url, Dictionary<string, string>? extra = null)
    {
        var config = new Dictionary<string, string>
        {
            ["url"] = url + "api",
            ["ticket_path"] = "now/table/incident",
            ["ticket_body"] = ServiceNowBody,
            ["ticket_id"] = "/result/number",
        };
        foreach (var (key, value) in extra ?? [])
            config[key] = value;
        return new HttpTicketingConnector(new SystemDefinition("servicedesk", "Service desk", SystemKind.Ticketing, "http", SystemOwner.It, config), Client);
    }

    private static TargetOperation Ticket(string title = "Laptop for Zoë \"Z\" O'Brien", string key = "run1/laptop") =>
        new(TargetOperationKind.CreateTicket, ObjectClasses.Ticket, null, null, new Dictionary<string, object?>
        {
            [MessageAttributes.Title] = title,
            [MessageAttributes.Body] = "Standard laptop.\nStart: Monday",
            [MessageAttributes.Queue] = null,
            [MessageAttributes.Due] = new DateOnly(2026, 11, 30),
        }, key);

    [Fact]
    public async Task The_body_is_rendered_signed_and_the_ticket_id_is_read_through_the_pointer()
    {
        using var server = new LoopbackServer { Answer = _ => (201, """{"result": {"sys_id": "9d38", "number": "INC0012345"}}""", null) };
        var secretEnv = "HANDOFF_TEST_SD_SECRET_" + Guid.NewGuid().ToString("N")[..6];
        Environment.SetEnvironmentVariable(secretEnv, "desk-secret");

        var result = await Connector(server.Url, new() { ["secret_env"] = secretEnv }).ApplyAsync(Ticket(), default);

        Assert.Equal("INC0012345", result.NativeId);
        Assert.Equal("INC0012345", result.Outputs["ticket"]);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("POST", "/api/now/table/incident"), (request.Method, request.Path));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("Laptop for Zoë \"Z\" O'Brien", body.RootElement.GetProperty("short_description").GetString());
        Assert.Equal("Standard laptop.\nStart: Monday", body.RootElement.GetProperty("description").GetString());
        Assert.Equal("IT", body.RootElement.GetProperty("assignment_group").GetString());
        Assert.Equal("2026-11-30", body.RootElement.GetProperty("due_date").GetString());
        Assert.Equal("run1/laptop", body.RootElement.GetProperty("correlation_id").GetString());
        Assert.Equal("run1/laptop", request.Headers[WebhookSignature.IdempotencyHeader]);
        Assert.Null(WebhookSignature.Verify("desk-secret", request.Headers[WebhookSignature.TimestampHeader],
            request.Headers[WebhookSignature.SignatureHeader], request.Headers[WebhookSignature.IdempotencyHeader], Encoding.UTF8.GetBytes(request.Body), DateTimeOffset.UtcNow));
        Assert.NotNull(WebhookSignature.Verify("not-the-secret", request.Headers[WebhookSignature.TimestampHeader],
            request.Headers[WebhookSignature.SignatureHeader], request.Headers[WebhookSignature.IdempotencyHeader], Encoding.UTF8.GetBytes(request.Body), DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Without_a_body_template_the_default_sends_the_step_inputs_and_empty_ones_as_null()
    {
        using var server = new LoopbackServer { Answer = _ => (200, """{"id": 81}""", null) };
        var connector = new HttpTicketingConnector(new SystemDefinition("desk", "Desk", SystemKind.Ticketing, "http", SystemOwner.It,
            new Dictionary<string, string> { ["url"] = server.Url }), Client);

        var result = await connector.ApplyAsync(new TargetOperation(TargetOperationKind.CreateTicket, ObjectClasses.Ticket, null, null,
            new Dictionary<string, object?> { [MessageAttributes.Title] = "Return laptop", [MessageAttributes.Body] = null }, "run3/return"), default);

        Assert.Equal("81", result.NativeId); // a number id at the default pointer /id
        var request = Assert.Single(server.Requests);
        Assert.Equal("/tickets", request.Path);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("Return laptop", body.RootElement.GetProperty("title").GetString());
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("body").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("due").ValueKind);
    }

    [Fact]
    public async Task A_503_is_retried_after_the_servers_retry_after_with_the_same_idempotency_key()
    {
        using var server = new LoopbackServer();
        var calls = 0;
        server.Answer = _ => Interlocked.Increment(ref calls) == 1
            ? (503, "{\"error\":\"maintenance\"}", new Dictionary<string, string> { ["Retry-After"] = "1" })
            : (201, "{\"result\":{\"number\":\"INC0000002\"}}", null);
        var watch = Stopwatch.StartNew();

        var result = await Connector(server.Url).ApplyAsync(Ticket(key: "run2/laptop"), default);

        Assert.Equal("INC0000002", result.NativeId);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"waited only {watch.Elapsed}");
        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal("run2/laptop", r.Headers[WebhookSignature.IdempotencyHeader]));
        Assert.Equal(server.Requests.First().Body, server.Requests.Last().Body);
    }

    [Fact]
    public async Task Still_refused_after_every_attempt_is_a_transient_failure_for_the_engine()
    {
        using var server = new LoopbackServer { Answer = _ => (429, "{\"error\":\"slow down\"}", new Dictionary<string, string> { ["Retry-After"] = "0" }) };

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Url, new() { ["retries"] = "2" }).ApplyAsync(Ticket(), default));

        Assert.Equal(3, server.Requests.Count);
        Assert.True(e.IsTransient);
        Assert.Contains("after 3 attempts", e.Message);
        Assert.Contains("answered 429", e.Message);
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_connector_waits_goes_back_to_the_engine_at_once()
    {
        using var server = new LoopbackServer { Answer = _ => (503, "{}", new Dictionary<string, string> { ["Retry-After"] = "120" }) };
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Url).ApplyAsync(Ticket(), default));

        Assert.True(e.IsTransient);
        Assert.Contains("Retry-After 120 s", e.Message);
        Assert.Single(server.Requests);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_400_is_permanent_and_not_retried()
    {
        using var server = new LoopbackServer { Answer = _ => (400, "{\"error\":\"unknown assignment group\"}", null) };
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Url).ApplyAsync(Ticket(), default));
        Assert.Equal(ConnectorFailure.SchemaViolation, e.Failure);
        Assert.Contains("unknown assignment group", e.Message);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData("""{"result": {"sys_id": "9d38"}}""", "has nothing there")]
    [InlineData("""{"result": {"number": null}}""", "is null, not a string or number")]
    [InlineData("""[1, 2]""", "has nothing there")]
    public async Task An_answer_without_the_id_at_the_pointer_is_a_clear_permanent_error(string answer, string why)
    {
        using var server = new LoopbackServer { Answer = _ => (201, answer, null) };

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Url).ApplyAsync(Ticket(), default));

        Assert.Equal(ConnectorFailure.SchemaViolation, e.Failure);
        Assert.False(e.IsTransient); // the ticket may exist: a retry could open a second one
        Assert.StartsWith("servicedesk: ", e.Message);
        Assert.Contains("config.ticket_id \"/result/number\"", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_body_template_that_renders_to_bad_json_is_refused_before_sending()
    {
        using var server = new LoopbackServer();
        var connector = Connector(server.Url, new() { ["ticket_body"] = """{"short_description": "{{ title }}"}""" });

        var e = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(Ticket(), default));

        Assert.Equal(ConnectorFailure.SchemaViolation, e.Failure);
        Assert.Contains("config.ticket_body", e.Message);
        Assert.Contains("json filter", e.Message);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("ticket_id", "result.number", "config.ticket_id \"result.number\" is not a JSON pointer")]
    [InlineData("ticket_body", "{\"a\": {{ title | nope }}}", "config.ticket_body: unknown filter \"nope\"")]
    [InlineData("retries", "many", "config.retries \"many\"")]
    public void Bad_configuration_names_the_system_and_the_key(string key, string value, string expected)
    {
        var e = Assert.Throws<ConnectorException>(() => Connector("http://127.0.0.1:1/", new() { [key] = value }));
        Assert.StartsWith("servicedesk: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("""{"a": {"b/c": {"~d": "x"}}}""", "/a/b~1c/~0d", "x")]
    [InlineData("""{"items": [{"id": 1}, {"id": 7}]}""", "/items/1/id", "7")]
    [InlineData("""{"items": [{"id": 1}]}""", "/items/01/id", null)]
    [InlineData("""{"items": [{"id": 1}]}""", "/items/5/id", null)]
    [InlineData("""{"id": "T-1"}""", "/id", "T-1")]
    public void Json_pointers_follow_rfc_6901(string json, string pointer, string? expected)
    {
        using var document = JsonDocument.Parse(json);
        var found = JsonPointer.Find(document.RootElement, pointer);
        Assert.Equal(expected, found is { } f ? f.ValueKind == JsonValueKind.String ? f.GetString() : f.GetRawText() : null);
    }
}
