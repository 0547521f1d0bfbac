using Handoff.Data.Tests;
using Handoff.Server.Uat;
using Spectre.Console;
using Xunit.Abstractions;

namespace Handoff.Server.Tests.Uat;

/// <summary>
/// The scenario packs shipped under samples/acme/uat are Handoff's proof for issue #14 and HR's
/// acceptance test: each runs through the real pipeline and engine (sandbox targets) on its own
/// database, on both providers, and every expectation must hold.
/// </summary>
public sealed class ScenarioPackTests(ITestOutputHelper log)
{
    private static string Shipped => Path.Combine(Repository.AcmeWorkspace, "uat");

    private static async Task<PackResult> RunAsync(ScenarioPack pack, string provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var keys = Path.Combine(Path.GetTempPath(), "handoff-tests", $"uat-keys-{Guid.NewGuid():N}");
        try
        {
            return await PackRunner.RunAsync(pack, database, keys, default);
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }

    private static (IAnsiConsole Console, StringWriter Output) Captured()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 400;
        return (console, output);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Every_shipped_pack_passes(string provider)
    {
        var packs = ScenarioPack.Find(Shipped).Select(dir => ScenarioPack.Load(dir)).ToList();
        Assert.True(packs.Count >= 10, $"expected the issue #14 packs under {Shipped}, found {packs.Count}");

        // Two at a time: each pack has a database of its own.
        using var gate = new SemaphoreSlim(2);
        var results = await Task.WhenAll(packs.Select(async pack =>
        {
            await gate.WaitAsync();
            try
            {
                return await RunAsync(pack, provider);
            }
            finally
            {
                gate.Release();
            }
        }));

        foreach (var result in results)
            log.WriteLine($"{result.Pack.Name}: {(result.Passed ? "PASS" : "FAIL")} {result.PassedCount} of {result.Expectations.Count} ({result.Duration.TotalSeconds:0.0} s, set-up {result.Setup.TotalSeconds:0.0} s)");
        var (console, output) = Captured();
        foreach (var result in results.Where(r => !r.Passed))
        {
            foreach (var step in result.Steps.Where(s => s.Error is not null))
                console.WriteLine($"{result.Pack.Name}: step {step.Step.Describe} ({step.Step.Place}) failed: {step.Error}");
            UatOutput.Print(console, result);
        }
        Assert.True(results.All(r => r.Passed), output.ToString());
    }

    [Fact]
    public async Task A_wrong_expectation_fails_and_prints_the_first_difference()
    {
        var dir = Path.Combine(Path.GetTempPath(), "handoff-tests", $"uat-wrong-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "pack.yaml"), $"""
            name: wrong-department
            workspace: {Repository.AcmeWorkspace}
            today: 2026-11-27
            steps:
              - sync: {"{"} system: hris {"}"}
            expect:
              - person: {"{"} employee_id: "100104", state: active {"}"}
              - person: {"{"} employee_id: "100104", fields: {"{"} job_title: Financial Controller, department: Sales, cost_center: CC-9999 {"}"} {"}"}
              - person: {"{"} employee_id: "100104", fields: {"{"} national_id: 00000000X {"}"} {"}"}
            """);

        var result = await RunAsync(ScenarioPack.Load(dir), TestDatabases.Sqlite);
        var (console, output) = Captured();
        UatOutput.Print(console, result);
        var printed = output.ToString();

        Assert.False(result.Passed, printed);
        Assert.Equal(1, result.PassedCount);
        Assert.Contains("PASS person employee_id=100104: state active", printed);
        // The first difference only: the cost center is wrong too, but the department comes first.
        Assert.Contains("FAIL person employee_id=100104: job_title Financial Controller, department Sales, cost_center CC-9999", printed);
        Assert.Contains("first difference: department: expected \"Sales\", actual \"Finance\"", printed);
        Assert.DoesNotContain("CC-3100", printed);
        // A sensitive field is compared, never shown.
        Assert.Contains("national_id: differs (sensitive: not shown)", printed);
        Assert.DoesNotContain("40000524M", printed);
        Assert.DoesNotContain("00000000X", printed);
        Assert.Contains("FAIL wrong-department: 1 of 3 expectation(s) passed", printed);
    }

    [Fact]
    public void A_mistake_in_pack_yaml_is_named_by_file_line_and_column()
    {
        var dir = Path.Combine(Path.GetTempPath(), "handoff-tests", $"uat-broken-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "pack.yaml"), $"""
            name: broken
            workspace: {Repository.AcmeWorkspace}
            today: 2026-13-01
            steps:
              - sync: {"{"} system: hris, file: missing.csv {"}"}
              - teleport: {"{"} to: mars {"}"}
            expect:
              - runs: {"{"} workflow: offboarding, person: "100121", cuont: 0 {"}"}
            """);

        var e = Assert.Throws<PackFormatException>(() => ScenarioPack.Load(dir));
        var name = Path.GetFileName(dir) + "/pack.yaml";
        Assert.Contains($"{name}:3:8: today: \"2026-13-01\" is not a date in the format yyyy-MM-dd", e.Errors);
        Assert.Contains(e.Errors, m => m.StartsWith($"{name}:5:33: file: \"missing.csv\" is not a file", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith($"{name}:6:5: unknown step \"teleport\"", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith($"{name}:8:54: runs: unknown key \"cuont\"", StringComparison.Ordinal));
    }
}
