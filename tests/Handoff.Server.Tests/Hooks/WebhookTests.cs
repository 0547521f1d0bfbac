using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Handoff.Connectors.Webhook;
using Handoff.Data.Tests;
using Handoff.Server.Cli;
using Handoff.Server.Hooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Handoff.Server.Tests.Hooks;

/// <summary>POST /hooks/{system} end to end: signature, replay window, idempotency, 202 + status,
/// and the records through the pipeline (quarantine with JSON pointers), on both providers.</summary>
public sealed class WebhookTests
{
    private static readonly string Secret = HrisWebhookSecret.Value;

    private sealed class Host(WebApplication app, DataSpine spine) : IAsyncDisposable
    {
        public HttpClient Client { get; } = app.GetTestClient();
        public IServiceProvider Services => app.Services;
        public DataSpine Spine => spine;

        public async Task<HttpResponseMessage> PostAsync(string body, string key, long? timestamp = null, string? signature = null, string system = "hris")
        {
            var ts = timestamp ?? spine.Clock.Now.ToUnixTimeSeconds();
            var bytes = Encoding.UTF8.GetBytes(body);
            var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/{system}") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add(WebhookSignature.TimestampHeader, ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(WebhookSignature.SignatureHeader, signature ?? WebhookSignature.Sign(Secret, ts, key, bytes));
            request.Headers.Add(WebhookSignature.IdempotencyHeader, key);
            return await Client.SendAsync(request);
        }

        public WebhookDeliveryWorker NewWorker() => new(app.Services.GetRequiredService<HandoffRuntime>(), new WebhookSignal(),
            app.Services.GetRequiredService<ILogger<WebhookDeliveryWorker>>());

        /// <summary>Runs the delivery worker until the queue is empty (the hosted one is not started here).</summary>
        public async Task DrainAsync()
        {
            var worker = app.Services.GetRequiredService<WebhookDeliveryWorker>();
            while (await worker.ProcessNextAsync(default))
            {
            }
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }

    private static async Task<Host> StartAsync(string provider, ILoggerProvider? logs = null)
    {
        var spine = await DataSpine.StartAsync(provider);
        var runtime = new HandoffRuntime(spine.Database, spine.Clock, spine.Keys, spine.AuditKey);
        var app = ServeCommand.BuildApp(runtime, "http://127.0.0.1:0", b =>
        {
            b.WebHost.UseTestServer();
            if (logs is not null)
            {
                b.Logging.ClearProviders();
                b.Logging.SetMinimumLevel(LogLevel.Debug);
                b.Logging.AddProvider(logs);
            }
            // Deliveries are drained by the test itself, so each assertion sees a settled state.
            b.Services.RemoveAll<IHostedService>();
            b.Services.AddSingleton<WebhookDeliveryWorker>();
        });
        await app.StartAsync();
        return new Host(app, spine);
    }

    private const string TwoWorkers = """
        {"records": [
          {"Employee_ID": "920001", "Legal_First_Name": "Katherine", "Legal_Last_Name": "Johnson", "Work_Email": "kj@acme.example", "Employment_Begin_Date": "01/04/2027", "Worker_Type": "Regular"},
          {"Employee_ID": "920002", "Legal_First_Name": "Dorothy", "Legal_Last_Name": "Vaughan", "Employment_Begin_Date": "2027-13-01", "Worker_Type": "Regular"},
          {"Employee_ID": "920003", "Legal_First_Name": {"nested": true}, "Legal_Last_Name": "Jackson"}
        ]}
        """;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_signed_delivery_is_accepted_processed_once_and_its_bad_records_are_quarantined_by_pointer(string provider)
    {
        await using var host = await StartAsync(provider);
        var response = await host.PostAsync(TwoWorkers, "delivery-1");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        var statusUrl = accepted.GetProperty("status_url").GetString()!;
        Assert.Equal(statusUrl, response.Headers.Location!.OriginalString);

        // The same delivery again (a sender's retry) is acknowledged with the same id and not stored twice.
        var again = await host.PostAsync(TwoWorkers, "delivery-1");
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.True((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replayed").GetBoolean());
        Assert.Equal(statusUrl, again.Headers.Location!.OriginalString);

        await host.DrainAsync();
        var status = await host.Client.GetFromJsonAsync<JsonElement>(statusUrl);
        Assert.Equal("processed", status.GetProperty("status").GetString());
        Assert.Equal(1, status.GetProperty("counts").GetProperty("created").GetInt32());
        Assert.Equal(2, status.GetProperty("counts").GetProperty("rejected").GetInt32());
        var quarantined = status.GetProperty("quarantined").EnumerateArray().ToList();
        Assert.Equal("/records/1", quarantined[0].GetProperty("pointer").GetString());
        Assert.Equal("Employment_Begin_Date", quarantined[0].GetProperty("field").GetString());
        Assert.Equal("/records/2/Legal_First_Name", quarantined[1].GetProperty("pointer").GetString());

        await using var db = host.Spine.Db();
        Assert.Equal(1, await db.WebhookDeliveries.CountAsync());
        Assert.Equal(1, await db.People.CountAsync());
        var (kj, values) = await host.Spine.PersonByKeyAsync("employee_id", "920001");
        Assert.Equal("pre_hire", kj.State);
        Assert.Equal("hris", values["start_date"].System);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Two_workers_draining_together_process_each_delivery_exactly_once(string provider)
    {
        await using var host = await StartAsync(provider);
        for (var i = 0; i < 6; i++)
        {
            var body = $$"""{"Employee_ID": "93000{{i}}", "Legal_First_Name": "W{{i}}", "Legal_Last_Name": "Worker", "Employment_Begin_Date": "01/05/2026"}""";
            Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body, $"parallel-{i}")).StatusCode);
        }
        var a = host.NewWorker();
        var b = host.NewWorker();
        async Task Drain(WebhookDeliveryWorker w)
        {
            while (await w.ProcessNextAsync(default))
            {
            }
        }
        await Task.WhenAll(Drain(a), Drain(b));

        await using var db = host.Spine.Db();
        Assert.Equal(6, await db.WebhookDeliveries.CountAsync(d => d.Status == "processed"));
        Assert.Equal(6, await db.Syncs.CountAsync(s => s.Channel == "webhook"));
        Assert.Equal(6, await db.People.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Bad_signatures_stale_timestamps_and_missing_keys_are_refused_and_nothing_is_stored(string provider)
    {
        await using var host = await StartAsync(provider);
        var forged = await host.PostAsync(TwoWorkers, "d-forged", signature: WebhookSignature.Sign("not-the-secret", host.Spine.Clock.Now.ToUnixTimeSeconds(), "d-forged", Encoding.UTF8.GetBytes(TwoWorkers)));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Contains("signature does not match", await forged.Content.ReadAsStringAsync());

        var old = host.Spine.Clock.Now.AddMinutes(-6).ToUnixTimeSeconds();
        var replay = await host.PostAsync(TwoWorkers, "d-old", timestamp: old);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("replay", await replay.Content.ReadAsStringAsync());

        // A body altered after signing.
        var ts = host.Spine.Clock.Now.ToUnixTimeSeconds();
        var tampered = await host.PostAsync(TwoWorkers.Replace("Katherine", "Mallory", StringComparison.Ordinal), "d-tampered", ts, WebhookSignature.Sign(Secret, ts, "d-tampered", Encoding.UTF8.GetBytes(TwoWorkers)));
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);

        var noKey = await host.PostAsync(TwoWorkers, "");
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);

        var unknown = await host.PostAsync(TwoWorkers, "d-x", system: "nosuch");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var notEnabled = await host.PostAsync(TwoWorkers, "d-y", system: "payroll");
        Assert.Equal(HttpStatusCode.NotFound, notEnabled.StatusCode);

        await using var db = host.Spine.Db();
        Assert.Equal(0, await db.WebhookDeliveries.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_captured_delivery_resent_with_a_fresh_idempotency_key_is_refused_because_the_key_is_signed(string provider)
    {
        await using var host = await StartAsync(provider);
        const string hire = """{"Employee_ID": "960001", "Legal_First_Name": "Rita", "Legal_Last_Name": "Play", "Employment_Begin_Date": "01/05/2026", "Worker_Type": "Regular"}""";
        const string leave = """{"Employee_ID": "960001", "Legal_First_Name": "Rita", "Legal_Last_Name": "Play", "Employment_Begin_Date": "01/05/2026", "Worker_Type": "Regular", "Termination_Date": "12/31/2026"}""";
        var ts = host.Spine.Clock.Now.ToUnixTimeSeconds();
        var captured = WebhookSignature.Sign(Secret, ts, "hire-1", Encoding.UTF8.GetBytes(hire));
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(hire, "hire-1", ts, captured)).StatusCode);
        await host.DrainAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(leave, "leave-1")).StatusCode);
        await host.DrainAsync();

        // Someone who captured the first delivery sends it again, inside the five-minute window, under
        // a key never seen: the signature covers the key, so it no longer matches.
        host.Spine.Clock.Now = host.Spine.Clock.Now.AddMinutes(2);
        var replay = await host.PostAsync(hire, "hire-2", ts, captured);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("signature does not match", await replay.Content.ReadAsStringAsync());
        await host.DrainAsync();

        await using var db = host.Spine.Db();
        Assert.Equal(2, await db.WebhookDeliveries.CountAsync());
        var (_, values) = await host.Spine.PersonByKeyAsync("employee_id", "960001");
        Assert.Equal("2026-12-31", values["termination_date"].Value);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_key_seen_with_another_body_is_a_409_naming_the_key_and_the_same_body_again_is_an_idempotent_202(string provider)
    {
        await using var host = await StartAsync(provider);
        var first = await host.PostAsync(TwoWorkers, "reused-7");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var statusUrl = first.Headers.Location!.OriginalString;

        // Correctly signed, fresh, but the key already names another delivery: refused, not silently dropped.
        var other = await host.PostAsync(TwoWorkers.Replace("Katherine", "Mallory", StringComparison.Ordinal), "reused-7");
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        var problem = await other.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("idempotency key reused", problem.GetProperty("title").GetString());
        Assert.Contains("\"reused-7\"", problem.GetProperty("detail").GetString());

        var same = await host.PostAsync(TwoWorkers, "reused-7");
        Assert.Equal(HttpStatusCode.Accepted, same.StatusCode);
        Assert.True((await same.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replayed").GetBoolean());
        Assert.Equal(statusUrl, same.Headers.Location!.OriginalString);

        await host.DrainAsync();
        await using var db = host.Spine.Db();
        Assert.Equal(1, await db.WebhookDeliveries.CountAsync());
        Assert.Equal(0, await db.People.CountAsync(p => p.DisplayName.Contains("Mallory")));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_body_that_is_not_JSON_is_refused_whole_with_its_position(string provider)
    {
        await using var host = await StartAsync(provider);
        var response = await host.PostAsync("{\"records\": [ {\"Employee_ID\": \"1\",, } ]}", "d-broken");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("not valid JSON (line 1, byte", problem.GetProperty("detail").GetString());

        var scalar = await host.PostAsync("42", "d-scalar");
        Assert.Equal(HttpStatusCode.BadRequest, scalar.StatusCode);
        await using var db = host.Spine.Db();
        Assert.Equal(0, await db.WebhookDeliveries.CountAsync());
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Capture(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Capture(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception} | "
                    + string.Join("; ", (state as IEnumerable<KeyValuePair<string, object?>>)?.Select(p => $"{p.Key}={p.Value}") ?? []));
        }
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Logs_of_a_delivery_with_national_ids_and_salaries_hold_none_of_them(string provider)
    {
        var logs = new CapturedLogs();
        await using var host = await StartAsync(provider, logs);
        const string body = """
            {"records": [
              {"Employee_ID": "950001", "Legal_First_Name": "Ada", "Legal_Last_Name": "King", "Employment_Begin_Date": "01/04/2027", "National_ID": "NID-SECRET-4711", "Worker_Type": "Regular"},
              {"Employee_ID": "950002", "Legal_First_Name": "Bo", "Legal_Last_Name": "Lee", "Employment_Begin_Date": "13/45/2027", "National_ID": "NID-SECRET-4712"}
            ]}
            """;
        Assert.Equal(HttpStatusCode.Accepted, (await host.PostAsync(body, "logs-1")).StatusCode);
        await host.DrainAsync();

        var text = string.Join("\n", logs.Lines);
        Assert.Contains("/hooks/hris", text); // the capture works: the request was logged
        Assert.DoesNotContain("NID-SECRET", text);
        await using var db = host.Spine.Db();
        Assert.Equal(1, await db.People.CountAsync());
        Assert.DoesNotContain("NID-SECRET", string.Join("", await db.Quarantine.Select(q => q.Raw + q.Reason).ToListAsync()));
    }

    [Fact]
    public async Task Classified_log_parameters_are_erased_by_the_platforms_redaction()
    {
        var logs = new CapturedLogs();
        await using var host = await StartAsync(TestDatabases.Sqlite, logs);
        var logger = host.Services.GetRequiredService<ILogger<WebhookDeliveryWorker>>();
        Handoff.Server.Logging.HandoffLog.DeliveryFailed(logger, Guid.NewGuid(), "hris", "value 123-45-6789 of National_ID did not convert");

        var line = Assert.Single(logs.Lines, l => l.Contains("webhook delivery", StringComparison.Ordinal));
        Assert.Contains("for hris failed", line);
        Assert.DoesNotContain("123-45-6789", line);
        // The classified parameter went through the redactor (erased), rather than being dropped by a
        // logger that does not know redaction.
        Assert.Contains("Error=;", line + ";");
    }
}
