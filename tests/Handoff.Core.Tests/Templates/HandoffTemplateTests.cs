using Handoff.Core.Templates;

namespace Handoff.Core.Tests.Templates;

public class HandoffTemplateTests
{
    private static readonly Dictionary<string, object?> Person = new()
    {
        ["first_name"] = "Zoë",
        ["last_name"] = "O'Brien-Núñez",
        ["start_date"] = new DateOnly(2026, 3, 2),
        ["hired_at"] = new DateTimeOffset(2026, 3, 2, 9, 30, 0, TimeSpan.FromHours(2)),
        ["active"] = true,
        ["fte"] = 0.8m,
        ["grade"] = 7,
        ["groups"] = new List<object?> { "Sales", "Managers" },
        ["manager"] = new Dictionary<string, object?> { ["email"] = "boss@acme.com" },
        ["nickname"] = null,
    };

    private static string Render(string source, IReadOnlyDictionary<string, object?>? values = null) =>
        HandoffTemplate.Parse(source).Render(values ?? Person);

    [Fact]
    public void Username_template_from_the_workflow_docs()
    {
        Assert.Equal("zoe.obrien-nunez", Render("{{ first_name | slug }}.{{ last_name | slug }}"));
        Assert.Equal("2026-02-27", Render("{{ start_date | add_days: -3 | format_date: \"yyyy-MM-dd\" }}"));
    }

    [Fact]
    public void Plain_text_renders_as_itself()
    {
        const string text = "Welcome aboard!\n  Line two – with ünïcödé & <html> and { braces }";
        Assert.Equal(text, Render(text));
        Assert.Equal("", Render(""));
    }

    [Fact]
    public void Values_of_every_kind_render()
    {
        Assert.Equal("2026-03-02", Render("{{ start_date }}"));
        Assert.Equal("2026-03-02T07:30:00Z", Render("{{ hired_at }}"));
        Assert.Equal("true 0.8 7", Render("{{ active }} {{ fte }} {{ grade }}"));
        Assert.Equal("Sales, Managers|2", Render("{{ groups | join: \", \" }}|{{ groups | size }}"));
        Assert.Equal("boss@acme.com", Render("{{ manager.email }}"));
        Assert.Equal("|none", Render("{{ nickname }}|{{ nickname | default: \"none\" }}"));
        Assert.Equal("", Render("{{ not_given }}"));
    }

    [Fact]
    public void Variable_names_are_case_insensitive()
    {
        Assert.Equal("Zoë", Render("{{ First_Name }}"));
    }

    [Fact]
    public void Built_in_liquid_filters_still_work()
    {
        Assert.Equal("ZOË", Render("{{ first_name | upcase }}"));
        Assert.Equal("o'brien-núñez", Render("{{ last_name | downcase }}"));
        Assert.Equal("O'B...", Render("{{ last_name | truncate: 6 }}"));
        Assert.Equal("x", Render("{{ missing | default: \"x\" }}"));
        Assert.Equal("zoe@acme.com", Render("{{ first_name | normalize_diacritics | downcase | append: \"@acme.com\" }}"));
        Assert.Equal("yes", Render("{% if active and grade > 5 %}yes{% else %}no{% endif %}"));
        Assert.Equal("Sales;Managers;", Render("{% for g in groups %}{{ g }};{% endfor %}"));
    }

    [Fact]
    public void A_value_containing_template_syntax_is_output_literally()
    {
        var values = new Dictionary<string, object?>
        {
            ["first_name"] = "{{ secret }}{% for i in (1..100000) %}x{% endfor %}",
            ["secret"] = "hunter2",
        };
        Assert.Equal("{{ secret }}{% for i in (1..100000) %}x{% endfor %}", Render("{{ first_name }}", values));
        Assert.Equal("{{-secret-}}", Render("{{ first_name | replace: \" \", \"-\" | truncate: 12, \"\" }}", values));
        Assert.DoesNotContain("hunter2", Render("{{ first_name | upcase }}", values));
    }

    [Fact]
    public void Referenced_names_are_the_roots_the_template_reads()
    {
        var template = HandoffTemplate.Parse(
            "{{ first_name | slug }}.{{ last_name | slug: sep }}{% assign x = manager.email | downcase %}{{ x }}"
            + "{% for g in groups %}{{ g }}{{ forloop.index }}{% endfor %}{% if active %}{{ first_name }}{% elsif level > 2 %}{% endif %}");
        Assert.Equal(["first_name", "last_name", "sep", "manager", "groups", "active", "level"], template.ReferencedNames);
        Assert.Equal(["slug", "downcase"], template.FilterNames);
    }

    [Fact]
    public void A_name_read_before_the_template_assigns_it_is_referenced()
    {
        Assert.Equal(["x"], HandoffTemplate.Parse("{{ x }}{% assign x = 1 %}{{ x }}").ReferencedNames);
    }

    [Fact]
    public void Unknown_filter_is_rejected_at_parse_with_its_position_and_the_known_filters()
    {
        var error = Assert.Throws<TemplateSyntaxException>(() => HandoffTemplate.Parse("Hello\n{{ first_name | slugg }}"));
        Assert.StartsWith("unknown filter \"slugg\" at line 2, column 17; known filters: ", error.Message);
        Assert.Contains("slug", error.Message);
        Assert.Contains("add_days", error.Message);
        Assert.Equal(2, error.Line);
        Assert.Equal(17, error.Column);
        Assert.IsAssignableFrom<FormatException>(error);
    }

    // Positions are the ones Fluid reports: where its parser gave up.
    [Theory]
    [InlineData("Hello {{ first_name }", 1, 20)]
    [InlineData("line one\n{% if active %}yes", 2, 19)]
    [InlineData("{{ first_name | }}", 1, 16)]
    [InlineData("{% bogus %}", 1, 9)]
    public void Syntax_errors_give_line_and_column(string source, int line, int column)
    {
        Assert.False(HandoffTemplate.TryParse(source, out var template, out var error));
        Assert.Null(template);
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Contains($"at line {line}, column {column}", error.Message);
        Assert.DoesNotContain("Source:", error.Message);
    }

    [Theory]
    [InlineData("{% capture x %}a{% endcapture %}", "capture")]
    [InlineData("{% include 'other' %}", "include")]
    [InlineData("{% render 'other' %}", "render")]
    [InlineData("{% cycle 'a', 'b' %}", "cycle")]
    public void Tags_that_reach_files_or_grow_unbounded_are_not_allowed(string source, string tag)
    {
        var error = Assert.Throws<TemplateSyntaxException>(() => HandoffTemplate.Parse(source));
        Assert.Contains($"{{% {tag} %}}", error.Message);
    }

    [Theory]
    [InlineData("{% for i in (1..100000000) %}x{% endfor %}")]
    [InlineData("{% for i in (1..grade) %}x{% endfor %}")]
    public void Ranges_must_be_small_and_literal(string source)
    {
        Assert.Contains("range", Assert.Throws<TemplateSyntaxException>(() => HandoffTemplate.Parse(source)).Message);
    }

    [Fact]
    public void A_template_that_loops_too_long_is_stopped()
    {
        var template = HandoffTemplate.Parse(
            "{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}{% endfor %}{% endfor %}{% endfor %}");
        var error = Assert.Throws<TemplateRenderException>(() => template.Render(Person));
        Assert.Contains("steps", error.Message);
    }

    [Fact]
    public void Output_is_capped()
    {
        var values = new Dictionary<string, object?> { ["big"] = new string('x', 5_000) };
        var template = HandoffTemplate.Parse("{% for i in (1..100) %}{{ big }}{% endfor %}");
        Assert.Contains("longer than", Assert.Throws<TemplateRenderException>(() => template.Render(values)).Message);
    }

    [Fact]
    public void Doubling_a_string_in_a_loop_cannot_exhaust_memory()
    {
        var template = HandoffTemplate.Parse(
            "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..60) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}");
        var error = Assert.Throws<TemplateRenderException>(() => template.Render(Person));
        Assert.Contains("append", error.Message);
    }

    [Fact]
    public void Overlong_source_is_rejected()
    {
        Assert.Throws<TemplateSyntaxException>(() => HandoffTemplate.Parse(new string('x', HandoffTemplate.MaxSourceLength + 1)));
    }

    [Fact]
    public async Task Renders_asynchronously_too()
    {
        Assert.Equal("zoe", await HandoffTemplate.Parse("{{ first_name | slug }}").RenderAsync(Person));
    }
}
