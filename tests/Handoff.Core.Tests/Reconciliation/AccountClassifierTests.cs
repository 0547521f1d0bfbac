using Handoff.Core.Connectors;
using Handoff.Core.Dictionary;
using Handoff.Core.People;
using Handoff.Core.Reconciliation;
using Handoff.Core.Workspace;

namespace Handoff.Core.Tests.Reconciliation;

/// <summary>The pure part of reconciliation, on the Acme dictionary's <c>directory</c> bindings:
/// employeeID (on_create), givenName, sn, department, title and accountExpires (enforce), mail (if_empty).</summary>
public sealed class AccountClassifierTests
{
    private static readonly DictionaryDefinition Acme = LoadAcme();

    private static DictionaryDefinition LoadAcme()
    {
        var loaded = WorkspaceLoader.Load(TestWorkspace.AcmeSample);
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors));
        return loaded.Workspace!.Dictionary;
    }

    private static readonly ReconcilePlan Plan = ReconcilePlan.For(Acme, "directory");

    private static readonly Guid Ada = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid Bob = Guid.Parse("00000000-0000-0000-0000-00000000000b");

    private static PersonExpectation Person(Guid id, string employeeId, LifecycleState state = LifecycleState.Active, string title = "Engineer",
        string? email = null, string? termination = null) =>
        Plan.Expect(id, state, new Dictionary<string, string?>
        {
            ["employee_id"] = employeeId,
            ["first_name"] = "Ada",
            ["last_name"] = "Lovelace",
            ["department"] = "Research",
            ["job_title"] = title,
            ["work_email"] = email,
            ["termination_date"] = termination,
        });

    private static TargetObject Account(string dn, string? anchor, string username = "ada", bool enabled = true, string title = "Engineer",
        string? mail = null, DateOnly? expires = null, string givenName = "Ada") =>
        new(ObjectClasses.Account, dn, anchor, new Dictionary<string, object?>
        {
            [AccountAttributes.Username] = username,
            ["sAMAccountName"] = username,
            ["employeeID"] = anchor,
            ["givenName"] = givenName,
            ["sn"] = "Lovelace",
            ["department"] = "Research",
            ["title"] = title,
            ["mail"] = mail,
            [AccountAttributes.Enabled] = enabled,
            [AccountAttributes.Expires] = expires,
        });

    private static AccountClassifier Classifier(params PersonExpectation[] people)
    {
        var c = new AccountClassifier(Plan);
        foreach (var p in people)
            c.AddPerson(p);
        return c;
    }

    [Fact]
    public void The_plan_lists_every_binding_of_the_system_with_its_strength()
    {
        var byField = Plan.Bindings.ToDictionary(b => b.Field.Name, b => b.Binding.Strength);
        Assert.Equal(WriteStrength.OnCreate, byField["employee_id"]);
        Assert.Equal(WriteStrength.IfEmpty, byField["work_email"]);
        Assert.Equal(WriteStrength.Enforce, byField["job_title"]);
        Assert.Equal(WriteStrength.Enforce, byField["termination_date"]);
        Assert.DoesNotContain("birth_date", byField.Keys);
    }

    [Fact]
    public void A_linked_account_with_the_canonical_values_is_in_sync()
    {
        var c = Classifier(Person(Ada, "1001"));
        c.AddLink(new LinkShadow(1, Ada, "CN=Ada,OU=People", "ada"));

        var item = c.Classify(Account("cn=ada,ou=people", "1001"));

        Assert.NotNull(item);
        Assert.Equal(AccountClass.InSync, item.Class);
        Assert.Equal("native_id", item.MatchedBy);
        Assert.False(item.Relink);
        Assert.Empty(c.Finish());
    }

    [Fact]
    public void Differences_are_compared_in_canonical_form_and_listed_per_field_with_their_strength()
    {
        var c = Classifier(Person(Ada, "1001", title: "Principal Engineer", email: "ada@acme.example", termination: "2026-12-31"));
        c.AddLink(new LinkShadow(1, Ada, "cn=ada", "ada"));

        // the mail differs only in case (emails are lower-cased canonically); the expiry is the same day
        var item = c.Classify(Account("cn=ada", "1001", title: "Engineer", mail: "ADA@Acme.Example", expires: new DateOnly(2026, 12, 31), givenName: "ada"))!;

        Assert.Equal(AccountClass.Drifted, item.Class);
        var drift = Assert.Single(item.Drift);
        Assert.Equal(("job_title", "title", "Principal Engineer", "Engineer", WriteStrength.Enforce), (drift.Field, drift.Native, drift.Expected, drift.Actual, drift.Strength));
        Assert.True(drift.Repairable);
    }

    [Fact]
    public void Only_enforce_drift_is_repairable_and_the_repair_writes_native_names()
    {
        var c = Classifier(Person(Ada, "1001", title: "CTO", email: "ada@acme.example", termination: "2027-01-31"));
        c.AddLink(new LinkShadow(1, Ada, "cn=ada", "ada"));

        var item = c.Classify(Account("cn=ada", "9999", title: "Engineer", mail: "someone@else.example"))!;

        Assert.Equal(AccountClass.Drifted, item.Class);
        Assert.Equal(["employee_id", "job_title", "termination_date", "work_email"], item.Drift.Select(d => d.Field).Order());
        Assert.Equal(["job_title", "termination_date"], item.Repairs.Select(d => d.Field).Order());
        var attributes = Plan.RepairAttributes(item.Repairs);
        Assert.Equal("CTO", attributes["title"]);
        Assert.Equal(new DateOnly(2027, 1, 31), attributes[AccountAttributes.Expires]);
        Assert.False(attributes.ContainsKey("mail"));
        Assert.False(attributes.ContainsKey("employeeID"));
    }

    [Fact]
    public void A_value_the_person_does_not_have_is_drift_when_the_account_has_one()
    {
        var c = Classifier(Person(Ada, "1001"));
        c.AddLink(new LinkShadow(1, Ada, "cn=ada", "ada"));

        var item = c.Classify(Account("cn=ada", "1001", mail: "ada@acme.example"))!;

        var drift = Assert.Single(item.Drift);
        Assert.Equal(("work_email", (string?)null, "ada@acme.example"), (drift.Field, drift.Expected, drift.Actual));
        Assert.Empty(item.Repairs);
    }

    [Fact]
    public void Accounts_of_people_who_are_gone_or_terminated_but_enabled_are_orphans()
    {
        var gone = Guid.NewGuid();
        var c = Classifier(Person(Ada, "1001", LifecycleState.Terminated), Person(Bob, "1002", LifecycleState.Purged));
        c.AddLink(new LinkShadow(1, Ada, "cn=ada", "ada"));
        c.AddLink(new LinkShadow(2, Bob, "cn=bob", "bob"));
        c.AddLink(new LinkShadow(3, gone, "cn=gone", "gone"));

        var enabled = c.Classify(Account("cn=ada", "1001", enabled: true))!;
        var purged = c.Classify(Account("cn=bob", "1002", username: "bob"))!;
        var missingPerson = c.Classify(Account("cn=gone", null, username: "gone"))!;

        Assert.Equal(AccountClass.Orphan, enabled.Class);
        Assert.Contains("terminated", enabled.Reason);
        Assert.Equal(AccountClass.Orphan, purged.Class);
        Assert.Contains("purged", purged.Reason);
        Assert.Equal(AccountClass.Orphan, missingPerson.Class);
        Assert.Contains("no longer exists", missingPerson.Reason);
    }

    [Fact]
    public void A_terminated_persons_disabled_account_is_what_the_lifecycle_wants()
    {
        var c = Classifier(Person(Ada, "1001", LifecycleState.Terminated));
        c.AddLink(new LinkShadow(1, Ada, "cn=ada", "ada"));

        Assert.Equal(AccountClass.InSync, c.Classify(Account("cn=ada", "1001", enabled: false))!.Class);
    }

    [Fact]
    public void An_account_without_link_or_known_anchor_is_unmanaged()
    {
        var c = Classifier(Person(Ada, "1001"));

        var stranger = c.Classify(Account("cn=admin", null, username: "admin"))!;
        var foreignAnchor = c.Classify(Account("cn=x", "5555", username: "x"))!;

        Assert.Equal(AccountClass.Unmanaged, stranger.Class);
        Assert.Null(stranger.PersonId);
        Assert.Equal(AccountClass.Unmanaged, foreignAnchor.Class);
        Assert.Contains("5555", foreignAnchor.Reason);
    }

    [Fact]
    public void An_unlinked_account_with_a_persons_anchor_is_theirs_and_is_linked_again_once()
    {
        var c = Classifier(Person(Ada, "1001"));

        var first = c.Classify(Account("cn=ada", "1001"))!;
        var second = c.Classify(Account("cn=ada2", "1001", username: "ada2"))!;

        Assert.Equal((AccountClass.InSync, "anchor", true, (Guid?)Ada), (first.Class, first.MatchedBy, first.Relink, first.PersonId));
        Assert.Equal(AccountClass.Unmanaged, second.Class);
    }

    [Fact]
    public void A_link_whose_account_is_gone_is_missing()
    {
        var c = Classifier(Person(Ada, "1001"), Person(Bob, "1002"));
        c.AddLink(new LinkShadow(1, Ada, "cn=ada", "ada"));
        c.AddLink(new LinkShadow(2, Bob, "cn=bob", "bob"));

        Assert.Equal(AccountClass.InSync, c.Classify(Account("cn=ada", "1001"))!.Class);
        var missing = Assert.Single(c.Finish());

        Assert.Equal((AccountClass.Missing, "cn=bob", (Guid?)Bob), (missing.Class, missing.NativeId, missing.PersonId));
    }

    [Fact]
    public void A_renamed_account_is_found_by_its_anchor_and_relinked_instead_of_missing()
    {
        var c = Classifier(Person(Ada, "1001"));
        c.AddLink(new LinkShadow(1, Ada, "cn=ada,ou=old", "ada"));

        Assert.Null(c.Classify(Account("cn=ada,ou=new", "1001")));
        var item = Assert.Single(c.Finish());

        Assert.Equal((AccountClass.InSync, "anchor", true, "cn=ada,ou=new"), (item.Class, item.MatchedBy, item.Relink, item.NativeId));
    }

    [Fact]
    public void A_second_account_with_the_anchor_of_a_linked_person_is_unmanaged_whatever_the_order()
    {
        foreach (var linkedFirst in new[] { true, false })
        {
            var c = Classifier(Person(Ada, "1001"));
            c.AddLink(new LinkShadow(1, Ada, "cn=ada", "ada"));
            var linked = Account("cn=ada", "1001");
            var copy = Account("cn=ada-copy", "1001", username: "ada-copy");

            var items = (linkedFirst ? new[] { c.Classify(linked), c.Classify(copy) } : [c.Classify(copy), c.Classify(linked)])
                .OfType<ReconcileItem>().Concat(c.Finish()).ToList();

            Assert.Equal(2, items.Count);
            Assert.Equal(AccountClass.InSync, items.Single(i => i.NativeId == "cn=ada").Class);
            var dup = items.Single(i => i.NativeId == "cn=ada-copy");
            Assert.Equal(AccountClass.Unmanaged, dup.Class);
            Assert.Contains("cn=ada", dup.Reason);
        }
    }

    [Fact]
    public void A_username_match_ties_an_account_without_anchor_to_its_link()
    {
        var c = Classifier(Person(Ada, "1001"));
        c.AddLink(new LinkShadow(1, Ada, "uid=ada,ou=old", "ada"));

        Assert.Null(c.Classify(Account("uid=ada,ou=new", null, username: "ADA")));
        var item = Assert.Single(c.Finish());

        // it lacks its employeeID: drift, reported but not repaired (on_create)
        Assert.Equal((AccountClass.Drifted, "username", true), (item.Class, item.MatchedBy, item.Relink));
        Assert.Equal("employee_id", Assert.Single(item.Drift).Field);
        Assert.Empty(item.Repairs);
    }
}
