using Handoff.Data.People;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.People;

public sealed class RetentionTests
{
    private static Dictionary<string, string?> Leaver(string id, string country, string end) => new()
    {
        ["Employee_ID"] = id,
        ["Legal_First_Name"] = "Róisín",
        ["Legal_Last_Name"] = "Leaver" + id,
        ["Work_Email"] = $"leaver{id}@acme.example",
        ["Personal_Email"] = $"leaver{id}@home.example",
        ["Birth_Date"] = "02/03/1990",
        ["Employment_Begin_Date"] = "01/05/2020",
        ["Termination_Date"] = end,
        ["Department"] = "Sales",
        ["Country"] = country,
        ["National_ID"] = "NID-" + id,
        ["Worker_Type"] = "Regular",
    };

    private static async Task<(DataSpine Spine, RetentionPurge Purge)> StartAsync(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncRecordsAsync("hris", Leaver("940001", "IE", "01/30/2026"), Leaver("940002", "US", "01/30/2026"));
        await spine.SyncRecordsAsync("payroll", new Dictionary<string, string?> { ["EmpNo"] = "940002", ["Salary"] = "91000", ["Currency"] = "USD" });
        return (spine, new RetentionPurge(spine.Database, spine.Clock, spine.Keys, spine.Audit));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Dry_run_lists_what_would_go_and_changes_nothing(string provider)
    {
        var (spine, purge) = await StartAsync(provider);
        var plan = await purge.RunAsync(spine.Definition.Dictionary, dryRun: true, default);

        var ie = Assert.Single(plan); // 2026-01-30 + 6 months has passed for Ireland; the US 2-year rule has not
        Assert.True(ie.Purged);
        Assert.Contains(ie.Fields, f => f is { Field: "national_id", Policy: "de-ie-personal-6m" });
        Assert.Contains(ie.Fields, f => f.Field == "first_name");
        Assert.DoesNotContain(ie.Fields, f => f.Field == "department"); // internal: no policy
        var person = await spine.PersonByKeyAsync("employee_id", "940001");
        Assert.Equal("terminated", person.Row.State);
        Assert.Equal("Róisín", person.Values["first_name"].Value);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Purge_pseudonymizes_everywhere_marks_the_person_purged_and_a_second_run_does_nothing(string provider)
    {
        var (spine, purge) = await StartAsync(provider);
        var done = Assert.Single(await purge.RunAsync(spine.Definition.Dictionary, dryRun: false, default));
        Assert.True(done.Purged);

        var (row, values) = await spine.PersonByKeyAsync("employee_id", "940001");
        Assert.Equal("purged", row.State);
        Assert.StartsWith(Pseudonym.Prefix, values["first_name"].Value);
        Assert.StartsWith(Pseudonym.Prefix, values["national_id"].Value);
        Assert.Equal("Sales", values["department"].Value);
        Assert.DoesNotContain("Róisín", row.DisplayName);

        await using (var db = spine.Db())
        {
            var everything = string.Join("\n",
                (await db.SourceRecords.Where(s => s.PersonId == row.Id).Select(s => s.ValuesJson).ToListAsync())
                .Concat(await db.OutboxEvents.Where(e => e.PersonId == row.Id).Select(e => e.PayloadJson).ToListAsync())
                .Concat(await db.PersonKeys.Where(k => k.PersonId == row.Id).Select(k => k.Value).ToListAsync())
                .Append(row.ValuesJson));
            Assert.DoesNotContain("Róisín", everything);
            Assert.DoesNotContain("NID-940001", everything);
            Assert.DoesNotContain("leaver940001@home.example", everything);
            Assert.Contains("person.purged", await db.OutboxEvents.Where(e => e.PersonId == row.Id).Select(e => e.Type).ToListAsync());
        }

        // Idempotent: nothing is due any more, and the same HRIS row read again does not bring the data back.
        Assert.Empty(await purge.RunAsync(spine.Definition.Dictionary, dryRun: false, default));
        await spine.SyncRecordsAsync("hris", Leaver("940001", "IE", "01/30/2026"));
        Assert.StartsWith(Pseudonym.Prefix, (await spine.PersonByKeyAsync("employee_id", "940001")).Values["first_name"].Value);
        var changed = Leaver("940001", "IE", "01/30/2026");
        changed["Legal_Last_Name"] = "Renamed";
        var resync = await spine.SyncRecordsAsync("hris", changed);
        Assert.Equal((0, 0), (resync.Created, resync.Updated));
        await using (var db = spine.Db())
            Assert.DoesNotContain("Renamed", string.Join("", await db.SourceRecords.Select(x => x.ValuesJson).ToListAsync()));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_legal_obligation_on_named_fields_outlasts_the_personal_data_rule(string provider)
    {
        var (spine, purge) = await StartAsync(provider);
        spine.Clock.Now = new DateTimeOffset(2028, 2, 1, 9, 0, 0, TimeSpan.Zero); // US: 2 years after 2026-01-30
        await purge.RunAsync(spine.Definition.Dictionary, dryRun: false, default);

        var (row, values) = await spine.PersonByKeyAsync("employee_id", "940002");
        Assert.StartsWith(Pseudonym.Prefix, values["first_name"].Value);
        Assert.Equal("91000", values["salary"].Value); // us-payroll-7y keeps it
        Assert.Equal("terminated", row.State); // salary is still personal data under a legal hold

        spine.Clock.Now = new DateTimeOffset(2033, 2, 1, 9, 0, 0, TimeSpan.Zero);
        var last = Assert.Single(await purge.RunAsync(spine.Definition.Dictionary, dryRun: false, default));
        Assert.Contains(last.Fields, f => f is { Field: "salary", Policy: "us-payroll-7y", Action: Core.Dictionary.RetentionAction.Delete });
        var after = await spine.PersonByKeyAsync("employee_id", "940002");
        Assert.False(after.Values.ContainsKey("salary"));
        Assert.Equal("purged", after.Row.State);
    }
}
