using Handoff.Core.Sources;
using Handoff.Core.Workspace;

namespace Handoff.Core.Tests.Sources;

public sealed class RecordMapperTests
{
    private static RecordMapper Payroll()
    {
        var ws = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!;
        return new RecordMapper(ws.Dictionary, ws.FindSystem("payroll")!);
    }

    [Fact]
    public void Maps_native_names_to_canonical_fields_with_their_converters()
    {
        var record = new NativeRecord("payroll.csv", 5, new Dictionary<string, string?> { ["EmpNo"] = " 100104 ", ["Start"] = "05.01.2026", ["Salary"] = "75000.00", ["Cost_Centre"] = "CC-3200" });
        Assert.True(Payroll().TryMap(record, out var mapped, out var problem), problem?.Reason);
        Assert.Equal("100104", mapped!.NativeKey);
        Assert.Equal("2026-01-05", mapped.Values["start_date"]);
        Assert.Equal("75000", mapped.Values["salary"]);
        Assert.Equal("payroll.csv:5", mapped.Location);
    }

    [Fact]
    public void A_value_that_does_not_convert_names_the_native_field_and_the_expected_format()
    {
        var record = new NativeRecord("payroll.csv", 7, new Dictionary<string, string?> { ["EmpNo"] = "1", ["Start"] = "2026-01-05" });
        Assert.False(Payroll().TryMap(record, out _, out var problem));
        Assert.Equal("Start", problem!.Field);
        Assert.Contains("dd.MM.yyyy", problem.Reason);
        Assert.Contains("2026-01-05", problem.Reason);
    }

    [Fact]
    public void A_sensitive_value_that_does_not_convert_is_not_repeated_in_the_reason()
    {
        var record = new NativeRecord("payroll.csv", 9, new Dictionary<string, string?> { ["EmpNo"] = "1", ["Salary"] = "ninety-one thousand" });
        Assert.False(Payroll().TryMap(record, out _, out var problem));
        Assert.Equal("Salary", problem!.Field);
        Assert.DoesNotContain("ninety-one", problem.Reason);
        Assert.Contains("(sensitive value)", problem.Reason);
    }

    [Fact]
    public void The_same_content_always_hashes_the_same_and_any_change_changes_the_hash()
    {
        var a = new Dictionary<string, string?> { ["x"] = "1", ["y"] = null };
        var b = new Dictionary<string, string?> { ["y"] = null, ["x"] = "1" };
        Assert.Equal(RecordMapper.HashOf(a, null), RecordMapper.HashOf(b, null));
        Assert.NotEqual(RecordMapper.HashOf(a, null), RecordMapper.HashOf(new Dictionary<string, string?> { ["x"] = "1", ["y"] = "" }, null));
        Assert.NotEqual(RecordMapper.HashOf(a, null), RecordMapper.HashOf(a, new DateOnly(2027, 1, 1)));
    }
}
