using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Handoff.Data.Tests.Security;

/// <summary>After the Acme data went in — national ids in the HRIS, salaries in payroll, a quarantined
/// row, a held record — the database holds none of those values in clear: not the SQLite file (and its
/// write-ahead log), not a pg_dump.</summary>
public sealed class NoCleartextAtRestTests
{
    // National ids from workers.csv (incl. the quarantined rows 18 and 26) and salaries from payroll.csv,
    // as they would appear in stored JSON.
    private static readonly string[] Secrets =
        ["501-11-1037", "502-12-1074", "40000524M", "1234531W", "\"310000", "\"245000", "\"238000"];

    private static async Task<DataSpine> IngestAsync(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncCsvAsync("ats");
        await spine.SyncCsvAsync("hris");
        await spine.SyncCsvAsync("payroll");
        return spine;
    }

    [Fact]
    public async Task The_SQLite_file_holds_no_national_id_or_salary_in_clear()
    {
        var spine = await IngestAsync(TestDatabases.Sqlite);
        var (_, values) = await spine.PersonByKeyAsync("employee_id", "100101");
        Assert.Equal("501-11-1037", values["national_id"].Value); // readable through Handoff
        Assert.Equal("310000", values["salary"].Value);

        var path = new SqliteConnectionStringBuilder(spine.Database.ConnectionString).DataSource;
        SqliteConnection.ClearAllPools();
        var bytes = new List<byte>(await File.ReadAllBytesAsync(path));
        if (File.Exists(path + "-wal"))
            bytes.AddRange(await File.ReadAllBytesAsync(path + "-wal"));
        var content = Encoding.UTF8.GetString(bytes.ToArray());
        Assert.Contains("Zoë", content); // personal, not sensitive: readable — the check below is not vacuous
        foreach (var secret in Secrets)
            Assert.DoesNotContain(secret, content);
    }

    [Fact]
    public async Task A_pg_dump_holds_no_national_id_or_salary_in_clear()
    {
        var spine = await IngestAsync(TestDatabases.Postgres);
        var cs = new NpgsqlConnectionStringBuilder(spine.Database.ConnectionString);
        // The server's own pg_dump (same version), else the one on PATH.
        var pgDump = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pg_dump")).Where(File.Exists).OrderDescending().FirstOrDefault() ?? "pg_dump"
            : "pg_dump";
        var info = new ProcessStartInfo(pgDump) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-h", cs.Host!, "-p", cs.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", cs.Username!, "--no-owner", cs.Database! })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var dump = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, errors);
        Assert.Contains("O'Brien-Núñez", dump);
        foreach (var secret in Secrets)
            Assert.DoesNotContain(secret, dump);
    }
}
