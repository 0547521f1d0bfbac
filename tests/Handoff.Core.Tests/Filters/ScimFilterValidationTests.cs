using Handoff.Core.Filters;

namespace Handoff.Core.Tests.Filters;

public class ScimFilterValidationTests
{
    private static readonly Dictionary<AttributePath, FilterAttributeType> Schema = new()
    {
        [new(null, "userName")] = FilterAttributeType.String,
        [new(null, "active")] = FilterAttributeType.Boolean,
        [new(null, "age")] = FilterAttributeType.Number,
        [new(null, "start_date")] = FilterAttributeType.Date,
        [new(null, "meta", "lastModified")] = FilterAttributeType.DateTime,
        [new(null, "emails")] = FilterAttributeType.Complex,
        [new(null, "emails", "type")] = FilterAttributeType.String,
        [new(null, "emails", "value")] = FilterAttributeType.String,
        [new(null, "emails", "primary")] = FilterAttributeType.Boolean,
        [new(null, "photo")] = FilterAttributeType.Binary,
    };

    private static IReadOnlyList<string> Validate(string filter) =>
        ScimFilter.Validate(ScimFilter.Parse(filter), path => Schema.TryGetValue(path, out var type) ? type : null);

    [Theory]
    [InlineData("userName eq \"x\" and active eq true")]
    [InlineData("USERNAME co \"x\" or age ge 18")]
    [InlineData("start_date gt \"2026-01-01\" and meta.lastModified lt \"2026-01-01T00:00:00Z\"")]
    [InlineData("emails[type eq \"work\" and primary eq true].value ew \"@acme.com\"")]
    [InlineData("emails[type eq \"work\"].value")]
    [InlineData("userName eq null and not (active pr)")]
    public void Sound_filters_have_no_errors(string filter)
    {
        Assert.Empty(Validate(filter));
    }

    [Theory]
    [InlineData("active gt true", "\"gt\" cannot compare the boolean attribute \"active\"")]
    [InlineData("active co \"t\"", "\"co\" cannot compare the boolean attribute \"active\"")]
    [InlineData("dept eq \"Sales\"", "unknown attribute \"dept\"")]
    [InlineData("dept pr", "unknown attribute \"dept\"")]
    [InlineData("age sw 4", "\"sw\" cannot compare the number attribute \"age\"")]
    [InlineData("start_date co \"2026\"", "\"co\" cannot compare the date attribute \"start_date\"")]
    [InlineData("active eq \"yes\"", "the boolean attribute \"active\" cannot be compared with the string \"yes\"")]
    [InlineData("age eq \"42\"", "the number attribute \"age\" cannot be compared with the string \"42\"")]
    [InlineData("userName eq 42", "the string attribute \"userName\" cannot be compared with the number 42")]
    [InlineData("start_date gt \"soon\"", "the date attribute \"start_date\" cannot be compared with \"soon\", which is not an ISO 8601 date")]
    [InlineData("age gt null", "\"gt\" cannot compare with null (attribute \"age\")")]
    [InlineData("emails eq \"x\"", "\"eq\" cannot compare the complex attribute \"emails\"")]
    [InlineData("photo eq \"x\"", "\"eq\" cannot compare the binary attribute \"photo\"")]
    [InlineData("emails[kind eq \"work\"]", "unknown attribute \"emails.kind\"")]
    [InlineData("emails[primary gt true]", "\"gt\" cannot compare the boolean attribute \"emails.primary\"")]
    [InlineData("emails[type eq \"work\"].display", "unknown attribute \"emails.display\"")]
    [InlineData("emails[type eq \"work\"].primary co \"x\"", "\"co\" cannot compare the boolean attribute \"emails.primary\"")]
    [InlineData("userName[type eq \"x\"]", "\"userName[...]\" needs a complex attribute, but \"userName\" is a string attribute")]
    [InlineData("addresses[type eq \"x\"]", "unknown attribute \"addresses\"")]
    public void Nonsense_comparisons_and_unknown_attributes_are_reported(string filter, string error)
    {
        Assert.Contains(error, Validate(filter));
    }

    [Fact]
    public void Every_problem_is_reported_once()
    {
        var errors = Validate("dept eq \"a\" or dept eq \"b\" or active gt false");
        Assert.Equal(["unknown attribute \"dept\"", "\"gt\" cannot compare the boolean attribute \"active\""], errors);
    }
}
