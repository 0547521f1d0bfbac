using Handoff.Core.Dictionary;
using Handoff.Core.Workspace;

namespace Handoff.Core.Tests.Workspace;

public class WorkspaceWriterTests
{
    [Fact]
    public void Acme_sample_round_trips_through_a_directory_losslessly()
    {
        var original = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!;
        using var dir = new TestWorkspace();

        WorkspaceWriter.Write(original, dir.Directory);
        var reloaded = WorkspaceLoader.Load(dir.Directory);

        Assert.Empty(reloaded.Errors);
        Structural.AssertEqual(original, reloaded.Workspace!);
    }

    [Fact]
    public void Writing_twice_gives_the_same_text()
    {
        var original = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!;
        using var first = new TestWorkspace();
        using var second = new TestWorkspace();

        WorkspaceWriter.Write(original, first.Directory);
        WorkspaceWriter.Write(WorkspaceLoader.Load(first.Directory).Workspace!, second.Directory);

        foreach (var file in new[] { WorkspaceLoader.SystemsFile, WorkspaceLoader.DictionaryFile, WorkspaceLoader.CharterFile })
            Assert.Equal(File.ReadAllText(Path.Combine(first.Directory, file)), File.ReadAllText(Path.Combine(second.Directory, file)));
    }

    [Fact]
    public void Dictionary_round_trips_as_text()
    {
        var ws = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!;
        var systemIds = ws.Systems.Select(s => s.Id).ToList();

        var yaml = WorkspaceWriter.ToYaml(ws.Dictionary);
        var parsed = WorkspaceLoader.ParseDictionary(yaml, "dictionary@v2", systemIds);

        Assert.Empty(parsed.Errors);
        Structural.AssertEqual(ws.Dictionary, parsed.Dictionary!);
        Assert.Equal(yaml, WorkspaceWriter.ToYaml(parsed.Dictionary!));
    }

    [Fact]
    public void Defaults_are_left_out_of_the_written_yaml()
    {
        var ws = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!;

        var yaml = WorkspaceWriter.ToYaml(ws.Dictionary);

        Assert.DoesNotContain("strength: enforce", yaml);
        Assert.DoesNotContain("required: false", yaml);
        Assert.DoesNotContain("lifecycle:", yaml); // Acme's lifecycle is the default one
        Assert.DoesNotContain("conflict: system_of_record", yaml);
        Assert.Contains("strength: on_create", yaml);
    }

    [Fact]
    public void Strings_that_yaml_would_misread_are_quoted()
    {
        var system = new SystemDefinition("payroll", "yes", SystemKind.Payroll, "csv", SystemOwner.Hr,
            new Dictionary<string, string> { ["path"] = "01", ["key"] = "EmpNo", ["delimiter"] = ";", ["encoding"] = "a: b #c" });
        var ws = new WorkspaceDefinition([system], DictionaryDefinition.Empty, Charter.Empty);
        using var dir = new TestWorkspace();

        WorkspaceWriter.Write(ws, dir.Directory);
        var text = File.ReadAllText(Path.Combine(dir.Directory, WorkspaceLoader.SystemsFile));
        var reloaded = WorkspaceLoader.Load(dir.Directory);

        Assert.Contains("name: \"yes\"", text);
        Assert.Contains("path: \"01\"", text);
        Assert.Contains("delimiter: \";\"", text);
        Assert.Empty(reloaded.Errors);
        Structural.AssertEqual(ws, reloaded.Workspace!);
    }

    [Fact]
    public void Non_default_lifecycle_conflicts_and_charter_round_trip()
    {
        var field = new FieldDefinition("hired_on", "hired_on", FieldType.Date, Classification.Internal, true, [], "hris",
            ["ats"], new ConflictRule(ConflictRuleKind.Manual, []),
            [new FieldBinding("hris", "Hired", "yyyyMMdd", null, new Dictionary<string, string>(), WriteStrength.IfEmpty)]);
        var status = new FieldDefinition("status", "Status", FieldType.Enum, Classification.Public, false, ["ok", "done"], null,
            [], new ConflictRule(ConflictRuleKind.SystemOfRecord, ["ats"]),
            [new FieldBinding("ats", "St", null, null, new Dictionary<string, string> { ["OK"] = "ok", ["true"] = "done" }, WriteStrength.Enforce)]);
        var lifecycle = new LifecycleRules("hired_on", "hired_on", null, ["ok", "done"], null, "status", null);
        var charter = new Charter("people-team", "it", [new CharterMember("ann", "Ann", SystemOwner.It, ["it_admin", "auditor"], false)]);
        var systems = new List<SystemDefinition>
        {
            new("hris", "hris", SystemKind.Hris, "sandbox", SystemOwner.Hr, new Dictionary<string, string>()),
            new("ats", "ATS", SystemKind.Ats, "sandbox", SystemOwner.Hr, new Dictionary<string, string>()),
        };
        var ws = new WorkspaceDefinition(systems, new DictionaryDefinition([field, status], [new CorrelationRule(["hired_on", "status"], true)], lifecycle), charter);
        using var dir = new TestWorkspace();

        WorkspaceWriter.Write(ws, dir.Directory);
        var reloaded = WorkspaceLoader.Load(dir.Directory);

        Assert.Empty(reloaded.Errors);
        Structural.AssertEqual(ws, reloaded.Workspace!);
    }

    [Fact]
    public void Empty_workspace_round_trips()
    {
        var ws = new WorkspaceDefinition([], DictionaryDefinition.Empty, Charter.Empty);
        using var dir = new TestWorkspace();

        WorkspaceWriter.Write(ws, dir.Directory);
        var reloaded = WorkspaceLoader.Load(dir.Directory);

        Assert.Empty(reloaded.Errors);
        Structural.AssertEqual(ws, reloaded.Workspace!);
    }

    [Fact]
    public void Stored_dictionary_text_with_errors_reports_them_under_the_given_name()
    {
        var result = WorkspaceLoader.ParseDictionary("fields:\n  - { name: a, type: string }\n", "dictionary@v7", ["hris"]);

        Assert.Null(result.Dictionary);
        ErrorAssert.Has(result.Errors, "dictionary@v7", 2, 5, "missing required key \"classification\" in field");
    }
}
