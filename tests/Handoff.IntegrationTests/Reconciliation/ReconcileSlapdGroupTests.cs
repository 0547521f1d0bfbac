using System.DirectoryServices.Protocols;
using Handoff.Connectors;
using Handoff.Core.Connectors;
using Handoff.Data.Reconciliation;
using Handoff.Data.Tests;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;
using Handoff.IntegrationTests.Connectors.Ldap;

namespace Handoff.IntegrationTests.Reconciliation;

/// <summary>Group membership against the real slapd (groupOfNames in an OU of the test's own): the rule
/// <c>all-staff, dept-{{ department | slug }}</c> with strength enforce; memberships changed with plain
/// LDAP behind Handoff's back are found, repaired, and read back from the groups' <c>member</c> values.</summary>
public sealed class ReconcileSlapdGroupTests
{
    [Fact]
    public async Task Missing_and_extra_memberships_of_managed_groups_are_repaired_in_slapd_and_others_are_left_alone()
    {
        var slapd = TestDirectory.OpenLdap;
        var test = TestDirectory.Unique("grp");
        var peopleOu = $"ou=people-{test},ou=Handoff Tests";
        var groupOu = $"ou=groups-{test},ou=Handoff Tests";
        var workspace = ReconcileSlapdTests.AcmeWithSlapd(slapd, peopleOu,
            $"      group_ou: \"{groupOu}\"\n"
            + "      reconcile_groups: \"all-staff, dept-{{ department | slug }}\"\n"
            + "      reconcile_groups_strength: enforce");
        var spine = await DataSpine.StartAsync(TestDatabases.Sqlite, workspaceDir: workspace);
        var stem = Random.Shared.Next(10_000, 99_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string Id(int n) => $"7{stem}{n}";
        Dictionary<string, string?> Worker(int n, string first)
        {
            var w = WorkflowSpine.Worker(Id(n), first, "Grp" + test, "01/05/2026", department: "Research");
            w["Preferred_Name"] = $"{first} G.";
            return w;
        }
        await spine.SyncRecordsAsync("hris", Worker(1, "Ann"), Worker(2, "Ben"), Worker(3, "Cat"));

        var ldap = TargetConnectors.Ldap(spine.Definition.FindSystem("directory")!);
        var dns = new Dictionary<int, string>();
        await using (var db = spine.Db())
        {
            // Ann and Cat as the joiner left them; Ben also in a project group Handoff does not manage.
            foreach (var (n, first, groups) in new[] { (1, "Ann", new[] { "all-staff", "dept-research" }), (2, "Ben", ["all-staff", "dept-research", "project-apollo"]), (3, "Cat", ["all-staff", "dept-research"]) })
            {
                var attributes = Ops.Person($"{first.ToLowerInvariant()}.{test}", first, "Grp" + test, enabled: true);
                attributes[AccountAttributes.DisplayName] = $"{first} G.";
                attributes["title"] = "Engineer";
                attributes["departmentNumber"] = "Research";
                attributes[AccountAttributes.Groups] = groups.ToList();
                var created = await ldap.ApplyAsync(Ops.Create(Id(n), attributes), default);
                dns[n] = created.NativeId!;
                var person = (await spine.PersonByKeyAsync("employee_id", Id(n))).Row.Id;
                db.AccountLinks.Add(new AccountLinkRow { System = "directory", PersonId = person, NativeId = dns[n], Username = $"{first.ToLowerInvariant()}.{test}", CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch });
            }
            // a department group someone made by hand, for Cat to be put into
            await ldap.ApplyAsync(Ops.On(TargetOperationKind.AddToGroups, dns[3], new() { [AccountAttributes.Groups] = new List<string> { "dept-sales" } }), default);
            await db.SaveChangesAsync();
        }
        string Group(string name) => $"cn={name},{groupOu},{slapd.BaseDn}";
        string[] Members(string name) => slapd.Read(Group(name), "member")?["member"] ?? [];

        // Behind Handoff's back: Ann leaves dept-research, Ben leaves project-apollo (not managed: no drift),
        // Cat stays in dept-sales (added above) — an extra membership of a managed group.
        using (var admin = ReconcileSlapdTests.Bind(slapd))
        {
            admin.SendRequest(new ModifyRequest(Group("dept-research"), DirectoryAttributeOperation.Delete, "member", dns[1]));
            admin.SendRequest(new ModifyRequest(Group("project-apollo"), DirectoryAttributeOperation.Replace, "member", ""));
        }

        var reconciler = new Reconciler(spine.Database, spine.Clock, spine.Audit, spine.Workspace, spine.Keys, ws => TargetConnectors.For(ws, spine.Database, spine.Clock));
        var dry = await reconciler.RunAsync("directory", dryRun: true, "user:ivan", default);
        Assert.DoesNotContain(dns[1], Members("dept-research"), StringComparer.OrdinalIgnoreCase);
        var detail = await reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        foreach (var report in new[] { dry.Report, detail.Report })
            Assert.Equal(("completed", 3, 1, 2), (report.Status, report.Accounts, report.InSync, report.Drifted));
        var items = detail.Items.ToDictionary(i => i.NativeId!, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(("drifted", "repaired"), (items[dns[1]].Class, items[dns[1]].Repair));
        Assert.Contains("\"native\":\"dept-research\",\"expected\":\"member\",\"actual\":null", items[dns[1]].DriftJson, StringComparison.Ordinal);
        Assert.Equal(("drifted", "repaired"), (items[dns[3]].Class, items[dns[3]].Repair));
        Assert.Contains("\"native\":\"dept-sales\",\"expected\":null,\"actual\":\"member\"", items[dns[3]].DriftJson, StringComparison.Ordinal);
        Assert.False(items.ContainsKey(dns[2]));
        Assert.Equal(2, detail.Report.Repaired);

        // read back from slapd
        Assert.Contains(dns[1], Members("dept-research"), StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(dns[3], Members("dept-sales"), StringComparer.OrdinalIgnoreCase);
        Assert.Contains(dns[3], Members("dept-research"), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(3, Members("all-staff").Length);
        Assert.DoesNotContain(dns[2], Members("project-apollo"), StringComparer.OrdinalIgnoreCase);

        var again = await reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);
        Assert.Equal((3, 0, 0), (again.Report.InSync, again.Report.Drifted, again.Report.Repaired));
    }
}
