using System.Text.RegularExpressions;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Cli;

/// <summary><c>handoff process …</c> as a user runs it: the real executable, its output and exit code.</summary>
public sealed class ProcessCommandTests
{
    private static string NewWorkFolder()
    {
        var work = Path.Combine(Path.GetTempPath(), $"handoff-process-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        return work;
    }

    private static async Task<string> Run(string work, params string[] args)
    {
        var (exit, output) = await HandoffProcess.RunInAsync(work, args);
        Assert.True(exit == 0, $"handoff {string.Join(' ', args)} exited {exit}:\n{output}");
        return output;
    }

    [Fact]
    public async Task Import_show_export_and_rate_print_the_cost_of_the_sample_process()
    {
        var work = NewWorkFolder();
        Assert.Contains("onboarding: imported (v1)", await Run(work, "process", "import", Path.Combine(Repository.AcmeWorkspace, "processes"), "--as", "hector"));
        Assert.Contains("onboarding: unchanged (v1)", await Run(work, "process", "import", Path.Combine(Repository.AcmeWorkspace, "processes", "onboarding.yaml")));
        var show = await Run(work, "process", "show", "onboarding");
        Assert.Contains("total: 920 manual hours a year (0.44 FTE), $36,220 a year ($12,604 labour at $13.70/h + $23,616 errors); projected saving $28,074 a year", show);
        Assert.Contains("handoff: ats → hris by manual re-entry", show);
        var csv = await Run(work, "process", "export", "onboarding", "--csv");
        Assert.Contains("onboarding,hris_entry,Re-key the new hire into the HRIS,HR operations specialist,hris,25,40,0.05,180,,0.9,16.67,200,2740,4320,6354,13.7", csv);
        Assert.Contains("hourly rate: $20.00", await Run(work, "process", "rate", "20", "--as", "hector"));
        Assert.Contains("$18,400 labour at $20.00/h", await Run(work, "process", "show", "onboarding"));

        var (badExit, bad) = await HandoffProcess.RunInAsync(work, "process", "rate", "twenty");
        Assert.NotEqual(0, badExit);
        Assert.Contains("RATE: \"twenty\" is not a number", bad);
        var broken = Path.Combine(work, "broken.yaml");
        await File.WriteAllTextAsync(broken, "id: x\nname: X\ntrigger: t\nsteps:\n  - id: s\n    name: S\n    owner_role: HR\n    system: hris\n    minutes: ten\n    monthly_volume: 4\n");
        var (brokenExit, brokenOut) = await HandoffProcess.RunInAsync(work, "process", "import", broken);
        Assert.NotEqual(0, brokenExit);
        Assert.Contains("broken.yaml:9:14: expected a number for step s minutes, found \"ten\"", brokenOut);
    }

    [Fact]
    public async Task Discover_lists_matching_fields_with_disagreeing_records_and_accept_proposes_a_dictionary_version()
    {
        var work = NewWorkFolder();
        await Run(work, "apply", "-f", Repository.AcmeWorkspace, "--as", "ivan");
        await Run(work, "dictionary", "approve", "1", "--as", "hector");
        await Run(work, "dictionary", "approve", "1", "--as", "tara");

        var hris = new List<string> { "Employee_ID,Legal_First_Name,Employment_Begin_Date,Birth_Date" };
        var ad = new List<string> { "employeeID,givenName,accountActivationDate,whenCreated" };
        string[] names = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kim", "Lea"];
        for (var i = 0; i < names.Length; i++)
        {
            var start = new DateOnly(2026, 2, 2).AddDays(7 * i);
            var activation = i == 4 ? start.AddDays(14) : start; // one account activated on the wrong day
            hris.Add($"{100200 + i},{names[i]},{start:MM/dd/yyyy},{1985 + i}-0{1 + i % 9}-1{i % 9}");
            ad.Add($"{100200 + i},{names[i]},{activation:yyyy-MM-dd}T08:00:00Z,{start.AddDays(-20):yyyy-MM-dd}T10:00:00Z");
        }
        await File.WriteAllLinesAsync(Path.Combine(work, "hris.csv"), hris);
        await File.WriteAllLinesAsync(Path.Combine(work, "directory.csv"), ad);

        var listed = await Run(work, "process", "discover", "hris.csv", "--key", "Employee_ID", "directory.csv", "--key", "employeeID");
        var row = Regex.Match(listed, @"│ (\d+)\s+│ hris\.Employment_Begin_Date\s+│ directory\.accountActivationDate\s+│ [0-9.]+\s+│ [0-9.]+\s+│ 11/12 \(dates\)");
        Assert.True(row.Success, listed);
        Assert.Matches(@"│ \d+\s+│ hris\.Legal_First_Name\s+│ directory\.givenName\s+│ [0-9.]+\s+│ [0-9.]+\s+│ 12/12", listed);
        Assert.Contains("100204: hris \"03/02/2026\" ≠ directory \"2026-03-16T08:00:00Z\"", listed);
        Assert.DoesNotContain("whenCreated", listed);
        Assert.DoesNotContain("Birth_Date", listed);

        var n = row.Groups[1].Value;
        var accepted = await Run(work, "process", "discover", "hris.csv", "--key", "Employee_ID", "directory.csv", "--key", "employeeID", "--accept", n, "--as", "alice");
        Assert.Contains($"accepted #{n}: bind directory.accountActivationDate to the field start_date", accepted);
        Assert.Contains("dictionary v2 proposed by alice; it takes effect after one HR and one IT approval", accepted);
        var versions = await Run(work, "dictionary", "versions");
        Assert.Matches(@"│ v2\s+│ proposed\s+│ alice", versions);
        Assert.Contains("accountActivationDate", await Run(work, "dictionary", "show", "2"));

        // Already bound on both sides: refused with the reason, nothing proposed.
        var first = Regex.Match(listed, @"│ (\d+)\s+│ hris\.Legal_First_Name").Groups[1].Value;
        var (refusedExit, refused) = await HandoffProcess.RunInAsync(work, "process", "discover", "hris.csv", "--key", "Employee_ID", "directory.csv", "--key", "employeeID", "--accept", first);
        Assert.NotEqual(0, refusedExit);
        Assert.Contains("already both bound to the field first_name", refused);

        var (keysExit, keys) = await HandoffProcess.RunInAsync(work, "process", "discover", "hris.csv", "--key", "Employee_ID", "directory.csv");
        Assert.NotEqual(0, keysExit);
        Assert.Contains("2 files but 1 --key options", keys);
        var (columnExit, column) = await HandoffProcess.RunInAsync(work, "process", "discover", "hris.csv", "--key", "EmpNo", "directory.csv", "--key", "employeeID");
        Assert.NotEqual(0, columnExit);
        Assert.Contains("hris.csv:1: key column \"EmpNo\" is not in the header; columns: Employee_ID, Legal_First_Name, Employment_Begin_Date, Birth_Date", column);
    }
}
