using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Cli;

/// <summary>The verbs as a user runs them: the real executable, its output and exit code.</summary>
public sealed class CommandLineTests
{
    private static string TempDb() => Path.Combine(Path.GetTempPath(), "handoff-tests", $"cli-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task Demo_ingests_the_Acme_data_and_shows_the_start_date_example()
    {
        var work = Path.Combine(Path.GetTempPath(), $"handoff-demo-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var (exit, output) = await HandoffProcess.RunInAsync(work, "demo", "--workspace", Repository.AcmeWorkspace, "--today", "2026-11-27", "--print-only");
        Assert.True(exit == 0, output);
        Assert.True(File.Exists(Path.Combine(work, "data", "handoff.db")), "the demo keeps its database under ./data");
        Assert.Contains("auto-approved as alice (HR) and ivan (IT)", output);
        Assert.Contains("people: 38", output);
        Assert.Contains("ats says 2027-01-04 (record C-26041); hris says 2027-01-11 (record 100131)", output);
        Assert.Contains("findings (sources disagree): 3", output); // Ahmed Hassan moved: payroll still has his old cost center
        Assert.Contains("quarantined rows: 2", output);
        Assert.Matches(@"audit log: \d+ entries, chain intact", output);
        Assert.Contains("Zoë O'Brien-Núñez", output);
        Assert.Contains("keeps 2027-01-11, from hris record 100131", output);

        // The shipped workflows ran on the demo data against the sandbox directory: the baseline gave the
        // 28 current workers their accounts; the day's changes moved one, let one go, and the late new
        // hire got her pre-hire run.
        Assert.Contains("directory-baseline: run on demand for the 28 current workers", output);
        Assert.Matches(@"│ mover\s+│ 1\s+│ completed 1", output);
        Assert.Matches(@"│ offboarding\s+│ 1\s+│ completed 1", output);
        Assert.Matches(@"│ pre-hire\s+│ 1\s+│ completed 1", output);
        Assert.Contains("sandbox directory accounts: 29", output);
        var (sandboxExit, sandbox) = await HandoffProcess.RunInAsync(work, "sandbox", "list", "directory");
        Assert.True(sandboxExit == 0, sandbox);
        Assert.Contains("nadia.kowalski", sandbox);
        Assert.Contains("grace.osullivan", sandbox);

        // people show: every value with its source; the sensitive one masked.
        var (showExit, show) = await HandoffProcess.RunInAsync(work, "people", "show", "100131");
        Assert.True(showExit == 0, show);
        Assert.Contains("start_date", show);
        Assert.Contains("2027-01-11", show);
        Assert.Contains("•••• (sensitive)", show);
        Assert.DoesNotContain("1234531W", show); // her national id in workers.csv
        Assert.Contains("person.pre_hire", show);

        var (qExit, quarantine) = await HandoffProcess.RunInAsync(work, "quarantine", "list");
        Assert.True(qExit == 0, quarantine);
        Assert.Contains("workers.csv:18", quarantine);
        Assert.Contains("Birth_Date", quarantine);
    }

    [Fact]
    public async Task Apply_of_a_broken_workspace_names_each_place_and_changes_nothing()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        foreach (var f in new[] { "systems.yaml", "charter.yaml" })
            File.Copy(Path.Combine(Repository.AcmeWorkspace, f), Path.Combine(dir, f));
        var dictionary = File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "dictionary.yaml"))
            .Replace("    classification: sensitive\n    system_of_record: payroll", "    classification: secret\n    system_of_record: payroll", StringComparison.Ordinal)
            .Replace("      hris: { field: Preferred_Name, empty: clears }", "      workday: { field: Preferred_Name, empty: clears }", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "dictionary.yaml"), dictionary);
        var db = TempDb();

        var (exit, output) = await HandoffProcess.RunAsync("apply", "-f", dir, "--db", db);
        Assert.Equal(1, exit);
        Assert.Matches(@"dictionary\.yaml:\d+:\d+: .*secret", output);
        Assert.Matches(@"dictionary\.yaml:\d+:\d+: .*workday", output);
        Assert.Contains("nothing was changed", output);

        await using var ctx = Data.DatabaseOptions.Parse(db).CreateContext();
        Assert.Equal(0, await ctx.Systems.CountAsync());
        Assert.Equal(0, await ctx.DictionaryVersions.CountAsync());
    }

    [Fact]
    public async Task Sync_before_the_dictionary_is_signed_says_what_is_missing()
    {
        var db = TempDb();
        Assert.Equal(0, (await HandoffProcess.RunAsync("apply", "-f", Repository.AcmeWorkspace, "--db", db, "--as", "hector")).ExitCode);
        var (exit, output) = await HandoffProcess.RunAsync("sync", "hris", "--db", db);
        Assert.Equal(1, exit);
        Assert.Contains("needs one HR and one IT approval", output);

        var (own, ownOutput) = await HandoffProcess.RunAsync("dictionary", "approve", "1", "--as", "hector", "--db", db);
        Assert.Equal(1, own);
        Assert.Contains("author", ownOutput);
    }

    [Fact]
    public async Task Quarantined_rows_pass_on_retry_once_the_source_is_fixed()
    {
        var workspace = Path.Combine(Path.GetTempPath(), $"acme-{Guid.NewGuid():N}");
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(workspace, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var db = TempDb();
        Assert.Equal(0, (await HandoffProcess.RunAsync("apply", "-f", workspace, "--db", db, "--as", "demo")).ExitCode);
        Assert.Equal(0, (await HandoffProcess.RunAsync("dictionary", "approve", "1", "--as", "alice", "--db", db)).ExitCode);
        Assert.Equal(0, (await HandoffProcess.RunAsync("dictionary", "approve", "1", "--as", "ivan", "--db", db)).ExitCode);
        var (syncExit, sync) = await HandoffProcess.RunAsync("sync", "hris", "--db", db, "--today", "2026-11-27");
        Assert.True(syncExit == 0, sync);
        Assert.Contains("rejected 2", sync);

        var workers = Path.Combine(workspace, "data", "hris", "workers.csv");
        File.WriteAllText(workers, File.ReadAllText(workers).Replace(",31/02/1990,", ",02/28/1990,", StringComparison.Ordinal));
        var (retryExit, retry) = await HandoffProcess.RunAsync("quarantine", "retry", "hris", "--db", db, "--today", "2026-11-27");
        Assert.True(retryExit == 0, retry);
        Assert.Contains("created 1", retry);
        Assert.Contains("rejected 1", retry);

        var (_, list) = await HandoffProcess.RunAsync("quarantine", "list", "--db", db);
        Assert.Contains("workers.csv:26", list);
        Assert.DoesNotContain("workers.csv:18", list);
        Assert.Contains("1 row(s)", list);
        var (showExit, show) = await HandoffProcess.RunAsync("people", "show", "100116", "--db", db);
        Assert.True(showExit == 0, show);
        Assert.Contains("1990-02-28", show);
    }

    [Fact]
    public async Task A_delivered_record_is_retried_from_its_stored_values_and_its_sensitive_column_survives_the_round_trip()
    {
        var work = Path.Combine(Path.GetTempPath(), $"handoff-retry-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var db = Path.Combine(work, "data", "handoff.db");
        Assert.Equal(0, (await HandoffProcess.RunInAsync(work, "apply", "-f", Repository.AcmeWorkspace, "--db", db, "--as", "demo")).ExitCode);
        Assert.Equal(0, (await HandoffProcess.RunInAsync(work, "dictionary", "approve", "1", "--as", "alice", "--db", db)).ExitCode);
        Assert.Equal(0, (await HandoffProcess.RunInAsync(work, "dictionary", "approve", "1", "--as", "ivan", "--db", db)).ExitCode);

        // A delivered record (JSON pointer) with a date that does not convert, processed with the same key ring the CLI uses.
        var options = Data.DatabaseOptions.Parse(db);
        var keys = Data.Security.KeyMaterial.From(Core.Security.KeyRingStore.Open(Path.Combine(work, "data", "keys")).Ring);
        var store = new Data.Workspace.WorkspaceStore(options, TimeProvider.System, new Data.Audit.AuditLog(options, new TestAuditKey(), TimeProvider.System));
        var workspace = (await store.LoadActiveAsync(default)).Definition;
        var sync = new Data.Sources.SourceSync(options, TimeProvider.System, keys, new Data.Audit.AuditLog(options, new TestAuditKey(), TimeProvider.System));
        var record = new Core.Sources.NativeRecord("delivery x", 1, new Dictionary<string, string?>
        {
            ["Employee_ID"] = "960001",
            ["Legal_First_Name"] = "Rae",
            ["Legal_Last_Name"] = "Try",
            ["Employment_Begin_Date"] = "2027-13-01",
            ["National_ID"] = "NID-RETRY-1",
        })
        { Pointer = "/0" };
        await sync.RunAsync(workspace, "hris", new[] { (Core.Sources.SourceItem)record }.ToAsyncEnumerable(), "webhook", default);

        var (exit, output) = await HandoffProcess.RunInAsync(work, "quarantine", "retry", "hris", "--db", db);
        Assert.True(exit == 0, output);
        Assert.Contains("rejected 1", output); // the value is still bad: quarantined again, with the same place

        await using var context = options.CreateContext();
        var again = await context.Quarantine.SingleAsync(q => q.Status == "open");
        Assert.Equal(("/0", "Employment_Begin_Date"), (again.Pointer, again.Field));
        Assert.DoesNotContain("NID-RETRY-1", again.Raw);
        Assert.Equal("NID-RETRY-1", new Data.Security.FieldProtection(workspace.Dictionary, keys).DeserializeNative(again.Raw)["National_ID"]);
    }
}
