using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Handoff.Core.Workspace;
using Handoff.Data.Security;
using Handoff.Server;
using Handoff.Server.Cli;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Handoff.Bench;

/// <summary>
/// The SCIM server over real HTTP (Kestrel on loopback, one client, requests one after the other):
/// creates per second through <c>POST /Users</c> and through <c>POST /Bulk</c> (1,000 operations per
/// request) until the hr-scim system holds N users, then the latency of filtered GETs at that size —
/// by userName and externalId (answered by an index), and by a complex value filter on the work email
/// (answered by the shared evaluator over every user). Every create goes through the whole data spine.
/// </summary>
public static class ScimBenchmark
{
    public const int SingleCreates = 1_000;
    public const int BulkSize = 1_000;

    public sealed record Line(string Provider, string Phase, string Figure, string Detail);

    public static async Task<IReadOnlyList<Line>> RunAsync(string provider, int users, BenchOptions options)
    {
        var lines = new List<Line>();
        var ct = CancellationToken.None;
        await using var database = await BenchDatabase.CreateAsync(provider, options);
        var clock = new BenchClock(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
        var loaded = WorkspaceLoader.Load(BenchOptions.SamplesWorkspace);
        if (!loaded.Succeeded)
            throw new InvalidOperationException(string.Join('\n', loaded.Errors));
        var keys = KeyMaterial.From(Handoff.Core.Security.KeyRing.Generate());
        var runtime = new HandoffRuntime(database.Options, clock, keys, new BenchAuditKey());
        var applied = await runtime.Workspace.ApplyAsync(loaded.Workspace!, BenchOptions.SamplesWorkspace, "bench", ct);
        await runtime.Workspace.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "alice", ct);
        await runtime.Workspace.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "ivan", ct);
        var token = (await runtime.Tokens.CreateAsync("hr-scim", [ApiTokens.ScimWrite], null, "bench")).Token;

        var dataProtection = Path.Combine(options.WorkDirectory, "dp-" + Guid.NewGuid().ToString("N"));
        await using var app = ServeCommand.BuildApp(runtime, "http://127.0.0.1:0", b =>
        {
            b.Configuration["Handoff:DataProtection:Path"] = dataProtection;
            b.Logging.ClearProviders();
            // The server alone: workflows would start consuming the outbox events the creates write.
            b.Services.RemoveAll<IHostedService>();
        });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/scim/v2/"), Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/scim+json");
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
            return JsonNode.Parse(text)!;
        }

        // 1. POST /Users, one after the other.
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < SingleCreates; i++)
            await SendAsync(HttpMethod.Post, "Users", User(i));
        watch.Stop();
        lines.Add(new(provider, "POST /Users", $"{SingleCreates / watch.Elapsed.TotalSeconds:N0} creates/s",
            $"{SingleCreates:N0} users in {watch.Elapsed.TotalSeconds:F1} s ({watch.Elapsed.TotalMilliseconds / SingleCreates:F1} ms each)"));
        Console.Error.WriteLine($"   {lines[^1].Phase,-28} {lines[^1].Figure}  {lines[^1].Detail}");

        // 2. POST /Bulk with 1,000 creates per request, until N users.
        watch.Restart();
        var created = 0;
        var firstBulk = TimeSpan.Zero;
        var lastBulk = TimeSpan.Zero;
        for (var next = SingleCreates; next < users; next += BulkSize)
        {
            var ops = new JsonArray();
            for (var i = next; i < Math.Min(users, next + BulkSize); i++)
                ops.Add(new JsonObject { ["method"] = "POST", ["path"] = "/Users", ["bulkId"] = $"u{i}", ["data"] = User(i) });
            var one = Stopwatch.StartNew();
            var answer = await SendAsync(HttpMethod.Post, "Bulk", new JsonObject { ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:BulkRequest"), ["Operations"] = ops });
            one.Stop();
            var failed = answer["Operations"]!.AsArray().Count(o => o!["status"]!.ToString() != "201");
            if (failed > 0)
                throw new InvalidOperationException($"{failed} bulk operations failed: {answer["Operations"]!.AsArray().First(o => o!["status"]!.ToString() != "201")!.ToJsonString()}");
            created += ops.Count;
            if (firstBulk == TimeSpan.Zero)
                firstBulk = one.Elapsed;
            lastBulk = one.Elapsed;
            if (created % 10_000 == 0)
                Console.Error.WriteLine($"   … {SingleCreates + created:N0} users, last bulk {one.Elapsed.TotalSeconds:F2} s");
        }
        watch.Stop();
        lines.Add(new(provider, $"POST /Bulk ({BulkSize:N0} ops each)", $"{created / watch.Elapsed.TotalSeconds:N0} creates/s",
            $"{created:N0} users in {watch.Elapsed.TotalSeconds:F1} s; first bulk {firstBulk.TotalSeconds:F2} s, last {lastBulk.TotalSeconds:F2} s"));
        Console.Error.WriteLine($"   {lines[^1].Phase,-28} {lines[^1].Figure}  {lines[^1].Detail}");
        lines.Add(new(provider, "database size", $"{await database.SizeMbAsync():N0} MB", $"{users:N0} SCIM users, people, source records, audit"));

        // 3. Filtered GETs at N users.
        var random = new Random(7);
        async Task LatencyAsync(string phase, int requests, Func<int, string> filter)
        {
            var times = new List<double>();
            for (var r = 0; r < requests; r++)
            {
                var n = random.Next(users);
                var one = Stopwatch.StartNew();
                var answer = await SendAsync(HttpMethod.Get, "Users?filter=" + Uri.EscapeDataString(filter(n)), null);
                one.Stop();
                if (answer["totalResults"]!.GetValue<int>() != 1)
                    throw new InvalidOperationException($"{phase}: expected one user for {filter(n)}, got {answer["totalResults"]}");
                times.Add(one.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double P(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
            lines.Add(new(provider, phase, $"p50 {P(0.5):F1} ms, p95 {P(0.95):F1} ms", $"{requests} requests at {users:N0} users, max {times[^1]:F1} ms"));
            Console.Error.WriteLine($"   {phase,-28} {lines[^1].Figure}  {lines[^1].Detail}");
        }
        await LatencyAsync("GET userName eq", 200, n => $"userName eq \"Worker.{n}@acme.example\"");
        await LatencyAsync("GET externalId eq", 200, n => $"externalId eq \"{800000 + n}\"");
        await LatencyAsync("GET emails[type eq \"work\"] (scan)", 5, n => $"emails[type eq \"work\" and value eq \"worker.{n}@acme.example\"]");

        await app.StopAsync();
        try
        {
            Directory.Delete(dataProtection, recursive: true);
        }
        catch (IOException)
        {
        }
        return lines;
    }

    private static readonly string[] Departments = ["Engineering", "Sales", "Finance", "Support", "Research", "People"];

    private static JsonObject User(int n) => new()
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:handoff:params:scim:schemas:extension:hr:2.0:User"),
        ["userName"] = $"worker.{n}@acme.example",
        ["externalId"] = (800000 + n).ToString(CultureInfo.InvariantCulture),
        ["name"] = new JsonObject { ["givenName"] = $"Given{n}", ["familyName"] = $"Family{n % 977}" },
        ["emails"] = new JsonArray(new JsonObject { ["type"] = "work", ["value"] = $"worker.{n}@acme.example", ["primary"] = true }),
        ["title"] = "Engineer",
        ["active"] = true,
        ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = new JsonObject
        {
            ["department"] = Departments[n % Departments.Length],
            ["costCenter"] = $"CC-{n % 50:D3}",
            ["manager"] = new JsonObject { ["value"] = (800000 + n / 10).ToString(CultureInfo.InvariantCulture) },
        },
        ["urn:handoff:params:scim:schemas:extension:hr:2.0:User"] = new JsonObject
        {
            ["hireDate"] = new DateOnly(2020, 1, 1).AddDays(n % 2500).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["workerType"] = n % 10 == 0 ? "contractor" : "employee",
        },
    };

    public static string Markdown(Machine machine, int users, IReadOnlyList<Line> lines)
    {
        var text = new StringBuilder();
        text.AppendLine("# SCIM server benchmark").AppendLine();
        text.AppendLine(machine.ToString()).AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- {users:N0} users of the Acme hr-scim system over HTTP on loopback (Kestrel), one client, one request at a time;");
        text.AppendLine("  every create goes through the data spine (dictionary, correlation, conflict rules, audit, outbox); workers off.");
        text.AppendLine().AppendLine("| provider | phase | figure | detail |").AppendLine("|----------|-------|--------|--------|");
        foreach (var l in lines)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {l.Provider} | {l.Phase.Replace("|", "\\|", StringComparison.Ordinal)} | {l.Figure} | {l.Detail} |");
        return text.ToString();
    }
}
