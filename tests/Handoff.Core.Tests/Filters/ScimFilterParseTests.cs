using Handoff.Core.Filters;

namespace Handoff.Core.Tests.Filters;

public class ScimFilterParseTests
{
    private static AttributePath P(string name, string? sub = null) => new(null, name, sub);

    [Theory]
    [InlineData("eq", ComparisonOperator.Eq)]
    [InlineData("ne", ComparisonOperator.Ne)]
    [InlineData("co", ComparisonOperator.Co)]
    [InlineData("sw", ComparisonOperator.Sw)]
    [InlineData("ew", ComparisonOperator.Ew)]
    [InlineData("gt", ComparisonOperator.Gt)]
    [InlineData("ge", ComparisonOperator.Ge)]
    [InlineData("lt", ComparisonOperator.Lt)]
    [InlineData("le", ComparisonOperator.Le)]
    [InlineData("EQ", ComparisonOperator.Eq)]
    [InlineData("Sw", ComparisonOperator.Sw)]
    public void Every_comparison_operator_parses_case_insensitively(string op, ComparisonOperator expected)
    {
        Assert.Equal(new Comparison(P("userName"), expected, new FilterString("bjensen")), ScimFilter.Parse($"userName {op} \"bjensen\""));
    }

    [Fact]
    public void Present_parses()
    {
        Assert.Equal(new Present(P("title")), ScimFilter.Parse("title pr"));
        Assert.Equal(new Present(P("title")), ScimFilter.Parse("title PR"));
    }

    [Fact]
    public void Values_are_strings_numbers_booleans_and_null()
    {
        Assert.Equal(new Comparison(P("age"), ComparisonOperator.Gt, new FilterNumber(-1.5m)), ScimFilter.Parse("age gt -1.5"));
        Assert.Equal(new Comparison(P("age"), ComparisonOperator.Gt, new FilterNumber(1200m)), ScimFilter.Parse("age gt 1.2e3"));
        Assert.Equal(new Comparison(P("active"), ComparisonOperator.Eq, new FilterBoolean(true)), ScimFilter.Parse("active eq true"));
        Assert.Equal(new Comparison(P("active"), ComparisonOperator.Eq, new FilterBoolean(false)), ScimFilter.Parse("active eq FALSE"));
        Assert.Equal(new Comparison(P("manager"), ComparisonOperator.Eq, null), ScimFilter.Parse("manager eq null"));
    }

    [Fact]
    public void String_escapes_are_decoded()
    {
        var parsed = (Comparison)ScimFilter.Parse("""displayName eq "O\"Brien \\ \/ \n\t\u00e9\uD83D\uDE00" """);
        Assert.Equal("O\"Brien \\ / \n\té\U0001F600", ((FilterString)parsed.Value!).Value);
    }

    [Fact]
    public void And_binds_tighter_than_or()
    {
        var a = new Present(P("a"));
        var b = new Present(P("b"));
        var c = new Present(P("c"));
        Assert.Equal(new Or(a, new And(b, c)), ScimFilter.Parse("a pr or b pr and c pr"));
        Assert.Equal(new Or(new And(a, b), c), ScimFilter.Parse("a pr and b pr or c pr"));
        Assert.Equal(new And(a, new Or(b, c)), ScimFilter.Parse("a pr and (b pr or c pr)"));
        Assert.Equal(new And(new And(a, b), c), ScimFilter.Parse("a pr AND b pr And c pr"));
    }

    [Fact]
    public void Not_binds_tighter_than_and()
    {
        var a = new Present(P("a"));
        var b = new Present(P("b"));
        Assert.Equal(new And(new Not(a), b), ScimFilter.Parse("not (a pr) and b pr"));
        Assert.Equal(new Not(new Or(a, b)), ScimFilter.Parse("NOT (a pr or b pr)"));
        Assert.Equal(new Not(new Not(a)), ScimFilter.Parse("not(not(a pr))"));
    }

    [Fact]
    public void Attribute_paths_with_sub_attributes_and_urns()
    {
        Assert.Equal(new Present(P("name", "familyName")), ScimFilter.Parse("name.familyName pr"));
        const string enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        Assert.Equal(
            new Comparison(new AttributePath(enterprise, "employeeNumber"), ComparisonOperator.Eq, new FilterString("701984")),
            ScimFilter.Parse(enterprise + ":employeeNumber eq \"701984\""));
        Assert.Equal(
            new Present(new AttributePath(enterprise, "manager", "value")),
            ScimFilter.Parse(enterprise + ":manager.value pr"));
    }

    [Fact]
    public void Attribute_paths_compare_case_insensitively()
    {
        Assert.Equal(ScimFilter.Parse("USERNAME eq \"x\""), ScimFilter.Parse("userName eq \"x\""));
        Assert.Equal(new AttributePath("urn:A", "b", "C"), new AttributePath("URN:a", "B", "c"));
        Assert.Equal(new AttributePath("urn:A", "b", "C").GetHashCode(), new AttributePath("URN:a", "B", "c").GetHashCode());
    }

    [Fact]
    public void Complex_value_filters()
    {
        var inner = new And(
            new Comparison(P("type"), ComparisonOperator.Eq, new FilterString("work")),
            new Comparison(P("primary"), ComparisonOperator.Eq, new FilterBoolean(true)));
        Assert.Equal(new ValuePathFilter(P("emails"), inner), ScimFilter.Parse("emails[type eq \"work\" and primary eq true]"));

        var work = new Comparison(P("type"), ComparisonOperator.Eq, new FilterString("work"));
        Assert.Equal(new ValuePathFilter(P("emails"), work, "value"), ScimFilter.Parse("emails[type eq \"work\"].value"));
        Assert.Equal(new ValuePathFilter(P("emails"), work, "value"), ScimFilter.Parse("emails[type eq \"work\"].value pr"));
        Assert.Equal(
            new ValuePathFilter(P("emails"), work, "value", ComparisonOperator.Ew, new FilterString("@acme.com")),
            ScimFilter.Parse("emails[type eq \"work\"].value ew \"@acme.com\""));
    }

    [Fact]
    public void Rfc_examples_parse()
    {
        string[] examples =
        [
            "userName Eq \"john\"",
            "title pr and userType eq \"Employee\"",
            "title pr or userType eq \"Intern\"",
            "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"",
            "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")",
            "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")",
            "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]",
            "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]",
            "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
            "name.familyName co \"O'Malley\"",
        ];
        foreach (var example in examples)
            Assert.True(ScimFilter.TryParse(example, out _, out var error), $"{example}: {error?.Message}");
    }

    [Fact]
    public void Attributes_lists_every_path_once_with_value_path_members_qualified()
    {
        var filter = ScimFilter.Parse(
            "department eq \"Sales\" and (emails[type eq \"work\" and primary eq true].value pr or DEPARTMENT pr) and not (name.givenName sw \"A\")");
        Assert.Equal(
            [P("department"), P("emails", "type"), P("emails", "primary"), P("emails", "value"), P("name", "givenName")],
            filter.Attributes);
    }

    [Theory]
    [InlineData("a pr and b pr or c pr", "a pr and b pr or c pr")]
    [InlineData("a pr and (b pr or c pr)", "a pr and (b pr or c pr)")]
    [InlineData("(a pr)", "a pr")]
    [InlineData("a pr and (b pr and c pr)", "a pr and (b pr and c pr)")]
    [InlineData("USERNAME   EQ   \"x\"", "USERNAME eq \"x\"")]
    [InlineData("not(a pr)", "not (a pr)")]
    [InlineData("e[t eq \"w\"].v", "e[t eq \"w\"].v pr")]
    [InlineData("x eq \"tab\\there\\u0001\"", "x eq \"tab\\there\\u0001\"")]
    [InlineData("n eq 1.50", "n eq 1.50")]
    public void ToString_is_canonical(string text, string canonical)
    {
        Assert.Equal(canonical, ScimFilter.Parse(text).ToString());
    }
}
