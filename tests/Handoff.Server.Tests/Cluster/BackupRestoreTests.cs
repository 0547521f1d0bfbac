using System.Diagnostics;
using Handoff.Data;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Handoff.Server.Tests.Cluster;

/// <summary>The backup procedure of docs/deployment.md: pg_dump a live database, pg_restore it into a
/// new one, and `handoff audit verify` passes on the restore with the same people, runs and chain.</summary>
public sealed class BackupRestoreTests
{
    [Fact]
    public async Task A_pg_dump_restored_into_a_new_database_verifies()
    {
        var db = await TestDatabases.CreateAsync(TestDatabases.Postgres);
        var install = await ClusterInstall.CreateAsync(db, ClusterInstall.Joiner);
        await install.SyncWaveAsync(20);
        await install.RunAsync("tick");

        var source = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var dump = Path.Combine(install.Dir, "handoff.dump");
        await ToolAsync("pg_dump", "--format=custom", "--file", dump, "-h", source.Host!, "-p", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", source.Username!, source.Database!);
        Assert.True(new FileInfo(dump).Length > 0);

        var restoredName = $"t_{Guid.NewGuid():N}";
        await using (var conn = new NpgsqlConnection(TestDatabases.PostgresServer))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {restoredName}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        await ToolAsync("pg_restore", "--no-owner", "-h", source.Host!, "-p", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", source.Username!, "--dbname", restoredName, dump);
        var restored = new DatabaseOptions(DatabaseProvider.Postgres, new NpgsqlConnectionStringBuilder(db.ConnectionString) { Database = restoredName }.ConnectionString);

        var (exit, verify) = await Cli.HandoffProcess.RunAsync(["audit", "verify", "--db", restored.ConnectionString, "--keys-dir", Path.Combine(install.Dir, "keys")]);
        Assert.True(exit == 0, verify);
        Assert.Contains("intact", verify, StringComparison.OrdinalIgnoreCase);

        await using var original = db.CreateContext();
        await using var copy = restored.CreateContext();
        Assert.Equal(20, await copy.People.CountAsync());
        Assert.Equal(await original.Runs.CountAsync(r => r.Status == "completed"), await copy.Runs.CountAsync(r => r.Status == "completed"));
        Assert.Equal(await original.AuditEntries.CountAsync(), await copy.AuditEntries.CountAsync());
        Assert.True(await copy.AuditEntries.CountAsync() > 20);
    }

    private static async Task ToolAsync(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{tool} failed: {string.Join("\n", await output)}");
    }
}
