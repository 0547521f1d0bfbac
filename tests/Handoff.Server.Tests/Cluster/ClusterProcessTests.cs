using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Handoff.Data;
using Handoff.Data.Tests;
using Handoff.Server.Tests.Cli;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit.Abstractions;

namespace Handoff.Server.Tests.Cluster;

/// <summary>
/// Several real <c>handoff serve</c> processes on one real PostgreSQL (a database per test), against the
/// sandbox directory and service desk: the work of a wave is shared, nothing runs twice, a node killed
/// (SIGKILL) or frozen (SIGSTOP) past its lease loses its runs to the others and cannot commit after
/// the takeover, scheduled jobs fire once across the cluster, SQLite refuses a second node, readiness
/// follows the database, and /metrics counts the runs. Ports 5310–5329 (loopback only); every wait is bounded.
/// </summary>
/// <remarks>Here and not in a new test project: the tests reuse <see cref="HandoffProcess"/> (the built
/// <c>handoff.dll</c> beside this assembly) and <see cref="TestDatabases"/>, as the other process tests do.</remarks>
public sealed partial class ClusterProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan WaveLimit = TimeSpan.FromSeconds(300);

    /// <summary>The wave's size; HANDOFF_CLUSTER_WAVE changes it (e.g. 1000 for a longer run).</summary>
    private static int Wave => int.TryParse(Environment.GetEnvironmentVariable("HANDOFF_CLUSTER_WAVE"), out var n) && n > 0 ? n : 300;

    private sealed record Census(int People, int Accounts, int Tickets, int Links, Dictionary<string, int> Runs, int DoubleSteps, Dictionary<string, int> StepsByNode);

    private static async Task<Census> CensusAsync(DatabaseOptions db)
    {
        await using var ctx = db.CreateContext();
        var runs = await ctx.Runs.GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
        var doubles = await ctx.RunSteps.GroupBy(s => new { s.RunId, s.StepId }).CountAsync(g => g.Count() > 1);
        var byNode = await ctx.RunSteps.GroupBy(s => s.Node ?? "").Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
        return new Census(await ctx.People.CountAsync(), await ctx.SandboxObjects.CountAsync(o => o.SystemId == "directory"),
            await ctx.SandboxObjects.CountAsync(o => o.SystemId == "servicedesk"), await ctx.AccountLinks.CountAsync(l => l.System == "directory"),
            runs, doubles, byNode);
    }

    private async Task<Census> WaitForAllRunsAsync(DatabaseOptions db, int count, IEnumerable<ServeNode> nodes)
    {
        var deadline = DateTime.UtcNow + WaveLimit;
        while (true)
        {
            var census = await CensusAsync(db);
            if (census.Runs.GetValueOrDefault("completed") == count)
                return census;
            foreach (var n in nodes)
                Assert.False(n.Process.HasExited, $"node {n.Id} stopped:\n{n.Output}");
            Assert.True(DateTime.UtcNow < deadline, $"the wave did not complete within {WaveLimit.TotalSeconds:0} s: {string.Join(", ", census.Runs.Select(r => $"{r.Key} {r.Value}"))}");
            await Task.Delay(500);
        }
    }

    private void Print(string what, Census c, TimeSpan took) =>
        output.WriteLine($"{what}: {c.People} people, {c.Accounts} accounts, {c.Tickets} tickets, runs {string.Join(", ", c.Runs.Select(r => $"{r.Key} {r.Value}"))}, " +
            $"steps by node {string.Join(", ", c.StepsByNode.OrderBy(n => n.Key).Select(n => $"{n.Key} {n.Value}"))}, double steps {c.DoubleSteps}, in {took.TotalSeconds:0.0} s");

    [Fact]
    public async Task A_wave_is_shared_by_three_nodes_no_step_runs_twice_and_metrics_count_it()
    {
        var db = await TestDatabases.CreateAsync(TestDatabases.Postgres);
        var install = await ClusterInstall.CreateAsync(db, ClusterInstall.Joiner);
        var token = Regex.Match(await install.RunAsync("tokens", "create", "--system", "hris", "--scope", "api:it_admin", "--as", "tara", "--name", "prometheus"), @"hoff_\w+").Value;
        Assert.NotEmpty(token);
        await using var n1 = new ServeNode("w1", 5310, install.Common);
        await using var n2 = new ServeNode("w2", 5311, install.Common);
        await using var n3 = new ServeNode("w3", 5312, install.Common);
        ServeNode[] nodes = [n1, n2, n3];
        foreach (var n in nodes)
            await n.WaitForAsync("/health/ready", Ready);

        var started = Stopwatch.StartNew();
        await install.SyncWaveAsync(Wave);
        var census = await WaitForAllRunsAsync(db, Wave, nodes);
        Print("wave on 3 nodes", census, started.Elapsed);

        Assert.Equal((Wave, Wave, Wave, Wave), (census.People, census.Accounts, census.Tickets, census.Links));
        Assert.Equal(0, census.DoubleSteps);
        Assert.Equal(2 * Wave, census.StepsByNode.Values.Sum());
        foreach (var n in nodes)
            Assert.True(census.StepsByNode.GetValueOrDefault(n.Id) > 0, $"node {n.Id} executed no step: {string.Join(", ", census.StepsByNode)}");

        // Every node registered its heartbeat; `handoff nodes` lists them as live.
        var listed = await install.RunAsync("nodes");
        foreach (var n in nodes)
            Assert.Matches($@"{n.Id}\s.*live", listed);

        // /metrics: Prometheus text for it_admin (an API token), refused without it.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using (var anonymous = await http.GetAsync(n1.Url + "/metrics"))
        {
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized
                || (anonymous.StatusCode == HttpStatusCode.Redirect && anonymous.Headers.Location!.ToString().Contains("/Account/Login", StringComparison.Ordinal)),
                $"anonymous /metrics: {(int)anonymous.StatusCode}");
        }
        var counted = 0.0;
        foreach (var n in nodes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, n.Url + "/metrics");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{n.Id} /metrics: {(int)response.StatusCode} {text}");
            Assert.Contains("handoff_step_duration_seconds_bucket", text);
            Assert.Contains("handoff_queue_runs", text);
            counted += Sum(text, "handoff_runs_completed_total");
        }
        // The nodes' counters add up to the wave: each run completed on exactly one node.
        Assert.Equal(Wave, counted);
    }

    private static double Sum(string prometheus, string metric) =>
        prometheus.Split('\n').Where(l => l.StartsWith(metric, StringComparison.Ordinal) && (l.Length == metric.Length || l[metric.Length] is ' ' or '{'))
            .Sum(l => double.Parse(l.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_killed_node_and_a_frozen_node_lose_their_runs_to_the_others_and_nothing_is_doubled()
    {
        var count = Math.Max(60, Wave / 2);
        var db = await TestDatabases.CreateAsync(TestDatabases.Postgres);
        var install = await ClusterInstall.CreateAsync(db, ClusterInstall.Joiner);
        var lease = new Dictionary<string, string> { ["HANDOFF_RUN_LEASE"] = "8s" };
        // The victim hangs right after the external write of its first ticket, its commit never made:
        // it is killed there, holding that run and the batch it claimed.
        var victimEnv = new Dictionary<string, string>(lease) { ["HANDOFF_TEST_PAUSE_AFTER_WRITE"] = "laptop" };
        await using var survivor = new ServeNode("k1", 5313, install.Common, lease);
        await using var victim = new ServeNode("k2", 5314, install.Common, victimEnv);
        await using var frozen = new ServeNode("k3", 5315, install.Common, lease);
        foreach (var n in new[] { survivor, victim, frozen })
            await n.WaitForAsync("/health/ready", Ready);

        var started = Stopwatch.StartNew();
        await install.SyncWaveAsync(count);
        var deadline = DateTime.UtcNow + WaveLimit;
        while (victim.Count("paused after the write of step laptop") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the victim never reached the write of a ticket:\n" + victim.Output);
            await Task.Delay(200);
        }
        List<Guid> held;
        await using (var ctx = db.CreateContext())
            held = await ctx.Runs.Where(r => r.LeaseOwner == "k2" && r.Status == "running").Select(r => r.Id).ToListAsync();
        await victim.KillAsync();
        Assert.NotEmpty(held);

        // Freeze the third node mid-wave past its lease, let the survivor take its runs, then thaw it:
        // whatever it was doing must not commit.
        List<Guid> frozenHeld = [];
        if ((await CensusAsync(db)).Runs.GetValueOrDefault("completed") < count)
        {
            Signal("STOP", frozen.Process.Id);
            await using (var ctx = db.CreateContext())
                frozenHeld = await ctx.Runs.Where(r => r.LeaseOwner == "k3" && r.Status == "running").Select(r => r.Id).ToListAsync();
            await Task.Delay(TimeSpan.FromSeconds(15));
            Signal("CONT", frozen.Process.Id);
        }

        var census = await WaitForAllRunsAsync(db, count, [survivor, frozen]);
        Print($"wave of {count}, k2 killed holding {held.Count} runs, k3 frozen 15 s holding {frozenHeld.Count}", census, started.Elapsed);
        Assert.Equal((count, count, count, count), (census.People, census.Accounts, census.Tickets, census.Links));
        Assert.Equal(0, census.DoubleSteps);
        Assert.Equal(2 * count, census.StepsByNode.Values.Sum());
        Assert.True(census.StepsByNode.GetValueOrDefault("k2") > 0, "the victim committed no step before it died");
        await using (var ctx = db.CreateContext())
        {
            // The dead node's runs finished elsewhere: their last step was committed by another node.
            var lastByNode = await ctx.RunSteps.Where(s => held.Contains(s.RunId) && s.StepId == "laptop").Select(s => s.Node).ToListAsync();
            Assert.Equal(held.Count, lastByNode.Count);
            Assert.DoesNotContain("k2", lastByNode);
            // The ticket written by the victim before it died was recognised, not created twice.
            var audit = string.Join("\n", await ctx.AuditEntries.Where(a => a.Action == "ticketing.create_ticket").Select(a => a.FieldsJson).ToListAsync());
            Assert.Contains("already_applied", audit);
        }
        var verify = await install.RunAsync("audit", "verify");
        Assert.Contains("intact", verify, StringComparison.OrdinalIgnoreCase);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(10_000);
        Assert.Equal(0, kill.ExitCode);
    }

    [Fact]
    public async Task A_scheduled_job_fires_once_across_three_nodes_and_moves_when_its_holder_dies()
    {
        var db = await TestDatabases.CreateAsync(TestDatabases.Postgres);
        var install = await ClusterInstall.CreateAsync(db, workflow: null);
        var env = new Dictionary<string, string> { ["HANDOFF_SCHEDULE_INTERVAL"] = "2s", ["HANDOFF_JOB_LEASE"] = "6s" };
        const string ran = "job schedule ran on node";
        await using var a = new ServeNode("s1", 5316, install.Common, env);
        await using var b = new ServeNode("s2", 5317, install.Common, env);
        await using var c = new ServeNode("s3", 5318, install.Common, env);
        ServeNode[] nodes = [a, b, c];
        foreach (var n in nodes)
            await n.WaitForAsync("/health/ready", Ready);

        var before = nodes.Sum(n => n.Count(ran));
        var window = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(20));
        var fired = nodes.Sum(n => n.Count(ran)) - before;
        var slots = window.Elapsed.TotalSeconds / 2;
        output.WriteLine($"schedule job (every 2 s) on 3 nodes: fired {fired} times in {window.Elapsed.TotalSeconds:0.0} s; by node {string.Join(", ", nodes.Select(n => $"{n.Id} {n.Count(ran)}"))}");
        // Once per interval across the cluster: at most one per 2-second slot (+1 for the edges), never
        // the ~3 per slot three unguarded nodes would make — and it does fire.
        Assert.InRange(fired, 3, (int)slots + 2);

        string holder;
        long token;
        await using (var ctx = db.CreateContext())
        {
            var row = await ctx.JobLeases.SingleAsync(l => l.Name == "schedule");
            (holder, token) = (row.Holder, row.FencingToken);
        }
        var dead = nodes.Single(n => n.Id == holder);
        await dead.KillAsync();
        var others = nodes.Where(n => n != dead).ToList();
        var firedBefore = others.Sum(n => n.Count(ran));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            await using var ctx = db.CreateContext();
            var row = await ctx.JobLeases.AsNoTracking().SingleAsync(l => l.Name == "schedule");
            if (row.Holder != holder && others.Sum(n => n.Count(ran)) > firedBefore)
            {
                Assert.True(row.FencingToken > token, $"the takeover did not increment the fencing token ({token} → {row.FencingToken})");
                output.WriteLine($"lease taken over by {row.Holder} (token {token} → {row.FencingToken})");
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, $"no node took over the schedule lease of dead {holder} within 60 s");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task A_second_serve_on_one_sqlite_file_is_refused_naming_the_file_and_the_other_node()
    {
        var dir = Path.Combine(Path.GetTempPath(), "handoff-cluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "handoff.db");
        string[] common = ["--db", file, "--keys-dir", Path.Combine(dir, "keys")];
        await using (var first = new ServeNode("lite1", 5319, common))
        {
            await first.WaitForAsync("/health/live", Ready);
            var options = DatabaseOptions.ForSqliteFile(file);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                await using var ctx = options.CreateContext();
                if (await ctx.Nodes.AnyAsync(n => n.Id == "lite1"))
                    break;
                Assert.True(DateTime.UtcNow < deadline, "the first node wrote no heartbeat within 60 s");
                await Task.Delay(250);
            }

            var (exit, refused) = await HandoffProcess.RunAsync(["serve", "--urls", "http://127.0.0.1:5320", "--node-id", "lite2", .. common]);
            output.WriteLine(refused);
            Assert.NotEqual(0, exit);
            Assert.Contains(file, refused);
            Assert.Contains("lite1", refused);
            Assert.Contains($"pid {first.Process.Id}", refused);
            Assert.Contains("PostgreSQL", refused);
            Assert.False(first.Process.HasExited, "the refused second node must not disturb the first");
            await first.KillAsync();
        }

        // The lock died with the killed process: a new node starts on the same file.
        await using var again = new ServeNode("lite3", 5320, common);
        await again.WaitForAsync("/health/live", Ready);
    }

    [Fact]
    public async Task Readiness_turns_503_naming_the_database_while_postgresql_is_down_and_recovers()
    {
        await using var pg = await PrivatePostgres.StartAsync(5329);
        var name = $"t_{Guid.NewGuid():N}";
        await using (var conn = new NpgsqlConnection(pg.Server))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var db = new DatabaseOptions(DatabaseProvider.Postgres, new NpgsqlConnectionStringBuilder(pg.Server) { Database = name }.ConnectionString);
        await db.MigrateAsync();
        var install = await ClusterInstall.CreateAsync(db, workflow: null);
        await using var node = new ServeNode("r1", 5321, install.Common);
        await node.WaitForAsync("/health/ready", Ready);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using (var ready = JsonDocument.Parse(await http.GetStringAsync(node.Url + "/health/ready")))
        {
            Assert.Equal("ready", ready.RootElement.GetProperty("status").GetString());
            Assert.Equal("r1", ready.RootElement.GetProperty("node").GetString());
        }

        await pg.HaltAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using var response = await http.GetAsync(node.Url + "/health/ready");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                var body = await response.Content.ReadAsStringAsync();
                output.WriteLine("while PostgreSQL is down: " + body);
                using var json = JsonDocument.Parse(body);
                Assert.Equal("unready", json.RootElement.GetProperty("status").GetString());
                Assert.Equal("r1", json.RootElement.GetProperty("node").GetString());
                Assert.Contains("database", json.RootElement.GetProperty("failed").EnumerateArray().Select(f => f.GetString()));
                Assert.StartsWith("unreachable", json.RootElement.GetProperty("checks").GetProperty("database").GetString());
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, $"/health/ready still answered {(int)response.StatusCode} 60 s after PostgreSQL stopped");
            await Task.Delay(250);
        }
        using (var live = await http.GetAsync(node.Url + "/health/live"))
            Assert.Equal(HttpStatusCode.OK, live.StatusCode); // the process is up, only not ready

        await pg.ResumeAsync();
        await node.WaitForAsync("/health/ready", TimeSpan.FromSeconds(60));
    }
}
