using Handoff.Core.Filters;

namespace Handoff.Core.Tests.Filters;

public class ScimFilterErrorTests
{
    private static FilterSyntaxException Error(string text)
    {
        Assert.False(ScimFilter.TryParse(text, out var expression, out var error));
        Assert.Null(expression);
        Assert.Equal(error.Message, Assert.Throws<FilterSyntaxException>(() => ScimFilter.Parse(text)).Message);
        return error;
    }

    [Fact]
    public void Unknown_operator_names_what_was_expected_and_found()
    {
        var error = Error("department equals \"Sales\"");
        Assert.Equal(
            "expected a comparison operator (eq, ne, co, sw, ew, pr, gt, ge, lt, le) at column 12, found \"equals\"",
            error.Message);
        Assert.Equal(11, error.Position);
        Assert.Equal(12, error.Column);
        Assert.IsAssignableFrom<FormatException>(error);
    }

    [Theory]
    // Missing operator / value.
    [InlineData("userName = \"x\"", 9, "a comparison operator", "\"=\"")]
    [InlineData("userName", 8, "a comparison operator", "the end of the filter")]
    [InlineData("userName eq", 11, "a value", "the end of the filter")]
    [InlineData("userName eq bjensen", 12, "a value", "\"bjensen\"")]
    [InlineData("userName eq 'x'", 12, "a value", "\"'x'\"")]
    // Empty.
    [InlineData("", 0, "an attribute path", "the end of the filter")]
    [InlineData("   ", 3, "an attribute path", "the end of the filter")]
    // Dangling and / or.
    [InlineData("a pr and", 8, "an attribute path", "the end of the filter")]
    [InlineData("a pr or", 7, "an attribute path", "the end of the filter")]
    [InlineData("and a pr", 0, "an attribute path", "\"and\"")]
    [InlineData("a pr and or b pr", 9, "an attribute path", "\"or\"")]
    [InlineData("a pr b pr", 5, "\"and\", \"or\" or the end of the filter", "\"b\"")]
    // Unbalanced parentheses and brackets.
    [InlineData("(a pr", 5, "\"and\", \"or\" or \")\"", "the end of the filter")]
    [InlineData("(a pr or (b pr)", 15, "\"and\", \"or\" or \")\"", "the end of the filter")]
    [InlineData("a pr)", 4, "\"and\", \"or\" or the end of the filter", "\")\"")]
    [InlineData("()", 1, "an attribute path", "\")\"")]
    [InlineData("emails[type eq \"work\"", 21, "\"and\", \"or\" or \"]\"", "the end of the filter")]
    [InlineData("emails[type eq \"work\")", 21, "\"and\", \"or\" or \"]\"", "\")\"")]
    [InlineData("emails[]", 7, "a sub-attribute name", "\"]\"")]
    // not without parentheses.
    [InlineData("not a pr", 4, "\"(\" after \"not\"", "\"a\"")]
    // Bad numbers.
    [InlineData("n eq 01", 5, "a JSON number", "\"01\"")]
    [InlineData("n eq 1.", 5, "a JSON number", "\"1.\"")]
    [InlineData("n eq 1e", 5, "a JSON number", "\"1e\"")]
    public void Malformed_filters_report_position_expected_and_found(string text, int position, string expected, string found)
    {
        var error = Error(text);
        Assert.Equal(position, error.Position);
        Assert.Contains("expected " + expected, error.Message);
        Assert.Contains($"at column {position + 1}", error.Message);
        Assert.EndsWith("found " + found, error.Message);
    }

    [Fact]
    public void Missing_closing_quote_points_at_the_opening_quote()
    {
        var error = Error("userName eq \"bjensen");
        Assert.Equal(12, error.Position);
        Assert.Equal("expected a closing quote (\") for the string that starts at column 13, found the end of the filter", error.Message);
    }

    [Theory]
    [InlineData("x eq \"a\\qb\"", 7, "\"\\q\"")]
    [InlineData("x eq \"\\u12\"", 6, "four hex digits")]
    [InlineData("x eq \"abc\\", 9, "escape character")]
    public void Bad_escapes_are_reported(string text, int position, string mention)
    {
        var error = Error(text);
        Assert.Equal(position, error.Position);
        Assert.Contains(mention, error.Message);
    }

    [Theory]
    [InlineData("a..b pr", "at most one sub-attribute")]
    [InlineData("a.b.c pr", "at most one sub-attribute")]
    [InlineData("foo:bar pr", "must be a URN")]
    [InlineData("urn::x pr", "empty")]
    [InlineData("1abc pr", "JSON number")]
    public void Invalid_attribute_paths_are_rejected(string text, string mention)
    {
        Assert.Contains(mention, Error(text).Message);
    }

    [Fact]
    public void Value_filters_do_not_nest()
    {
        var error = Error("emails[type[value pr]]");
        Assert.Equal(11, error.Position);
        Assert.Contains("cannot be nested", error.Message);
        Assert.Contains("plain sub-attribute", Error("emails[name.x pr]").Message);
    }

    [Fact]
    public void Depth_bomb_is_rejected_without_overflowing_the_stack()
    {
        var bomb = new string('(', 4_000) + "a pr" + new string(')', 4_000);
        var error = Error(bomb);
        Assert.Contains($"more than {ScimFilter.MaxDepth} levels", error.Message);
        Assert.Equal(ScimFilter.MaxDepth, error.Position);

        var nots = string.Concat(Enumerable.Repeat("not (", 1_000)) + "a pr" + new string(')', 1_000);
        Assert.Contains("levels", Error(nots).Message);

        var deepest = new string('(', ScimFilter.MaxDepth) + "a pr" + new string(')', ScimFilter.MaxDepth);
        Assert.Equal(new Present(new AttributePath(null, "a")), ScimFilter.Parse(deepest));
    }

    [Fact]
    public void Overlong_filters_are_rejected()
    {
        var text = string.Join(" or ", Enumerable.Repeat("a pr", 3_000));
        var error = Error(text);
        Assert.Contains("the limit is 10000", error.Message);
    }

    [Fact]
    public void Long_flat_chains_within_the_limit_parse_and_evaluate()
    {
        var text = string.Join(" and ", Enumerable.Repeat("a pr", 1_000));
        var filter = ScimFilter.Parse(text);
        Assert.True(filter.Matches(new DictionaryFilterSubject(new Dictionary<string, object?> { ["a"] = "x" })));
        Assert.Equal(text, filter.ToString());
    }
}
