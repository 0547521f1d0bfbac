using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Cli;

/// <summary>
/// The engine's promises with real processes: a process killed (SIGKILL) between a step's external
/// write and its commit repeats nothing when the run is taken over; a run parked on a wait or an
/// approval survives the death of the server that parked it.
/// </summary>
public sealed class WorkflowProcessTests
{
    private const string Joiner = """
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

    private const string Hris = """
        Employee_ID,Legal_First_Name,Legal_Last_Name,Employment_Begin_Date,Department,Worker_Type,Time_Zone
        900001,Ada,Lovelace,12/14/2026,Engineering,Regular,Europe/Berlin
        """;

    private sealed class Installation(DatabaseOptionsText db, string dir)
    {
        public string Db { get; } = db.Value;
        public string Dir { get; } = dir;
        public string[] Common => ["--db", Db, "--keys-dir", Path.Combine(Dir, "keys"), "--today", "2026-11-27"];

        public async Task<string> RunAsync(params string[] args)
        {
            var (exit, output) = await HandoffProcess.RunAsync([.. args, .. Common]);
            Assert.True(exit == 0, $"handoff {string.Join(' ', args)} failed:\n{output}");
            return output;
        }
    }

    private sealed record DatabaseOptionsText(string Value);

    /// <summary>A database with the Acme workspace applied and signed, one workflow active, one new hire synced — all through the CLI.</summary>
    private static async Task<Installation> InstallAsync(string provider, string workflow)
    {
        var options = await TestDatabases.CreateAsync(provider);
        var dir = Path.Combine(Path.GetTempPath(), "handoff-wf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var install = new Installation(new DatabaseOptionsText(options.ConnectionString), dir);
        await install.RunAsync("apply", "-f", Repository.AcmeWorkspace, "--as", "hector");
        await install.RunAsync("dictionary", "approve", "1", "--as", "alice");
        await install.RunAsync("dictionary", "approve", "1", "--as", "ivan");
        var file = Path.Combine(dir, "workflow.yaml");
        await File.WriteAllTextAsync(file, workflow);
        await install.RunAsync("workflow", "propose", file, "--as", "alice");
        await install.RunAsync("workflow", "approve", "joiner", "--as", "hector");
        await install.RunAsync("workflow", "approve", "joiner", "--as", "ivan");
        await install.RunAsync("workflow", "activate", "joiner", "--as", "tara");
        var csv = Path.Combine(dir, "workers.csv");
        await File.WriteAllTextAsync(csv, Hris);
        await install.RunAsync("sync", "hris", "--file", csv);
        return install;
    }

    private static async Task<(int Accounts, int Tickets, List<string> Runs)> CensusAsync(string provider, string db)
    {
        var options = provider == TestDatabases.Sqlite ? Data.DatabaseOptions.Parse(db) : new Data.DatabaseOptions(Data.DatabaseProvider.Postgres, db);
        await using var ctx = options.CreateContext();
        return (await ctx.SandboxObjects.CountAsync(o => o.SystemId == "directory"),
            await ctx.SandboxObjects.CountAsync(o => o.SystemId == "servicedesk"),
            await ctx.Runs.Select(r => r.Status).ToListAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_kill_between_the_write_and_its_commit_leaves_exactly_one_account(string provider)
    {
        var install = await InstallAsync(provider, Joiner);
        var env = new Dictionary<string, string> { ["HANDOFF_TEST_PAUSE_AFTER_WRITE"] = "account" };
        using (var process = HandoffProcess.StartWith(null, env, ["tick", .. install.Common]))
        {
            try
            {
                var stderr = process.StandardError;
                var seen = new List<string>();
                var line = await stderr.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(300));
                while (line is not null && !line.Contains("paused after the write of step account", StringComparison.Ordinal))
                {
                    seen.Add(line);
                    line = await stderr.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(300));
                }
                if (line is null)
                    Assert.Fail("the tick ended without pausing after the write; it printed:\n" + string.Join('\n', seen)
                        + "\n" + await process.StandardOutput.ReadToEndAsync());
            }
            finally
            {
                process.Kill(entireProcessTree: true); // SIGKILL: the account exists, the step's commit never happened
                await process.WaitForExitAsync();
            }
        }
        var crashed = await CensusAsync(provider, install.Db);
        Assert.Equal((1, 0), (crashed.Accounts, crashed.Tickets));
        Assert.Equal(["running"], crashed.Runs);

        // The next worker comes after the dead one's lease ran out (each process's pinned clock starts
        // at 09:00 of its --today, so the takeover runs on the next day).
        var (exit, output) = await HandoffProcess.RunAsync(["tick", .. install.Common[..^1], "2026-11-28"]);
        Assert.True(exit == 0, output);
        var after = await CensusAsync(provider, install.Db);
        Assert.Equal((1, 1), (after.Accounts, after.Tickets));
        Assert.Equal(["completed"], after.Runs);
        var show = await install.RunAsync("runs", "list");
        Assert.Contains("completed", show);
        var verify = await install.RunAsync("audit", "verify");
        Assert.Contains("intact", verify, StringComparison.OrdinalIgnoreCase);
        var options = provider == TestDatabases.Sqlite ? Data.DatabaseOptions.Parse(install.Db) : new Data.DatabaseOptions(Data.DatabaseProvider.Postgres, install.Db);
        await using var ctx = options.CreateContext();
        var link = await ctx.AccountLinks.SingleAsync();
        Assert.Equal("ada.lovelace", link.Username); // the connector's own earlier write, not a second "ada.lovelace2"
        Assert.Contains("already_applied", string.Join("", await ctx.AuditEntries.Where(a => a.Action == "directory.create_account").Select(a => a.FieldsJson).ToListAsync()));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_parked_approval_survives_the_server_that_parked_it(string provider)
    {
        var install = await InstallAsync(provider, Joiner.Replace("""
              - id: laptop
            """, """
              - id: ok
                uses: approval
                with: { role: it_operator, timeout: 3d }
              - id: laptop
            """));
        var port = 20000 + Random.Shared.Next(20000);
        using (var server = HandoffProcess.Start(["serve", "--urls", $"http://127.0.0.1:{port}", .. install.Common]))
        {
            try
            {
                // Drain the server's output so it never blocks on a full pipe.
                var output = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
                var deadline = DateTime.UtcNow.AddSeconds(90);
                while ((await CensusAsync(provider, install.Db)).Runs is not ["waiting"])
                {
                    if (server.HasExited)
                        Assert.Fail("serve stopped: " + string.Join("\n", await output));
                    Assert.True(DateTime.UtcNow < deadline, "the run did not park on its approval within 90 s");
                    await Task.Delay(200);
                }
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
        }
        Assert.Equal((1, 0), ((await CensusAsync(provider, install.Db)).Accounts, (await CensusAsync(provider, install.Db)).Tickets));
        Assert.Contains("it_operator", await install.RunAsync("approvals", "list"));

        // The decision is taken while no server runs; a new server resumes the run.
        var options = provider == TestDatabases.Sqlite ? Data.DatabaseOptions.Parse(install.Db) : new Data.DatabaseOptions(Data.DatabaseProvider.Postgres, install.Db);
        long taskId;
        await using (var ctx = options.CreateContext())
            taskId = (await ctx.HumanTasks.SingleAsync()).Id;
        var decided = await HandoffProcess.RunAsync(["approvals", "approve", taskId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--as", "olga", "--no-run", .. install.Common]);
        Assert.True(decided.ExitCode == 0, decided.Output);
        Assert.Equal(["waiting"], (await CensusAsync(provider, install.Db)).Runs);

        using (var server = HandoffProcess.Start(["serve", "--urls", $"http://127.0.0.1:{port + 1}", .. install.Common]))
        {
            try
            {
                var output = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
                var deadline = DateTime.UtcNow.AddSeconds(90);
                while ((await CensusAsync(provider, install.Db)).Runs is not ["completed"])
                {
                    if (server.HasExited)
                        Assert.Fail("serve stopped: " + string.Join("\n", await output));
                    Assert.True(DateTime.UtcNow < deadline, "the run did not resume within 90 s");
                    await Task.Delay(200);
                }
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
        }
        Assert.Equal((1, 1), ((await CensusAsync(provider, install.Db)).Accounts, (await CensusAsync(provider, install.Db)).Tickets));
    }
}
