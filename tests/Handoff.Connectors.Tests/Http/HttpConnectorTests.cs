using System.Text;
using Handoff.Connectors.Http;
using Handoff.Connectors.Webhook;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Tests.Http;

public sealed class HttpConnectorTests
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static HttpConnector Connector(string url, string? secretEnv = null) =>
        new(new SystemDefinition("badges", "Badge office", SystemKind.Other, "http", SystemOwner.It,
            secretEnv is null ? new Dictionary<string, string> { ["url"] = url } : new Dictionary<string, string> { ["url"] = url, ["secret_env"] = secretEnv }), Client);

    private static TargetOperation Call(string body, string key = "run1/step1", string path = "badges") =>
        new(TargetOperationKind.Call, ObjectClasses.Request, null, null,
            new Dictionary<string, object?> { [HttpAttributes.Method] = "POST", [HttpAttributes.Path] = path, [HttpAttributes.Body] = body }, key);

    [Fact]
    public async Task A_call_is_signed_like_handoffs_own_webhooks_and_its_answer_becomes_outputs()
    {
        using var server = new LoopbackServer { Answer = _ => (201, "{\"id\":\"B-77\",\"desk\":\"3F\",\"ready\":true}", null) };
        var secretEnv = "HANDOFF_TEST_BADGE_SECRET_" + Guid.NewGuid().ToString("N")[..6];
        Environment.SetEnvironmentVariable(secretEnv, "s3cret-for-test");
        var result = await Connector(server.Url + "api", secretEnv).ApplyAsync(Call("{\"name\":\"Zoë O'Brien\"}"), default);

        Assert.Equal("B-77", result.NativeId);
        Assert.Equal("3F", result.Outputs["desk"]);
        Assert.Equal(true, result.Outputs["ready"]);
        Assert.Equal(201, result.Outputs["status"]);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("POST", "/api/badges"), (request.Method, request.Path));
        Assert.Equal("run1/step1", request.Headers[WebhookSignature.IdempotencyHeader]);
        // The receiver verifies exactly as Handoff verifies inbound webhooks.
        Assert.Null(WebhookSignature.Verify("s3cret-for-test", request.Headers[WebhookSignature.TimestampHeader],
            request.Headers[WebhookSignature.SignatureHeader], request.Headers[WebhookSignature.IdempotencyHeader], Encoding.UTF8.GetBytes(request.Body), DateTimeOffset.UtcNow));
        Assert.NotNull(WebhookSignature.Verify("another-secret", request.Headers[WebhookSignature.TimestampHeader],
            request.Headers[WebhookSignature.SignatureHeader], request.Headers[WebhookSignature.IdempotencyHeader], Encoding.UTF8.GetBytes(request.Body), DateTimeOffset.UtcNow));
        // The key is signed too: the same request under another key does not verify.
        Assert.NotNull(WebhookSignature.Verify("s3cret-for-test", request.Headers[WebhookSignature.TimestampHeader],
            request.Headers[WebhookSignature.SignatureHeader], "run1/step2", Encoding.UTF8.GetBytes(request.Body), DateTimeOffset.UtcNow));
    }

    [Theory]
    [InlineData(500, ConnectorFailure.Unavailable, true)]
    [InlineData(503, ConnectorFailure.Unavailable, true)]
    [InlineData(429, ConnectorFailure.Unavailable, true)]
    [InlineData(400, ConnectorFailure.SchemaViolation, false)]
    [InlineData(401, ConnectorFailure.Denied, false)]
    [InlineData(404, ConnectorFailure.NotFound, false)]
    [InlineData(409, ConnectorFailure.Conflict, false)]
    public async Task Error_answers_are_classified_for_the_engines_retries(int status, ConnectorFailure failure, bool transient)
    {
        using var server = new LoopbackServer { Answer = _ => (status, "{\"error\":\"nope\"}", status == 429 ? new Dictionary<string, string> { ["Retry-After"] = "7" } : null) };
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Url).ApplyAsync(Call("{}"), default));
        Assert.Equal((failure, transient), (e.Failure, e.IsTransient));
        Assert.Contains($"answered {status}", e.Message);
        Assert.Contains("nope", e.Message);
        if (status == 429)
            Assert.Contains("Retry-After 7 s", e.Message);
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_a_transient_failure_naming_the_address()
    {
        string url;
        using (var server = new LoopbackServer())
            url = server.Url;
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(url).ApplyAsync(Call("{}"), default));
        Assert.True(e.IsTransient);
        Assert.Contains(url.TrimEnd('/'), e.Message);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_before_anything_is_sent()
    {
        using var server = new LoopbackServer();
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Url).ApplyAsync(Call("{\"name\": Zoë}"), default));
        Assert.Equal(ConnectorFailure.SchemaViolation, e.Failure);
        Assert.Contains("json filter", e.Message);
        Assert.Empty(server.Requests);
    }
}
