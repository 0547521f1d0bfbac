using Handoff.Core.Workspace;

namespace Handoff.Core.Tests.Workspace;

public sealed class CharterGovernanceTests
{
    private const string Members = """
        charter:
          members:
            - { id: alice, side: hr, roles: [hr_admin], approver: true, email: alice@acme.example }
            - { id: ivan, side: it, roles: [it_admin], approver: true }

        """;

    [Fact]
    public void Acme_charter_has_sponsors_leads_change_rules_metrics_escalation_and_feedback_routing()
    {
        var charter = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!.Charter;

        Assert.Equal(new CharterPair("alice", "tara"), charter.Sponsors);
        Assert.Equal(new CharterPair("hector", "ivan"), charter.Leads);
        Assert.Equal([SystemOwner.Hr], charter.Changes.LogicOnly);
        Assert.Equal(6, charter.SuccessMetrics.Count);
        Assert.Contains(charter.SuccessMetrics, m => m is { Kpi: "automation_failure_rate", Target: "<1%", AtDays: 30 });
        Assert.Equal(["hector", "ivan", "alice", "tara"], charter.Escalation.Select(s => s.To));
        Assert.Equal(TimeSpan.FromDays(1), charter.Escalation[2].After);
        var wrongValue = charter.Feedback.Find("wrong_value")!;
        Assert.Equal((FeedbackRoute.HrOperations, new FeedbackSla(2, SlaUnit.BusinessDays)), (wrongValue.Route, wrongValue.Sla));
        Assert.Equal(FeedbackRoute.It, charter.Feedback.Find("account_access")!.Route);
        Assert.Equal("Europe/Berlin", charter.Feedback.TimeZone);
        Assert.Equal("hr-ops@acme.example", charter.Feedback.Mailboxes[FeedbackRoute.HrOperations]);
        Assert.Equal("alice.moreau@acme.example", charter.FindMember("alice")!.Email);
    }

    [Fact]
    public void The_governance_part_round_trips_through_the_writer()
    {
        var charter = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!.Charter;
        var yaml = WorkspaceWriter.ToYaml(charter);
        var again = WorkspaceLoader.LoadFromText(null, null, yaml);

        Assert.Empty(again.Errors);
        var c = again.Workspace!.Charter;
        Assert.Equal(yaml, WorkspaceWriter.ToYaml(c));
        Assert.Equal(charter.Sponsors, c.Sponsors);
        Assert.Equal(charter.SuccessMetrics.Select(m => (m.Kpi, m.Target, m.AtDays)), c.SuccessMetrics.Select(m => (m.Kpi, m.Target, m.AtDays)));
        Assert.Equal(charter.Escalation.Select(s => (s.To, s.After, s.Side)), c.Escalation.Select(s => (s.To, s.After, s.Side)));
        Assert.Equal(charter.Feedback.Categories.Select(x => (x.Id, x.Label, x.Route, x.Sla)), c.Feedback.Categories.Select(x => (x.Id, x.Label, x.Route, x.Sla)));
        Assert.Equal(charter.Feedback.WebhookSecretEnv, c.Feedback.WebhookSecretEnv);
    }

    [Fact]
    public void A_charter_without_governance_keeps_todays_rules()
    {
        var charter = TestWorkspace.Load(charter: Members).Workspace!.Charter;

        Assert.Null(charter.Sponsors);
        Assert.Same(CharterChangeRules.Default, charter.Changes);
        Assert.Same(FeedbackRules.Default, charter.Feedback);
        Assert.DoesNotContain("feedback", WorkspaceWriter.ToYaml(charter), StringComparison.Ordinal);
        // Today's rule: one approver of either side for logic only, HR and IT when access widens.
        Assert.Null(charter.Changes.StillNeeded(false, [SystemOwner.It], []));
        Assert.Equal("an IT approver (it widens permissions: write directory: groups)", charter.Changes.StillNeeded(true, [SystemOwner.Hr], ["write directory: groups"]));
        Assert.Equal("an HR and an IT approver (it widens permissions: x)", charter.Changes.StillNeeded(true, [], ["x"]));
    }

    [Fact]
    public void Logic_only_rule_from_the_charter_requires_its_side()
    {
        var rules = new CharterChangeRules([SystemOwner.Hr], [SystemOwner.Hr], [SystemOwner.Hr, SystemOwner.It]);
        Assert.Equal("an HR approver (logic-only change)", rules.StillNeeded(false, [SystemOwner.It], []));
        Assert.Null(rules.StillNeeded(false, [SystemOwner.Hr], []));
    }

    [Fact]
    public void Every_governance_mistake_is_reported_with_file_line_and_column()
    {
        var result = TestWorkspace.Load(charter: Members + """
              sponsors: { hr: ivan, it: nobody }
              changes:
                approve: { widens_permissions: [hr] }
              success_metrics:
                - { kpi: day_one_tickets, target: fewer }
                - { kpi: audit_completeness, target: 100%, at_days: 45 }
              escalation:
                - { to: alice, after: 2d }
                - { to: ivan, after: 1d }
                - { to: alice, after: soon }
              feedback:
                time_zone: Mars/Olympus
                categories:
                  - { id: wrong_value, route: payroll, sla: 2bd }
                  - { id: access, route: it, sla: 2 days }
                mailboxes: { it: not-an-address }
            """);

        Assert.False(result.Succeeded);
        var f = WorkspaceLoader.CharterFile;
        ErrorAssert.Has(result, f, 5, 19, "sponsors.hr: ivan is on the IT side, expected an HR member");
        ErrorAssert.Has(result, f, 5, 29, "sponsors.it: \"nobody\" is not a charter member; members: alice, ivan");
        ErrorAssert.Has(result, f, 7, 36, "widens_permissions must include it");
        ErrorAssert.Has(result, f, 9, 39, "target \"fewer\": expected a number or a percentage");
        ErrorAssert.Has(result, f, 10, 57, "at_days: expected 30, 60 or 90, found \"45\"");
        ErrorAssert.Has(result, f, 13, 26, "escalation steps must be in order: after 1d comes before the previous step's 2d");
        ErrorAssert.Has(result, f, 14, 27, "after: \"soon\" is not a duration");
        ErrorAssert.Has(result, f, 16, 16, "time_zone: \"Mars/Olympus\" is not a known IANA time zone");
        ErrorAssert.Has(result, f, 18, 35, "unknown route \"payroll\"; expected one of hr_operations, it");
        ErrorAssert.Has(result, f, 19, 39, "sla: \"2 days\" is not an SLA; expected hours, calendar days or business days such as 8h, 3d, 2bd");
        ErrorAssert.Has(result, f, 20, 22, "\"not-an-address\" is not a mail address");
    }

    [Fact]
    public void Unknown_governance_keys_list_the_allowed_ones()
    {
        var result = TestWorkspace.Load(charter: Members + "  budget: 100\n");
        ErrorAssert.Single(result, WorkspaceLoader.CharterFile, 5, 3, "unknown key \"budget\" in charter; allowed keys: owners, members, sponsors, leads, changes, success_metrics, escalation, feedback");
    }
}
