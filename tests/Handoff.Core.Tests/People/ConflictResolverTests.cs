using Handoff.Core.Dictionary;
using Handoff.Core.People;

namespace Handoff.Core.Tests.People;

public sealed class ConflictResolverTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    private static FieldDefinition Field(ConflictRule rule, string? sor = "hris", params string[] writers) =>
        new("start_date", "Start date", FieldType.Date, Classification.Internal, false, [], sor, writers, rule, []);

    private static Observation Say(string system, string? value, int minutes = 0, DateOnly? effective = null) =>
        new(system, system + "-key", value, T0.AddMinutes(minutes), effective);

    [Fact]
    public void System_of_record_wins_and_the_disagreement_is_reported()
    {
        var field = Field(ConflictRule.SystemOfRecordRule, "hris", "ats");
        var r = ConflictResolver.Resolve(field, [Say("ats", "2027-01-04", 5), Say("hris", "2027-01-11")], null);
        Assert.Equal(("2027-01-11", "hris"), (r.Winner!.Value, r.Winner.System));
        Assert.Equal(2, r.Conflicting.Count);
        Assert.False(r.NeedsReview);
    }

    [Fact]
    public void Without_a_value_from_the_system_of_record_the_writers_order_is_the_fallback()
    {
        var field = Field(ConflictRule.SystemOfRecordRule, "hris", "ats", "payroll");
        var r = ConflictResolver.Resolve(field, [Say("payroll", "2027-01-02"), Say("ats", "2027-01-04")], null);
        Assert.Equal("ats", r.Winner!.System);
    }

    [Fact]
    public void Priority_takes_the_first_non_empty_value_in_order()
    {
        var field = Field(new ConflictRule(ConflictRuleKind.Priority, ["hris", "ats"]), "hris", "ats");
        Assert.Equal("ats", ConflictResolver.Resolve(field, [Say("hris", null), Say("ats", "x")], null).Winner!.System);
        Assert.Equal("hris", ConflictResolver.Resolve(field, [Say("ats", "x"), Say("hris", "y")], null).Winner!.System);
    }

    [Fact]
    public void Most_recent_prefers_the_later_effective_date_then_the_later_observation()
    {
        var field = Field(new ConflictRule(ConflictRuleKind.MostRecent, []), "hris", "ats");
        Assert.Equal("ats", ConflictResolver.Resolve(field, [Say("hris", "a", 0), Say("ats", "b", 10)], null).Winner!.System);
        Assert.Equal("hris", ConflictResolver.Resolve(field, [Say("hris", "a", 0, new DateOnly(2027, 1, 1)), Say("ats", "b", 10)], null).Winner!.System);
    }

    [Fact]
    public void Manual_holds_the_current_value_and_asks_for_a_decision()
    {
        var field = Field(new ConflictRule(ConflictRuleKind.Manual, []), "hris", "ats");
        var current = new ResolvedValue("a", "ats", "ats-key", T0, null);
        var r = ConflictResolver.Resolve(field, [Say("hris", "b"), Say("ats", "a")], current);
        Assert.Same(current, r.Winner);
        Assert.True(r.NeedsReview);
        Assert.False(ConflictResolver.Resolve(field, [Say("hris", "a"), Say("ats", "a")], current).NeedsReview);
    }

    [Fact]
    public void A_system_that_is_not_an_authorized_writer_is_ignored()
    {
        var field = Field(ConflictRule.SystemOfRecordRule, "hris");
        var r = ConflictResolver.Resolve(field, [Say("directory", "1999-01-01")], null);
        Assert.Null(r.Winner);
        Assert.Empty(r.Conflicting);
    }
}
