using Handoff.Core.Connectors;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Reconciliation;

/// <summary>Group membership on the sandbox directory, both providers: the rule's groups
/// (<c>all-staff, dept-{{ department | slug }}</c>) against what each account is in — missing and extra
/// memberships of managed groups are drift; unmanaged groups are left alone; only an enforce rule repairs.</summary>
public sealed class ReconcileGroupTests
{
    private const string Anchor = "      threshold_window: 24h\n";

    private static Func<string, string> Rule(string strength) => systems => systems.Replace(Anchor, Anchor
        + "      reconcile_groups: \"all-staff, dept-{{ department | slug }}\"\n"
        + $"      reconcile_groups_strength: {strength}\n", StringComparison.Ordinal);

    private static async Task<IReadOnlyList<string>> GroupsAsync(ReconcilerTests.Setup s, string dn) =>
        ((IEnumerable<string>)(await ReconcilerTests.ReadAsync(s.Directory, dn)).Attributes[AccountAttributes.Groups]!).Order(StringComparer.Ordinal).ToList();

    private static Task Join(ReconcilerTests.Setup s, string dn, params string[] groups) =>
        s.Directory.ApplyAsync(new TargetOperation(TargetOperationKind.AddToGroups, ObjectClasses.Account, dn, null,
            new Dictionary<string, object?> { [AccountAttributes.Groups] = groups.ToList() }, Guid.NewGuid().ToString("N")), default);

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Missing_and_extra_managed_memberships_are_drift_and_an_enforce_rule_repairs_them(string provider)
    {
        var s = await ReconcilerTests.StartAsync(provider, Rule("enforce"));
        // Ada (Engineering) is in all-staff, a wrong department group and a project group Handoff does not manage.
        await Join(s, s.Dns["1001"], "all-staff", "dept-sales", "project-apollo");

        var detail = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        var ada = detail.Items.Single(i => i.NativeId == s.Dns["1001"]);
        Assert.Equal(("drifted", "repaired"), (ada.Class, ada.Repair));
        Assert.Contains("\"field\":\"group\",\"native\":\"dept-engineering\",\"expected\":\"member\",\"actual\":null,\"strength\":\"enforce\"", ada.DriftJson, StringComparison.Ordinal);
        Assert.Contains("\"field\":\"group\",\"native\":\"dept-sales\",\"expected\":null,\"actual\":\"member\"", ada.DriftJson, StringComparison.Ordinal);
        Assert.DoesNotContain("project-apollo", ada.DriftJson, StringComparison.Ordinal);
        Assert.Equal(["all-staff", "dept-engineering", "project-apollo"], await GroupsAsync(s, s.Dns["1001"]));
        // Bob was in no group: both are missing (his title is repaired in the same repair)
        Assert.Equal(["all-staff", "dept-engineering"], await GroupsAsync(s, s.Dns["1002"]));
        await using (var db = s.Spine.Db())
        {
            var audit = await db.AuditEntries.AsNoTracking().SingleAsync(a => a.CorrelationId == detail.Report.Id.ToString("N") && a.Action == "reconcile.repaired"
                && a.ObjectId == s.People["1001"].ToString());
            Assert.Contains("group:dept-sales", audit.FieldsJson, StringComparison.Ordinal);
            Assert.Contains("group:dept-engineering", audit.FieldsJson, StringComparison.Ordinal);
        }

        var again = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);
        Assert.DoesNotContain(again.Items, i => i.NativeId == s.Dns["1001"]);
        Assert.DoesNotContain("\"field\":\"group\"", again.Items.Single(i => i.NativeId == s.Dns["1002"]).DriftJson, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_report_rule_lists_membership_drift_and_writes_nothing(string provider)
    {
        var s = await ReconcilerTests.StartAsync(provider, Rule("report"));
        await Join(s, s.Dns["1001"], "all-staff", "dept-sales");

        var detail = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        var ada = detail.Items.Single(i => i.NativeId == s.Dns["1001"]);
        Assert.Equal("drifted", ada.Class);
        Assert.Null(ada.Repair);
        Assert.Contains("\"native\":\"dept-engineering\",\"expected\":\"member\",\"actual\":null,\"strength\":\"report\"", ada.DriftJson, StringComparison.Ordinal);
        Assert.Equal(["all-staff", "dept-sales"], await GroupsAsync(s, s.Dns["1001"]));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_bad_group_rule_is_refused_when_the_workspace_is_applied_naming_the_key(string provider)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ReconcilerTests.StartAsync(provider, systems => systems.Replace(Anchor, Anchor
            + "      reconcile_groups: \"all-staff\"\n      reconcile_groups_strength: always\n", StringComparison.Ordinal)));

        Assert.Contains("reconcile_groups_strength: \"always\" must be enforce or report", e.Message, StringComparison.Ordinal);
        Assert.Contains("systems.yaml:", e.Message, StringComparison.Ordinal);
    }
}
