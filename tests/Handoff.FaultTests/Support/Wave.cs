using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Handoff.Data;
using Handoff.Data.Tests;
using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.FaultTests.Support;

/// <summary>
/// An installation for an onboarding wave, built only through the <c>handoff</c> CLI: a PostgreSQL
/// database, the Acme workspace with its directory switched to <c>connector: ldap</c> (a people OU of
/// this wave's own), a joiner workflow that creates one account per pre-hire, and N new hires synced
/// from a CSV file. <c>handoff serve</c> then turns the pre-hire events into runs and executes them.
/// </summary>
public sealed partial class Wave
{
    public const string Joiner = """
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

    private Wave(string db, string dir, string peopleOu, Slapd slapd, Dictionary<string, string> env, int people, int firstId)
    {
        Db = db;
        Dir = dir;
        PeopleOu = peopleOu;
        Slapd = slapd;
        Env = env;
        People = people;
        FirstId = firstId;
    }

    public string Db { get; }
    public string Dir { get; }

    /// <summary>This wave's people OU, relative to the base DN.</summary>
    public string PeopleOu { get; }
    public Slapd Slapd { get; }

    /// <summary>The environment of every handoff process: the LDAP password and a short run lease (so a
    /// killed node's runs are taken over after seconds, not the default 5 minutes).</summary>
    public Dictionary<string, string> Env { get; }
    public int People { get; }
    public int FirstId { get; }

    public string[] Common => ["--db", Db, "--keys-dir", Path.Combine(Dir, "keys")];

    public IEnumerable<string> EmployeeIds => Enumerable.Range(FirstId, People).Select(i => i.ToString(CultureInfo.InvariantCulture));

    public async Task<string> RunAsync(params string[] args)
    {
        var (exit, output) = await Handoff.RunAsync(Env, [.. args, .. Common]);
        Assert.True(exit == 0, $"handoff {string.Join(' ', args)} exited {exit}:\n{output}");
        return output;
    }

    public ServeNode Serve(int port) => new(Env, ["--urls", $"http://127.0.0.1:{port}", .. Common]);

    /// <summary>Installs everything; the N people are written to a CSV file but not synced yet
    /// (<see cref="SyncAsync"/>), so a suite decides whether the node runs during the sync.</summary>
    public static async Task<Wave> InstallAsync(string name, Slapd slapd, int people, string? postgresServer = null)
    {
        var db = await CreatePostgresAsync(postgresServer ?? TestDatabases.PostgresServer);
        var dir = Path.Combine(Path.GetTempPath(), $"handoff-fault-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var peopleOu = $"ou=people-{name}-{Guid.NewGuid().ToString("N")[..6]},ou=Handoff Tests";
        var env = new Dictionary<string, string>
        {
            ["HANDOFF_FAULT_LDAP_PASSWORD"] = slapd.Password,
            ["HANDOFF_RUN_LEASE"] = "10s",
        };
        var wave = new Wave(db, dir, peopleOu, slapd, env, people, 500_000 + Random.Shared.Next(0, 400) * 1000);
        var workspace = wave.CopyAcmeWithLdapDirectory();
        await wave.RunAsync("apply", "-f", workspace, "--as", "hector");
        await wave.RunAsync("dictionary", "approve", "1", "--as", "alice");
        await wave.RunAsync("dictionary", "approve", "1", "--as", "ivan");
        var file = Path.Combine(dir, "joiner.yaml");
        await File.WriteAllTextAsync(file, Joiner);
        await wave.RunAsync("workflow", "propose", file, "--as", "alice");
        await wave.RunAsync("workflow", "approve", "joiner", "--as", "hector");
        await wave.RunAsync("workflow", "approve", "joiner", "--as", "ivan");
        await wave.RunAsync("workflow", "activate", "joiner", "--as", "tara");
        var csv = new StringBuilder("Employee_ID,Legal_First_Name,Legal_Last_Name,Employment_Begin_Date,Department,Worker_Type,Time_Zone\n");
        foreach (var id in wave.EmployeeIds)
            csv.Append(CultureInfo.InvariantCulture, $"{id},Wave,W{id},03/01/2027,Engineering,Regular,Europe/Berlin\n");
        await File.WriteAllTextAsync(wave.CsvFile, csv.ToString());
        return wave;
    }

    public string CsvFile => Path.Combine(Dir, "workers.csv");

    public Task<string> SyncAsync() => RunAsync("sync", "hris", "--file", CsvFile);

    private static async Task<string> CreatePostgresAsync(string server)
    {
        var name = $"fault_{Guid.NewGuid():N}";
        await using (var conn = new Npgsql.NpgsqlConnection(server))
        {
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public DatabaseOptions Options => new(DatabaseProvider.Postgres, Db);

    /// <summary>Runs by status (one query; a database that is down gives null).</summary>
    public async Task<Dictionary<string, int>?> RunsByStatusAsync()
    {
        try
        {
            await using var ctx = Options.CreateContext();
            return await ctx.Runs.GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return null;
        }
    }

    public static bool AllFinal(Dictionary<string, int>? runs, int expected) =>
        runs is not null && runs.Values.Sum() == expected && runs.Where(r => !RunStatus.Final.Contains(r.Key)).Sum(r => r.Value) == 0;

    public static string Format(Dictionary<string, int>? runs) =>
        runs is null ? "(database unreachable)" : runs.Count == 0 ? "none" : string.Join(", ", runs.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"));

    /// <summary>The asserts every wave ends with: one account per person in slapd, every run completed,
    /// the audit chain intact and the audit complete.</summary>
    public async Task AssertCompleteAsync(Report report)
    {
        var accounts = Slapd.AccountsByEmployeeNumber(PeopleOu);
        var missing = EmployeeIds.Where(id => !accounts.ContainsKey(id)).ToList();
        var doubled = accounts.Where(a => a.Value > 1).Select(a => a.Key).ToList();
        var runs = await RunsByStatusAsync();
        report.Line($"people {People}, accounts in slapd {accounts.Values.Sum()} ({accounts.Count} distinct employeeNumber), missing {missing.Count}, doubled {doubled.Count}; runs: {Format(runs)}");
        Assert.True(missing.Count == 0, $"{missing.Count} people have no account, e.g. {string.Join(", ", missing.Take(5))}");
        Assert.True(doubled.Count == 0, $"{doubled.Count} people have more than one account, e.g. {string.Join(", ", doubled.Take(5))}");
        Assert.Equal(People, accounts.Count);
        Assert.Equal(new Dictionary<string, int> { [RunStatus.Completed] = People }, runs);

        var (verifyExit, verify) = await Handoff.RunAsync(Env, ["audit", "verify", .. Common]);
        report.Line("audit verify: exit " + verifyExit + ": " + verify.Trim().Split('\n').LastOrDefault());
        Assert.True(verifyExit == 0, verify);
        var (completeExit, complete) = await Handoff.RunAsync(Env, ["audit", "completeness", .. Common]);
        var line = complete.Split('\n').FirstOrDefault(l => l.Contains("audit completeness", StringComparison.Ordinal)) ?? complete;
        report.Line(line.Trim());
        Assert.True(completeExit == 0, complete);
        Assert.Contains("audit completeness: 100 %", complete, StringComparison.Ordinal);
    }

    /// <summary>samples/acme with its directory pointed at the slapd (the rest unchanged).</summary>
    private string CopyAcmeWithLdapDirectory()
    {
        var target = Path.Combine(Dir, "workspace");
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        var systems = Path.Combine(target, "systems.yaml");
        var ldap = $"""
              - id: directory
                name: OpenLDAP (fault suite)
                kind: directory
                connector: ldap
                owner: it
                config:
                  url: {Slapd.Url}
                  base_dn: {Slapd.BaseDn}
                  bind_dn: {Slapd.BindDn}
                  password_env: HANDOFF_FAULT_LDAP_PASSWORD
                  dialect: openldap
                  people_ou: '{PeopleOu}'
                  group_ou: '{PeopleOu.Replace("ou=people-", "ou=groups-", StringComparison.Ordinal)}'
                  timeout_seconds: "5"

            """;
        var text = DirectoryBlock().Replace(File.ReadAllText(systems), ldap.Replace("\r\n", "\n", StringComparison.Ordinal), 1);
        Assert.Contains("connector: ldap", text, StringComparison.Ordinal);
        File.WriteAllText(systems, text);
        return target;
    }

    [GeneratedRegex(@"  - id: directory\n(?:    .*\n|\s*#.*\n|      .*\n)*")]
    private static partial Regex DirectoryBlock();
}
