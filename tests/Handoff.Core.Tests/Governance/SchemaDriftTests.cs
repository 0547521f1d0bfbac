using Handoff.Core.Governance;

namespace Handoff.Core.Tests.Governance;

public sealed class SchemaDriftTests
{
    private static SchemaField F(string name, string type = "text", bool required = false, params string[] values) =>
        new(name, type, required, 0, values);

    private static SchemaShape S(params SchemaField[] fields) => new(fields);

    [Fact]
    public void A_removed_bound_field_is_critical_and_an_unbound_one_a_warning()
    {
        var changes = SchemaDrift.Diff(S(F("Department"), F("Nickname"), F("Employee_ID", "number")), S(F("Employee_ID", "number")), n => n == "Department");
        Assert.Equal(2, changes.Count);
        Assert.Equal(new SchemaChange(DriftChangeKind.Removed, "Department", null, null, null, true, FindingSeverity.Critical), changes[0]);
        Assert.Equal(FindingSeverity.Warning, changes[1].Severity);
        Assert.Contains("the dictionary binds it", changes[0].Describe());
    }

    [Fact]
    public void A_similar_name_with_the_same_values_is_a_rename_but_without_shared_values_it_is_not()
    {
        var before = S(F("Cost_Center", "text", false, "a", "b", "c"));
        var renamed = SchemaDrift.Diff(before, S(F("CostCentre", "text", false, "a", "b", "x")), _ => true);
        Assert.Equal(new SchemaChange(DriftChangeKind.Renamed, "Cost_Center", "CostCentre", null, null, true, FindingSeverity.Critical), Assert.Single(renamed));
        Assert.Equal("renamed:Cost_Center->CostCentre", renamed[0].Key);

        var other = SchemaDrift.Diff(before, S(F("CostCentre", "text", false, "x", "y", "z")), _ => true);
        Assert.Equal([DriftChangeKind.Removed, DriftChangeKind.Added], other.Select(c => c.Kind));

        var unrelated = SchemaDrift.Diff(before, S(F("Org_Unit", "text", false, "a", "b", "c")), _ => false);
        Assert.Equal([DriftChangeKind.Removed, DriftChangeKind.Added], unrelated.Select(c => c.Kind));
    }

    [Fact]
    public void Type_changes_and_new_required_attributes_are_reported_but_an_empty_column_is_no_type_change()
    {
        var changes = SchemaDrift.Diff(
            S(F("Birth_Date", "date"), F("Notes", "empty"), F("user.mail")),
            S(F("Birth_Date", "text"), F("Notes", "text"), F("user.mail", "text", true), F("user.costCenter", "text", true)),
            n => n == "Birth_Date");
        Assert.Equal(
            [(DriftChangeKind.TypeChanged, "Birth_Date", FindingSeverity.Warning), (DriftChangeKind.NewRequired, "user.mail", FindingSeverity.Warning), (DriftChangeKind.NewRequired, "user.costCenter", FindingSeverity.Warning)],
            changes.Select(c => (c.Kind, c.Field, c.Severity)));
        Assert.Equal("date", changes[0].From);
        Assert.Equal("text", changes[0].To);
    }

    [Fact]
    public void The_hash_ignores_values_and_order_but_not_types()
    {
        var a = S(F("A", "text", false, "1"), F("B", "date"));
        Assert.Equal(a.Hash, S(F("B", "date"), F("A", "text", false, "2")).Hash);
        Assert.NotEqual(a.Hash, S(F("A", "number"), F("B", "date")).Hash);
        Assert.Empty(SchemaDrift.Diff(a, a, _ => true));
    }

    [Theory]
    [InlineData("Cost_Center", "CostCenter", 1.0)]
    [InlineData("Dept", "Dept_Name", 0.6)]
    [InlineData("Department", "Org_Unit", 0.0)]
    public void Name_similarity_folds_case_and_punctuation(string a, string b, double atLeast)
    {
        var score = SchemaDrift.NameSimilarity(a, b);
        Assert.InRange(score, atLeast, 1.0);
        if (atLeast == 0.0)
            Assert.True(score < SchemaDrift.NameThreshold);
    }

    [Fact]
    public void Source_types_are_inferred_from_the_sample()
    {
        string[] columns = ["Id", "Begin", "Title", "End"];
        IReadOnlyDictionary<string, string?>[] rows =
        [
            new Dictionary<string, string?> { ["Id"] = "100", ["Begin"] = "03/02/2015", ["Title"] = "CEO", ["End"] = "" },
            new Dictionary<string, string?> { ["Id"] = "101", ["Begin"] = "2015-06-15", ["Title"] = "VP", ["End"] = null },
        ];
        var shape = SchemaDrift.InferSource(columns, rows, v => "h:" + v);
        Assert.Equal(["number", "date", "text", "empty"], shape.Fields.Select(f => f.Type));
        Assert.Equal(1.0, shape.Find("End")!.EmptyShare);
        Assert.Equal(["h:CEO", "h:VP"], shape.Find("Title")!.Fingerprints);
    }
}
