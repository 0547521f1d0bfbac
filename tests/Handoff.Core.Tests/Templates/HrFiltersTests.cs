using Handoff.Core.Templates;

namespace Handoff.Core.Tests.Templates;

public class HrFiltersTests
{
    private static string Render(string source, object? value) =>
        HandoffTemplate.Parse(source).Render(new Dictionary<string, object?> { ["v"] = value });

    [Theory]
    [InlineData("Zoë Núñez", "Zoe Nunez")]
    [InlineData("François Müller", "Francois Muller")]
    [InlineData("Straße", "Strasse")]
    [InlineData("Søren Ørsted", "Soren Orsted")]
    [InlineData("Ærø Encyclopædia", "AEro Encyclopaedia")]
    [InlineData("Łukasz Wałęsa", "Lukasz Walesa")]
    [InlineData("Đorđe", "Dorde")]
    [InlineData("Þórunn Sigurðardóttir", "Thorunn Sigurdardottir")]
    [InlineData("Çağla Öztürk", "Cagla Ozturk")]
    [InlineData("Ana-María José", "Ana-Maria Jose")]
    [InlineData("Dvořák Čapek", "Dvorak Capek")]
    [InlineData("plain ascii 123", "plain ascii 123")]
    public void Normalize_diacritics(string input, string expected)
    {
        Assert.Equal(expected, HrFilters.NormalizeDiacritics(input));
        Assert.Equal(expected, Render("{{ v | normalize_diacritics }}", input));
    }

    [Theory]
    [InlineData("Zoë O'Brien-Núñez", "zoe-obrien-nunez")]
    [InlineData("  Jean  Luc   Picard ", "jean-luc-picard")]
    [InlineData("D’Angelo", "dangelo")]
    [InlineData("Mary-Kate & Ashley!", "mary-kate-ashley")]
    [InlineData("Straße 12", "strasse-12")]
    [InlineData("---", "")]
    [InlineData("", "")]
    public void Slug(string input, string expected)
    {
        Assert.Equal(expected, HrFilters.Slug(input));
        Assert.Equal(expected, Render("{{ v | slug }}", input));
    }

    [Fact]
    public void Slug_takes_a_separator()
    {
        Assert.Equal("zoeobriennunez", Render("{{ v | slug: \"\" }}", "Zoë O'Brien-Núñez"));
        Assert.Equal("zoe_obrien_nunez", Render("{{ v | slug: \"_\" }}", "Zoë O'Brien-Núñez"));
        Assert.Equal("zoe.obrien.nunez", Render("{{ v | slug: \".\" }}", "Zoë O'Brien-Núñez"));
    }

    [Theory]
    [InlineData("2026-01-31", 1, "2026-02-01")]
    [InlineData("2026-03-01", -1, "2026-02-28")]
    [InlineData("2028-03-01", -1, "2028-02-29")]
    [InlineData("2028-02-28", 1, "2028-02-29")]
    [InlineData("2026-12-31", 1, "2027-01-01")]
    [InlineData("2026-01-05", 0, "2026-01-05")]
    [InlineData("2026-01-05", -30, "2025-12-06")]
    public void Add_days_on_iso_strings_and_dates(string date, int days, string expected)
    {
        Assert.Equal(expected, Render($"{{{{ v | add_days: {days} }}}}", date));
        Assert.Equal(expected, Render($"{{{{ v | add_days: {days} }}}}", DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Add_days_on_date_times_keeps_the_time()
    {
        Assert.Equal("2026-03-01T07:30:00Z", Render("{{ v | add_days: -1 }}", new DateTimeOffset(2026, 3, 2, 9, 30, 0, TimeSpan.FromHours(2))));
        Assert.Equal("2028-02-29T23:00:00Z", Render("{{ v | add_days: 1 }}", new DateTime(2028, 2, 28, 23, 0, 0, DateTimeKind.Utc)));
        Assert.Equal("2026-01-06T10:00:00Z", Render("{{ v | add_days: 1 }}", "2026-01-05T10:00:00Z"));
    }

    [Fact]
    public void Add_days_passes_missing_values_through_and_rejects_non_dates()
    {
        Assert.Equal("none", Render("{{ v | add_days: 1 | default: \"none\" }}", null));
        Assert.Contains("is not an ISO 8601 date", Assert.Throws<TemplateRenderException>(() => Render("{{ v | add_days: 1 }}", "next week")).Message);
        Assert.Contains("whole number", Assert.Throws<TemplateRenderException>(() => Render("{{ v | add_days: 1.5 }}", "2026-01-01")).Message);
        Assert.Contains("whole number", Assert.Throws<TemplateRenderException>(() => Render("{{ v | add_days }}", "2026-01-01")).Message);
    }

    [Theory]
    [InlineData("yyyy-MM-dd", "2026-03-02")]
    [InlineData("dd.MM.yyyy", "02.03.2026")]
    [InlineData("dddd d MMMM yyyy", "Monday 2 March 2026")]
    [InlineData("yyyyMMdd", "20260302")]
    [InlineData("yyyy-MM-ddTHH:mm", "2026-03-02T00:00")]
    public void Format_date_uses_dotnet_patterns_in_the_invariant_culture(string pattern, string expected)
    {
        Assert.Equal(expected, Render($"{{{{ v | format_date: \"{pattern}\" }}}}", new DateOnly(2026, 3, 2)));
        Assert.Equal(expected, Render($"{{{{ v | format_date: \"{pattern}\" }}}}", "2026-03-02"));
    }

    [Fact]
    public void Format_date_on_date_times()
    {
        Assert.Equal("2026-03-02 09:30 +02:00",
            Render("{{ v | format_date: \"yyyy-MM-dd HH:mm zzz\" }}", "2026-03-02T09:30:00+02:00"));
        Assert.Equal("07:30", Render("{{ v | format_date: \"HH:mm\" }}", new DateTimeOffset(2026, 3, 2, 9, 30, 0, TimeSpan.FromHours(2))));
    }
}
