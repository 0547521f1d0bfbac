using System.Diagnostics;
using System.Globalization;
using System.Text;
using Handoff.Data;
using Handoff.Data.Tests;
using Handoff.Server.Tests.Cli;

namespace Handoff.Server.Tests.Cluster;

/// <summary>A database prepared through the CLI (workspace applied and signed, optionally a workflow
/// active) for real <c>handoff serve</c> nodes. No <c>--today</c>: every node must share the real
/// clock, since leases compare times written by different processes.</summary>
internal sealed class ClusterInstall(DatabaseOptions options, string dir)
{
    public DatabaseOptions Options { get; } = options;
    public string Db => Options.ConnectionString;
    public string Dir { get; } = dir;
    public string[] Common => ["--db", Db, "--keys-dir", Path.Combine(Dir, "keys")];

    public async Task<string> RunAsync(params string[] args)
    {
        var (exit, output) = await HandoffProcess.RunAsync([.. args, .. Common]);
        Assert.True(exit == 0, $"handoff {string.Join(' ', args)} failed:\n{output}");
        return output;
    }

    public const string Joiner = """
        id: joiner
        trigger: { event: person.pre_hire }
        permissions:
          read: [employee_id, first_name, last_name]
          write: { directory: [account.create], servicedesk: [ticket.create] }
        steps:
          - id: account
            uses: directory.create_account
            with: { username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}' }
          - id: laptop
            uses: ticketing.create_ticket
            with: { title: 'Laptop for {{ first_name }}' }
        """;

    public static async Task<ClusterInstall> CreateAsync(DatabaseOptions options, string? workflow)
    {
        var dir = Path.Combine(Path.GetTempPath(), "handoff-cluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var install = new ClusterInstall(options, dir);
        await install.RunAsync("apply", "-f", Repository.AcmeWorkspace, "--as", "hector");
        await install.RunAsync("dictionary", "approve", "1", "--as", "alice");
        await install.RunAsync("dictionary", "approve", "1", "--as", "ivan");
        if (workflow is not null)
        {
            var file = Path.Combine(dir, "workflow.yaml");
            await File.WriteAllTextAsync(file, workflow);
            await install.RunAsync("workflow", "propose", file, "--as", "alice");
            await install.RunAsync("workflow", "approve", "joiner", "--as", "hector");
            await install.RunAsync("workflow", "approve", "joiner", "--as", "ivan");
            await install.RunAsync("workflow", "activate", "joiner", "--as", "tara");
        }
        return install;
    }

    /// <summary>Syncs <paramref name="count"/> new hires (employee ids 700000…), starting in 30 days.</summary>
    public async Task SyncWaveAsync(int count)
    {
        var start = DateTime.UtcNow.AddDays(30).ToString("MM/dd/yyyy", CultureInfo.InvariantCulture);
        var csv = new StringBuilder("Employee_ID,Legal_First_Name,Legal_Last_Name,Employment_Begin_Date,Department,Worker_Type,Time_Zone\n");
        for (var i = 0; i < count; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{700000 + i},Ann{Letters(i)},Lee{Letters(i / 7)},{start},Engineering,Regular,Europe/Berlin\n");
        var file = Path.Combine(Dir, $"wave-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, csv.ToString());
        await RunAsync("sync", "hris", "--file", file);
    }

    /// <summary>0 → a, 25 → z, 26 → ba …: names without digits, so usernames stay plain letters.</summary>
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
}

/// <summary>One real <c>handoff serve</c> process on a loopback port, its output captured for the test.</summary>
internal sealed class ServeNode : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Task _drain;

    public ServeNode(string id, int port, string[] common, IReadOnlyDictionary<string, string>? environment = null)
    {
        Id = id;
        Port = port;
        Process = HandoffProcess.StartWith(null, environment, ["serve", "--urls", Url, "--node-id", id, .. common]);
        _drain = Task.WhenAll(Drain(Process.StandardOutput), Drain(Process.StandardError));
    }

    public string Id { get; }
    public int Port { get; }
    public Process Process { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    private async Task Drain(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
                _output.AppendLine(line);
        }
    }

    /// <summary>Waits (bounded) until <paramref name="path"/> answers 200; fails with the node's output otherwise.</summary>
    public async Task WaitForAsync(string path, TimeSpan limit)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (Process.HasExited)
                Assert.Fail($"node {Id} stopped (exit {Process.ExitCode}):\n{Output}");
            try
            {
                using var response = await http.GetAsync(Url + path);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, $"node {Id}: {path} did not answer 200 within {limit.TotalSeconds:0} s:\n{Output}");
            await Task.Delay(250);
        }
    }

    public int Count(string text)
    {
        var output = Output;
        var n = 0;
        for (var i = output.IndexOf(text, StringComparison.Ordinal); i >= 0; i = output.IndexOf(text, i + text.Length, StringComparison.Ordinal))
            n++;
        return n;
    }

    /// <summary>SIGKILL: no shutdown hook runs, its leases stay until they run out.</summary>
    public async Task KillAsync()
    {
        if (!Process.HasExited)
            Process.Kill(entireProcessTree: true);
        await Process.WaitForExitAsync();
        await _drain.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            Process.Dispose();
        }
    }
}
