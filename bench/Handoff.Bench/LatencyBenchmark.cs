using System.Collections.Concurrent;
using System.Diagnostics;
using System.DirectoryServices.Protocols;
using System.Globalization;
using System.Net;
using System.Text;
using Handoff.Connectors.Webhook;

namespace Handoff.Bench;

/// <summary>
/// Issue #8's event-to-provision latency: N real <c>handoff serve</c> nodes on one fresh PostgreSQL
/// database, the Acme workspace with its directory on a real slapd and a joiner workflow that creates
/// the account; signed new-hire webhooks (<c>POST /hooks/hris</c>, HMAC) are posted at a fixed rate for
/// a fixed time, alternating between the nodes, and for each person the time from the webhook's 2xx to
/// the entry with their employeeNumber being present in slapd is measured by polling slapd (one search
/// for the outstanding employee numbers every 20 ms). Then the next, higher rate.
/// Usage: <c>bench latency [--nodes 2] [--rate 5,10,20,40] [--seconds 60] --postgres "Host=…"
/// [--slapd-root /tmp/ht-scale] [--slapd-port 3970] [--port 5420] [--results DIR]</c>.
/// </summary>
public static class LatencyBenchmark
{
    private const string BaseDn = "dc=example,dc=test";
    private const string BindDn = "cn=admin,dc=example,dc=test";
    private const string PasswordEnv = "HANDOFF_BENCH_LDAP_PASSWORD";
    private const string SecretEnv = "HANDOFF_HRIS_WEBHOOK_SECRET";

    /// <summary>The joiner of the fault suites: one directory account per pre-hire.</summary>
    private const string Joiner = """
        id: joiner
        trigger: { event: person.pre_hire }
        permissions:
          read: [employee_id, first_name, last_name]
          write: { directory: [account.create] }
        steps:
          - id: account
            uses: directory.create_account
            with: { username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}' }
        """;

    private sealed record Step(int Rate, int Seconds, int Sent, int Accepted, int Refused, int Present, TimeSpan SendTime,
        double P50, double P95, double P99, double Max, double Mean, string Load, double[] NodePeakMb, TimeSpan Drain);

    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name, string? fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        int Int(string name, string fallback) => int.Parse(Arg(name, fallback)!, CultureInfo.InvariantCulture);
        var nodes = Int("--nodes", "2");
        var rates = Arg("--rate", "5,10,20,40")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToList();
        var seconds = Int("--seconds", "60");
        var firstPort = Int("--port", "5420");
        var postgres = Arg("--postgres", Environment.GetEnvironmentVariable("HANDOFF_BENCH_POSTGRES"));
        var slapdRoot = Arg("--slapd-root", Environment.GetEnvironmentVariable("HANDOFF_TEST_ROOT") ?? "/tmp/handoff-test")!;
        var slapdPort = Int("--slapd-port", Environment.GetEnvironmentVariable("HANDOFF_SLAPD_PORT") ?? "3890");
        if (nodes is < 1 or > 8 || seconds is < 1 or > 600 || rates.Count == 0 || rates.Any(r => r is < 1 or > 1000))
        {
            Console.Error.WriteLine("--nodes 1..8, --seconds 1..600, --rate R[,R…] with 1..1000 per second");
            return 2;
        }
        var problem = await PostgresServer.CheckAsync(postgres);
        if (problem is not null)
        {
            Console.Error.WriteLine($"--postgres: PostgreSQL is not reachable: {problem}");
            return 3;
        }
        var passwordFile = Path.Combine(slapdRoot, "slapd", "password");
        if (!File.Exists(passwordFile))
        {
            Console.Error.WriteLine($"--slapd-root: no slapd at {Path.Combine(slapdRoot, "slapd")}; start one with HANDOFF_TEST_ROOT={slapdRoot} HANDOFF_SLAPD_PORT={slapdPort} scripts/services/slapd.sh start");
            return 3;
        }
        var password = (await File.ReadAllTextAsync(passwordFile)).Trim();
        var options = new BenchOptions([0], [BenchOptions.Postgres], postgres, Path.Combine(Path.GetTempPath(), "handoff-bench"),
            Arg("--results", Path.Combine(BenchOptions.RepositoryRoot(), "bench", "results"))!);
        var machine = await Machine.DescribeAsync(options);
        Console.WriteLine(machine);
        var loadStart = Load();

        // The OU of this run, made with the LDAP admin (the connector creates accounts, not OUs).
        var run = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        var ou = $"ou=latency-{run}";
        using var ldap = Connect(slapdPort, password);
        ldap.SendRequest(new AddRequest($"{ou},{BaseDn}", new DirectoryAttribute("objectClass", "organizationalUnit"), new DirectoryAttribute("ou", $"latency-{run}")));

        await using var database = await BenchDatabase.CreateAsync(BenchOptions.Postgres, options);
        var dir = Path.Combine(options.WorkDirectory, "latency-" + run);
        Directory.CreateDirectory(dir);
        string[] common = ["--db", database.Options.ConnectionString, "--keys-dir", Path.Combine(dir, "keys")];
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var env = new Dictionary<string, string> { [PasswordEnv] = password, [SecretEnv] = secret };

        async Task Handoff(params string[] verb)
        {
            var result = await HandoffChild.RunAsync(env, [.. verb, .. common], TimeSpan.FromMinutes(5));
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"handoff {string.Join(' ', verb)} exited {result.ExitCode}:\n{result.Tail}");
        }
        var workspace = ReconcileBenchmark.Workspace($"ldap://127.0.0.1:{slapdPort}", BaseDn, BindDn, PasswordEnv, ou);
        await Handoff("apply", "-f", workspace, "--as", "hector");
        await Handoff("dictionary", "approve", "1", "--as", "alice");
        await Handoff("dictionary", "approve", "1", "--as", "ivan");
        var joiner = Path.Combine(dir, "joiner.yaml");
        await File.WriteAllTextAsync(joiner, Joiner);
        await Handoff("workflow", "propose", joiner, "--as", "alice");
        await Handoff("workflow", "approve", "joiner", "--as", "hector");
        await Handoff("workflow", "approve", "joiner", "--as", "ivan");
        await Handoff("workflow", "activate", "joiner", "--as", "tara");

        var servers = new List<(HandoffChild Child, string Url)>();
        var steps = new List<Step>();
        try
        {
            for (var n = 0; n < nodes; n++)
            {
                var url = $"http://127.0.0.1:{firstPort + n}";
                servers.Add((HandoffChild.Start(env, ["serve", "--urls", url, "--node-id", $"n{n + 1}", .. common]), url));
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            foreach (var (child, url) in servers)
                await WaitReadyAsync(http, child, url, TimeSpan.FromMinutes(3));
            Console.Error.WriteLine($"{nodes} nodes ready: {string.Join(", ", servers.Select(s => s.Url))}");

            // Warm-up, not reported: the first deliveries of each node pay for JIT and connection pools.
            // Employee numbers and names unique to this run: the connector finds an earlier account by its
            // anchor anywhere under the base DN, so an employeeNumber of an earlier run would be "already there".
            var next = 0;
            Console.Error.WriteLine("== warm-up: 2/s for 10 s (not reported)");
            var warm = await RunStepAsync(http, ldap, servers, secret, ou, run, 2, 10, next);
            next += 20;
            Console.Error.WriteLine($"   warm-up: present {warm.Present} of {warm.Sent}, p50 {warm.P50:F0} ms, max {warm.Max:F0} ms");
            foreach (var rate in rates)
            {
                Console.Error.WriteLine($"== {rate}/s for {seconds} s");
                var step = await RunStepAsync(http, ldap, servers, secret, ou, run, rate, seconds, next);
                next += rate * seconds;
                steps.Add(step);
                Console.Error.WriteLine($"   sent {step.Sent}, accepted {step.Accepted}, present {step.Present}; p50 {step.P50:F0} ms, p95 {step.P95:F0} ms, p99 {step.P99:F0} ms, max {step.Max:F0} ms; load {step.Load}");
                if (step.Present < step.Accepted)
                {
                    Console.Error.WriteLine("   not every account arrived in time: stopping here");
                    break;
                }
            }
        }
        finally
        {
            foreach (var (child, _) in servers)
                await child.StopAsync();
        }

        var report = Markdown(machine, nodes, seconds, loadStart, Load(), steps);
        Console.WriteLine(report);
        Directory.CreateDirectory(options.ResultsDirectory);
        var file = Path.Combine(options.ResultsDirectory, $"latency-{DateTime.UtcNow:yyyy-MM-dd}.md");
        await File.WriteAllTextAsync(file, report);
        Console.Error.WriteLine($"written to {file}");
        return 0;
    }

    private static LdapConnection Connect(int port, string password)
    {
        var connection = new LdapConnection(new LdapDirectoryIdentifier("127.0.0.1", port), new NetworkCredential(BindDn, password), AuthType.Basic);
        connection.SessionOptions.ProtocolVersion = 3;
        connection.Timeout = TimeSpan.FromSeconds(10);
        connection.Bind();
        return connection;
    }

    private static async Task WaitReadyAsync(HttpClient http, HandoffChild child, string url, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (child.Process.HasExited)
                throw new InvalidOperationException($"node {url} stopped (exit {child.Process.ExitCode}):\n{child.Tail(40)}");
            try
            {
                using var response = await http.GetAsync(url + "/health/ready");
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"node {url}: /health/ready did not answer 200 within {limit.TotalSeconds:0} s:\n{child.Tail(40)}");
            await Task.Delay(250);
        }
    }

    /// <summary>One rate: rate × seconds webhooks, the i-th sent at start + i/rate (to node i mod N), each a
    /// new hire starting in 30 days (so the joiner's pre-hire trigger fires); every 20 ms one search for the
    /// employee numbers whose account has not been seen yet. Waits (bounded: 120 s after the last send)
    /// for every accepted person's account.</summary>
    private static async Task<Step> RunStepAsync(HttpClient http, LdapConnection ldap, List<(HandoffChild Child, string Url)> servers, string secret, string ou,
        string run, int rate, int seconds, int firstId)
    {
        var total = rate * seconds;
        var accepted = new ConcurrentDictionary<string, long>();
        var found = new ConcurrentDictionary<string, long>();
        var refused = 0;
        var clock = Stopwatch.StartNew();
        var start = DateTime.UtcNow.AddDays(30).ToString("MM/dd/yyyy", CultureInfo.InvariantCulture);
        var peaks = new double[servers.Count];
        using var stop = new CancellationTokenSource();

        var poller = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var outstanding = accepted.Keys.Where(k => !found.ContainsKey(k)).Take(300).ToList();
                if (outstanding.Count > 0)
                {
                    var filter = "(|" + string.Concat(outstanding.Select(e => $"(employeeNumber={e})")) + ")";
                    var response = (SearchResponse)ldap.SendRequest(new SearchRequest($"{ou},{BaseDn}", filter, SearchScope.OneLevel, "employeeNumber"));
                    var now = clock.ElapsedTicks;
                    foreach (SearchResultEntry entry in response.Entries)
                    {
                        foreach (var value in entry.Attributes["employeeNumber"].GetValues(typeof(string)).Cast<string>())
                            found.TryAdd(value, now);
                    }
                }
                for (var i = 0; i < servers.Count; i++)
                {
                    servers[i].Child.Sample();
                    peaks[i] = servers[i].Child.PeakMb;
                }
                await Task.Delay(20);
            }
        });

        var sends = new List<Task>(total);
        using var gate = new SemaphoreSlim(256);
        var sendStart = clock.Elapsed;
        for (var i = 0; i < total; i++)
        {
            var due = sendStart + TimeSpan.FromSeconds((double)i / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait);
            await gate.WaitAsync();
            var employee = run + (firstId + i).ToString("D6", CultureInfo.InvariantCulture);
            var url = servers[i % servers.Count].Url;
            var name = Letters(int.Parse(run, CultureInfo.InvariantCulture)) + "x" + Letters(firstId + i);
            sends.Add(Task.Run(async () =>
            {
                try
                {
                    var body = Encoding.UTF8.GetBytes($$"""{"records":[{"Employee_ID":"{{employee}}","Legal_First_Name":"Lat","Legal_Last_Name":"Lat{{name}}","Employment_Begin_Date":"{{start}}","Department":"Engineering","Worker_Type":"Regular","Time_Zone":"Europe/Berlin"}]}""");
                    var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                    using var request = new HttpRequestMessage(HttpMethod.Post, url + "/hooks/hris") { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = new("application/json");
                    request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, ts.ToString(CultureInfo.InvariantCulture));
                    request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Sign(secret, ts, $"latency-{employee}", body));
                    request.Headers.TryAddWithoutValidation(WebhookSignature.IdempotencyHeader, $"latency-{employee}");
                    using var response = await http.SendAsync(request);
                    if (response.IsSuccessStatusCode)
                        accepted.TryAdd(employee, clock.ElapsedTicks);
                    else
                    {
                        Interlocked.Increment(ref refused);
                        Console.Error.WriteLine($"   {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref refused);
                    Console.Error.WriteLine($"   {url}: {e.Message}");
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        await Task.WhenAll(sends);
        var sendTime = clock.Elapsed - sendStart;
        var drainStart = clock.Elapsed;
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(120);
        while (found.Count < accepted.Count && clock.Elapsed < deadline)
            await Task.Delay(100);
        var drain = clock.Elapsed - drainStart;
        await stop.CancelAsync();
        await poller;

        var latencies = accepted.Where(a => found.ContainsKey(a.Key))
            .Select(a => Math.Max(0, found[a.Key] - a.Value) * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        double P(double q) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        return new Step(rate, seconds, total, accepted.Count, refused, latencies.Length, sendTime, P(0.50), P(0.95), P(0.99),
            latencies.Length == 0 ? double.NaN : latencies[^1], latencies.Length == 0 ? double.NaN : latencies.Average(), Load(), peaks, drain);
    }

    /// <summary>0 → a, 25 → z, 26 → ba …: letters only, so usernames stay plain.</summary>
    private static string Letters(int n)
    {
        var s = new StringBuilder();
        do
        {
            s.Insert(0, (char)('a' + (n % 26)));
            n /= 26;
        }
        while (n > 0);
        return s.ToString();
    }

    private static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string Markdown(Machine machine, int nodes, int seconds, string loadStart, string loadEnd, IReadOnlyList<Step> steps)
    {
        var c = CultureInfo.InvariantCulture;
        var best = steps.Where(s => s.Present == s.Sent && s.P99 < 1000).Select(s => (int?)s.Rate).Max();
        var s = new StringBuilder()
            .AppendLine(c, $"# Event-to-provision latency — {nodes} nodes — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC")
            .AppendLine()
            .AppendLine(machine.ToString())
            .AppendLine(c, $"- load average (1, 5, 15 min) at the start: {loadStart}; at the end: {loadEnd} (the machine is shared with other builds)")
            .AppendLine(c, $"- `dotnet run -c Release --project bench/Handoff.Bench -- latency --nodes {nodes} --rate {string.Join(',', steps.Select(x => x.Rate))} --seconds {seconds}`; see bench/README.md")
            .AppendLine()
            .AppendLine(c, $"{nodes} real `handoff serve` processes (Release, loopback) on one PostgreSQL database; the Acme workspace with its directory")
            .AppendLine("on a real slapd (OpenLDAP, mdb) and the joiner workflow `directory.create_account` on `person.pre_hire`. Signed new-hire webhooks")
            .AppendLine("(`POST /hooks/hris`, HMAC-SHA256, one person each, start date in 30 days) at a fixed rate, alternating between the nodes;")
            .AppendLine("latency = from the webhook's 2xx to the entry with that employeeNumber being found in slapd (one search for the outstanding")
            .AppendLine("employee numbers every 20 ms, so figures include up to ~20 ms of polling). The benchmark, the nodes, PostgreSQL and slapd share the 2 cores.")
            .AppendLine()
            .AppendLine("| rate /s | seconds | sent | accepted (2xx) | accounts present | p50 ms | p95 ms | p99 ms | max ms | mean ms | load at end | node peak RSS MB |")
            .AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        foreach (var x in steps)
        {
            s.AppendLine(c, $"| {x.Rate} | {x.SendTime.TotalSeconds:F0} | {x.Sent:N0} | {x.Accepted:N0} | {x.Present:N0} | {x.P50:N0} | {x.P95:N0} | {x.P99:N0} | {x.Max:N0} | {x.Mean:N0} | {x.Load} | {string.Join(" / ", x.NodePeakMb.Select(m => m.ToString("N0", c)))} |");
        }
        s.AppendLine()
            .AppendLine(best is null
                ? "No rate kept p99 under 1 s with every account present."
                : $"Highest rate measured with p99 < 1 s and every account present: **{best}/s**.");
        return s.ToString();
    }
}
