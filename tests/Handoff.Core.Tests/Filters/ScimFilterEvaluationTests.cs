using Handoff.Core.Filters;

namespace Handoff.Core.Tests.Filters;

public class ScimFilterEvaluationTests
{
    private static readonly Dictionary<string, object?> Person = new()
    {
        ["userName"] = "bjensen",
        ["displayName"] = "Zoë O'Brien",
        ["active"] = true,
        ["age"] = 42,
        ["salary"] = 5200.50m,
        ["rating"] = 4.5,
        ["badge"] = 1234567890123L,
        ["start_date"] = new DateOnly(2026, 3, 1),
        ["last_login"] = new DateTimeOffset(2026, 1, 5, 9, 30, 0, TimeSpan.Zero),
        ["hired_at"] = new DateTime(2020, 6, 1, 8, 0, 0, DateTimeKind.Utc),
        ["nickname"] = null,
        ["blank"] = "",
        ["groups"] = new List<object?> { "Sales", "Managers" },
        ["name"] = new Dictionary<string, object?> { ["givenName"] = "Barbara", ["familyName"] = "Jensen" },
        ["emails"] = new List<object?>
        {
            new Dictionary<string, object?> { ["type"] = "work", ["value"] = "bjensen@acme.com", ["primary"] = true },
            new Dictionary<string, object?> { ["type"] = "home", ["value"] = "babs@example.org", ["primary"] = false },
            new Dictionary<string, object?> { ["type"] = "other" },
        },
        ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = new Dictionary<string, object?>
        {
            ["employeeNumber"] = "701984",
        },
    };

    private static bool Matches(string filter, IReadOnlyDictionary<string, object?>? values = null) =>
        ScimFilter.Parse(filter).Matches(new DictionaryFilterSubject(values ?? Person));

    [Theory]
    [InlineData("userName eq \"bjensen\"", true)]
    [InlineData("userName eq \"BJENSEN\"", true)]
    [InlineData("USERNAME eq \"bjensen\"", true)]
    [InlineData("userName eq \"bjensen2\"", false)]
    [InlineData("userName ne \"bjensen\"", false)]
    [InlineData("userName ne \"other\"", true)]
    [InlineData("userName co \"JENS\"", true)]
    [InlineData("userName co \"x\"", false)]
    [InlineData("userName sw \"bj\"", true)]
    [InlineData("userName sw \"jen\"", false)]
    [InlineData("userName ew \"SEN\"", true)]
    [InlineData("userName ew \"bj\"", false)]
    [InlineData("userName gt \"a\"", true)]
    [InlineData("userName gt \"bjensen\"", false)]
    [InlineData("userName ge \"bjensen\"", true)]
    [InlineData("userName lt \"c\"", true)]
    [InlineData("userName le \"BJENSEN\"", true)]
    [InlineData("userName lt \"bjensen\"", false)]
    [InlineData("displayName co \"'\"", true)]
    public void String_comparisons_are_case_insensitive(string filter, bool expected)
    {
        Assert.Equal(expected, Matches(filter));
    }

    [Theory]
    [InlineData("age eq 42", true)]
    [InlineData("age eq 42.0", true)]
    [InlineData("age gt 41", true)]
    [InlineData("age gt 42", false)]
    [InlineData("age ge 42", true)]
    [InlineData("age lt 100", true)]
    [InlineData("age le 41.9", false)]
    [InlineData("age ne 42", false)]
    [InlineData("salary gt 5200.49", true)]
    [InlineData("rating lt 5", true)]
    [InlineData("rating eq 4.5", true)]
    [InlineData("badge gt 1e12", true)]
    [InlineData("age eq \"42\"", false)]
    [InlineData("age co 4", false)]
    public void Numbers_compare_numerically(string filter, bool expected)
    {
        Assert.Equal(expected, Matches(filter));
    }

    [Theory]
    [InlineData("active eq true", true)]
    [InlineData("active eq false", false)]
    [InlineData("active ne false", true)]
    [InlineData("active gt false", false)]
    [InlineData("active eq \"true\"", false)]
    public void Booleans_only_compare_for_equality(string filter, bool expected)
    {
        Assert.Equal(expected, Matches(filter));
    }

    [Theory]
    [InlineData("start_date eq \"2026-03-01\"", true)]
    [InlineData("start_date gt \"2026-01-01\"", true)]
    [InlineData("start_date lt \"2026-01-01\"", false)]
    [InlineData("start_date ge \"2026-03-01\"", true)]
    [InlineData("start_date le \"2026-02-28\"", false)]
    [InlineData("start_date gt \"2026-02-28T23:59:59Z\"", true)]
    [InlineData("start_date sw \"2026\"", false)]
    [InlineData("start_date gt \"not a date\"", false)]
    [InlineData("last_login gt \"2026-01-05\"", true)]
    [InlineData("last_login gt \"2026-01-05T10:00:00+02:00\"", true)]
    [InlineData("last_login eq \"2026-01-05T09:30:00Z\"", true)]
    [InlineData("last_login lt \"2026-01-05T09:30:01Z\"", true)]
    [InlineData("hired_at lt \"2020-06-01T09:00:00Z\"", true)]
    [InlineData("hired_at gt \"2020-06-01\"", true)]
    public void Dates_compare_chronologically(string filter, bool expected)
    {
        Assert.Equal(expected, Matches(filter));
    }

    [Theory]
    [InlineData("userName pr", true)]
    [InlineData("nickname pr", false)]
    [InlineData("blank pr", false)]
    [InlineData("missing pr", false)]
    [InlineData("groups pr", true)]
    [InlineData("emails pr", true)]
    [InlineData("name.familyName pr", true)]
    [InlineData("name.middleName pr", false)]
    [InlineData("nickname eq null", true)]
    [InlineData("missing eq null", true)]
    [InlineData("userName eq null", false)]
    [InlineData("userName ne null", true)]
    [InlineData("missing ne null", false)]
    [InlineData("missing gt null", false)]
    [InlineData("missing eq \"x\"", false)]
    [InlineData("missing ne \"x\"", true)]
    public void Presence_and_null(string filter, bool expected)
    {
        Assert.Equal(expected, Matches(filter));
    }

    [Theory]
    [InlineData("groups eq \"sales\"", true)]
    [InlineData("groups eq \"Admins\"", false)]
    [InlineData("groups ne \"Sales\"", false)]
    [InlineData("groups sw \"Man\"", true)]
    [InlineData("emails.value ew \"@example.org\"", true)]
    [InlineData("emails.type eq \"other\"", true)]
    [InlineData("emails.value ew \"@nowhere.net\"", false)]
    public void Multi_valued_attributes_match_when_any_element_matches(string filter, bool expected)
    {
        Assert.Equal(expected, Matches(filter));
    }

    [Theory]
    [InlineData("name.familyName eq \"jensen\"", true)]
    [InlineData("NAME.GIVENNAME sw \"barb\"", true)]
    [InlineData("emails[type eq \"work\"]", true)]
    [InlineData("emails[type eq \"work\" and primary eq true]", true)]
    [InlineData("emails[type eq \"home\" and primary eq true]", false)]
    [InlineData("emails[type eq \"home\" and value ew \"@acme.com\"]", false)]
    [InlineData("emails[type eq \"home\" or value ew \"@acme.com\"]", true)]
    [InlineData("emails[not (type eq \"work\")]", true)]
    [InlineData("emails[type eq \"work\"].value", true)]
    [InlineData("emails[type eq \"other\"].value", false)]
    [InlineData("emails[type eq \"work\"].value ew \"@acme.com\"", true)]
    [InlineData("emails[type eq \"home\"].value ew \"@acme.com\"", false)]
    [InlineData("name[familyName eq \"Jensen\"]", true)]
    [InlineData("userName[type eq \"x\"]", false)]
    [InlineData("missing[type eq \"x\"]", false)]
    public void Complex_attributes_and_value_filters(string filter, bool expected)
    {
        Assert.Equal(expected, Matches(filter));
    }

    [Theory]
    [InlineData("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"701984\"", true)]
    [InlineData("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq \"701984\"", true)]
    [InlineData("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"bjensen\"", true)]
    [InlineData("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq \"Jensen\"", true)]
    public void Urn_prefixed_paths_find_extension_and_core_attributes(string filter, bool expected)
    {
        Assert.Equal(expected, Matches(filter));
    }

    [Fact]
    public void Flat_urn_keys_are_found()
    {
        var values = new Dictionary<string, object?> { ["urn:x:y:Ext:costCenter"] = "CC-1" };
        Assert.True(Matches("urn:x:y:Ext:costCenter eq \"cc-1\"", values));
    }

    [Theory]
    [InlineData("userName eq \"bjensen\" and age gt 40", true)]
    [InlineData("userName eq \"bjensen\" and age gt 50", false)]
    [InlineData("userName eq \"x\" or age gt 40", true)]
    [InlineData("userName eq \"x\" or age gt 50 and active eq true", false)]
    [InlineData("(userName eq \"x\" or age gt 40) and active eq true", true)]
    [InlineData("userName eq \"bjensen\" or age gt 50 and active eq false", true)]
    [InlineData("not (userName eq \"bjensen\")", false)]
    [InlineData("not (userName eq \"x\") and not (missing pr)", true)]
    public void Logical_operators_follow_precedence(string filter, bool expected)
    {
        Assert.Equal(expected, Matches(filter));
    }

    [Fact]
    public void Keys_are_matched_case_insensitively_even_with_an_ordinal_dictionary()
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal) { ["Department"] = "Sales" };
        Assert.True(Matches("department eq \"sales\"", values));
    }

    private sealed class Subject(Dictionary<AttributePath, object?> values) : IFilterSubject
    {
        public bool TryGet(AttributePath path, out object? value) => values.TryGetValue(path, out value);
    }

    [Fact]
    public void Any_subject_can_be_filtered()
    {
        var subject = new Subject(new() { [new AttributePath(null, "title")] = "Engineer" });
        Assert.True(ScimFilter.Parse("TITLE co \"engine\"").Matches(subject));
        Assert.False(ScimFilter.Parse("title pr and missing pr").Matches(subject));
    }
}
