using System.Globalization;
using System.Runtime.InteropServices;
using Npgsql;

namespace Handoff.Bench;

/// <summary>Where the figures were measured.</summary>
public sealed record Machine(DateTime Date, int Cores, string Cpu, long RamBytes, string Runtime, string TempFileSystem, string? Postgres, string? LoadAverage)
{
    public static async Task<Machine> DescribeAsync(BenchOptions options)
    {
        var cpu = ReadProc("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var mem = ReadProc("/proc/meminfo", "MemTotal");
        var ram = mem is null ? 0 : long.Parse(mem.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture) * 1024;
        string? postgres = null;
        if (options.Providers.Contains(BenchOptions.Postgres))
            postgres = await PostgresServer.DescribeAsync(options.PostgresServer!);
        var drive = new DriveInfo(options.WorkDirectory.Length > 0 ? Path.GetPathRoot(options.WorkDirectory)! : "/");
        // Other work on the machine skews every figure; the load average says how much there was.
        var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        return new Machine(DateTime.UtcNow, Environment.ProcessorCount, cpu, ram, RuntimeInformation.FrameworkDescription,
            $"{options.WorkDirectory} on {drive.DriveFormat}", postgres, load);
    }

    private static string? ReadProc(string file, string key)
    {
        if (!File.Exists(file))
            return null;
        foreach (var line in File.ReadLines(file))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
                return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        return null;
    }

    public override string ToString()
    {
        var lines = new List<string>
        {
            $"- date: {Date.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC",
            $"- machine: {Cores} cores (nproc), {Cpu}, {RamBytes / (1024.0 * 1024 * 1024):F1} GiB RAM",
            $"- runtime: {Runtime}, Release build",
            $"- load average (1, 5, 15 min) when the run started: {LoadAverage ?? "unknown"}",
            $"- SQLite files: {TempFileSystem}",
        };
        if (Postgres is not null)
            lines.Add($"- PostgreSQL: {Postgres}");
        return string.Join('\n', lines);
    }
}

public static class PostgresServer
{
    /// <summary>Null when a connection opens, else why not.</summary>
    public static async Task<string?> CheckAsync(string? server)
    {
        if (string.IsNullOrWhiteSpace(server))
            return "no connection string (--postgres or HANDOFF_BENCH_POSTGRES)";
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(server) { Timeout = 5 };
            await using var conn = new NpgsqlConnection(builder.ConnectionString);
            await conn.OpenAsync();
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or InvalidOperationException or TimeoutException)
        {
            return e.Message;
        }
    }

    public static async Task<string> DescribeAsync(string server)
    {
        await using var conn = new NpgsqlConnection(server);
        await conn.OpenAsync();
        var version = await ScalarAsync(conn, "SHOW server_version");
        var fsync = await ScalarAsync(conn, "SHOW fsync");
        var commit = await ScalarAsync(conn, "SHOW synchronous_commit");
        var builder = new NpgsqlConnectionStringBuilder(server);
        return $"{version} on {builder.Host}:{builder.Port} (fsync={fsync}, synchronous_commit={commit})";
    }

    private static async Task<string> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}
