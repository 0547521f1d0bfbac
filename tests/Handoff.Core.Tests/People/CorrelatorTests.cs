using Handoff.Core.Dictionary;
using Handoff.Core.People;

namespace Handoff.Core.Tests.People;

public sealed class CorrelatorTests
{
    private static readonly CorrelationRule[] Rules =
    [
        new(["employee_id"], false),
        new(["work_email"], false),
        new(["first_name", "last_name", "birth_date"], true),
    ];

    private sealed class Index : ICorrelationIndex
    {
        public Dictionary<(string, string), Guid> Links { get; } = [];
        public Dictionary<(string Rule, string Value), List<Guid>> Keys { get; } = [];

        public Guid? LinkedPerson(string system, string nativeKey) => Links.TryGetValue((system, nativeKey), out var p) ? p : null;

        public IReadOnlyCollection<Guid> PeopleWithKey(string rule, string value) => Keys.TryGetValue((rule, value), out var l) ? l : [];

        public string? KeyOf(Guid person, string rule) => Keys.FirstOrDefault(k => k.Key.Rule == rule && k.Value.Contains(person)).Key.Value;

        public void Hold(Guid person, string rule, string value) =>
            (Keys.TryGetValue((rule, value), out var l) ? l : Keys[(rule, value)] = []).Add(person);
    }

    private static Dictionary<string, string?> Values(params (string, string?)[] v) => v.ToDictionary(x => x.Item1, x => x.Item2);

    [Fact]
    public void Matches_by_the_strongest_key_and_case_insensitively()
    {
        var index = new Index();
        var ada = Guid.NewGuid();
        index.Hold(ada, "work_email", "ada@acme.example");
        var d = Correlator.Decide(Rules, "hris", "1", Values(("work_email", "Ada@ACME.example")), index);
        Assert.Equal(ada, Assert.IsType<CorrelationDecision.Match>(d).PersonId);
    }

    [Fact]
    public void Keys_of_two_different_people_are_a_collision()
    {
        var index = new Index();
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        index.Hold(a, "employee_id", "1");
        index.Hold(b, "work_email", "b@acme.example");
        var d = Assert.IsType<CorrelationDecision.Review>(Correlator.Decide(Rules, "hris", "1", Values(("employee_id", "1"), ("work_email", "b@acme.example")), index));
        Assert.Equal(Correlator.Collision, d.Kind);
        Assert.Equal(new[] { a, b }.Order(), d.Candidates.Order());
    }

    [Fact]
    public void A_weaker_key_match_with_a_different_stronger_key_is_a_collision()
    {
        var index = new Index();
        var a = Guid.NewGuid();
        index.Hold(a, "employee_id", "1");
        index.Hold(a, "work_email", "shared@acme.example");
        var d = Assert.IsType<CorrelationDecision.Review>(Correlator.Decide(Rules, "hris", "2", Values(("employee_id", "2"), ("work_email", "shared@acme.example")), index));
        Assert.Contains("employee_id differs", d.Reason);
    }

    [Fact]
    public void A_suggest_only_rule_never_links_it_asks()
    {
        var index = new Index();
        var a = Guid.NewGuid();
        index.Hold(a, "first_name+last_name+birth_date", "ada\u001flovelace\u001f1815-12-10");
        var d = Correlator.Decide(Rules, "ats", "C1", Values(("first_name", "Ada"), ("last_name", "Lovelace"), ("birth_date", "1815-12-10")), index);
        Assert.Equal(Correlator.PossibleMatch, Assert.IsType<CorrelationDecision.Review>(d).Kind);
        Assert.IsType<CorrelationDecision.NoMatch>(Correlator.Decide(Rules, "ats", "C2", Values(("first_name", "Ada"), ("last_name", "Byron")), index));
    }

    [Fact]
    public void A_linked_record_stays_with_its_person()
    {
        var index = new Index();
        var a = Guid.NewGuid();
        index.Links[("hris", "1")] = a;
        Assert.Equal(a, Assert.IsType<CorrelationDecision.Match>(Correlator.Decide(Rules, "hris", "1", Values(("work_email", "new@acme.example")), index)).PersonId);
    }
}
