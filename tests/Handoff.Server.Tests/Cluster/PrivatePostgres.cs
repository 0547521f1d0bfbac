using System.Diagnostics;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Cluster;

/// <summary>A PostgreSQL of the test's own (scripts/services/postgres.sh on a private port and folder),
/// which the test may stop and start again on the same data — the shared one must never go down.</summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _root;
    private readonly int _port;

    private PrivatePostgres(string root, int port) => (_root, _port) = (root, port);

    public string Server => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres";

    private string Data => Path.Combine(_root, "pg");

    public static async Task<PrivatePostgres> StartAsync(int port)
    {
        var pg = new PrivatePostgres(Path.Combine("/tmp", "ht-nodes-pg-" + Guid.NewGuid().ToString("N")[..8]), port);
        await pg.ScriptAsync("start");
        return pg;
    }

    private async Task ScriptAsync(string verb)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(Repository.Root, "scripts", "services", "postgres.sh"), verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["HANDOFF_PG_PORT"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["HANDOFF_TEST_ROOT"] = _root;
        await RunAsync(info, $"postgres.sh {verb}");
    }

    private static async Task RunAsync(ProcessStartInfo info, string what)
    {
        using var process = Process.Start(info)!;
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{what} failed: {string.Join("\n", await output)}");
    }

    private static string Bin()
    {
        if (File.Exists("/usr/lib/postgresql/15/bin/pg_ctl"))
            return "/usr/lib/postgresql/15/bin";
        return Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "pg_ctl")))
            .OrderBy(d => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : new Version(0, 0)).Last();
    }

    /// <summary>pg_ctl as the postgres user when the tests run as root (PostgreSQL refuses root), like the script.</summary>
    private Task PgCtlAsync(params string[] args)
    {
        var root = Environment.UserName == "root";
        var info = new ProcessStartInfo(root ? "runuser" : Path.Combine(Bin(), "pg_ctl")) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (root)
        {
            foreach (var a in new[] { "-u", "postgres", "--", Path.Combine(Bin(), "pg_ctl") })
                info.ArgumentList.Add(a);
        }
        foreach (var a in args)
            info.ArgumentList.Add(a);
        return RunAsync(info, "pg_ctl " + args[^1]);
    }

    /// <summary>Stops the server, keeping its data.</summary>
    public Task HaltAsync() => PgCtlAsync("-D", Data, "-m", "fast", "-w", "-t", "30", "stop");

    /// <summary>Starts it again on the same data, with the script's options.</summary>
    public Task ResumeAsync() => PgCtlAsync("-D", Data, "-l", Path.Combine(Data, "server.log"), "-w", "-t", "60",
        "-o", $"-c listen_addresses=127.0.0.1 -p {_port} -k {Path.Combine(_root, "pgsock")} -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        "start");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ScriptAsync("stop");
        }
        finally
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
