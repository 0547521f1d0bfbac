using Handoff.Data.People;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.People;

public sealed class CorrelationAndReviewTests
{
    private static Dictionary<string, string?> Worker(string id, string email, string first = "Grace", string last = "Hopper") => new()
    {
        ["Employee_ID"] = id,
        ["Legal_First_Name"] = first,
        ["Legal_Last_Name"] = last,
        ["Work_Email"] = email,
        ["Employment_Begin_Date"] = "01/05/2024",
        ["Worker_Type"] = "Regular",
    };

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Keys_pointing_to_two_people_are_a_collision_and_change_nobody(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncRecordsAsync("hris", Worker("910001", "grace@acme.example"), Worker("910002", "alan@acme.example", "Alan", "Turing"));

        // Alan's work email recycled on a new employee id: the record matches Alan by work_email,
        // but its stronger key (employee_id) differs from his.
        var report = await spine.SyncRecordsAsync("hris", Worker("910003", "alan@acme.example", "Alan", "Smith"));
        Assert.Equal((0, 0, 1), (report.Created, report.Updated, report.Held));

        await using var db = spine.Db();
        var item = await db.ReviewItems.SingleAsync(r => r.NativeKey == "910003");
        Assert.Equal("collision", item.Kind);
        Assert.Contains("employee_id differs", item.Reason);
        var alan = await spine.PersonByKeyAsync("employee_id", "910002");
        Assert.Equal("Turing", alan.Values["last_name"].Value);
        Assert.Equal(2, await db.People.CountAsync());

        // Grace's own record now claiming Alan's work email: its link says Grace, its email says Alan.
        var both = await spine.SyncRecordsAsync("hris", Worker("910001", "alan@acme.example"));
        Assert.Equal((0, 1), (both.Updated, both.Held));
        var second = await db.ReviewItems.SingleAsync(r => r.NativeKey == "910001");
        Assert.Equal("collision", second.Kind);
        Assert.Contains(alan.Row.Id.ToString(), second.CandidatesJson);
        var grace = await spine.PersonByKeyAsync("employee_id", "910001");
        Assert.Equal("grace@acme.example", grace.Values["work_email"].Value);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Linking_a_held_record_attaches_it_and_later_syncs_go_straight_to_that_person(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncCsvAsync("ats");
        await using (var db = spine.Db())
        {
            var held = await db.ReviewItems.SingleAsync(r => r.NativeKey == "C-26047");
            var tomas = await spine.PersonByKeyAsync("candidate_id", "C-26044");
            await spine.Review.ResolveAsync(spine.Definition, held.Id, new ReviewDecision.Link(tomas.Row.Id), "hector", default);

            var link = await db.SourceRecords.SingleAsync(s => s.System == "ats" && s.NativeKey == "C-26047");
            Assert.Equal(tomas.Row.Id, link.PersonId);
            var resolved = await db.ReviewItems.AsNoTracking().SingleAsync(r => r.Id == held.Id);
            Assert.Equal(("resolved", "hector"), (resolved.Status, resolved.ResolvedBy));
        }

        // Changed content on the next sync: no new review item, the link carries it.
        var file = Path.Combine(Path.GetTempPath(), $"offers-{Guid.NewGuid():N}.csv");
        var lines = File.ReadAllLines(Path.Combine(spine.WorkspaceDir, "data", "ats", "offers.csv"))
            .Select(l => l.StartsWith("C-26047,", StringComparison.Ordinal) ? l.Replace(",pending", ",withdrawn", StringComparison.Ordinal) : l);
        File.WriteAllLines(file, lines);
        var report = await spine.SyncCsvAsync("ats", file);
        Assert.Equal((0, 0), (report.Created, report.Held));
        await using (var db = spine.Db())
        {
            Assert.Equal(1, await db.ReviewItems.CountAsync(r => r.NativeKey == "C-26047"));
            var link = await db.SourceRecords.SingleAsync(s => s.System == "ats" && s.NativeKey == "C-26047");
            Assert.Contains("withdrawn", link.ValuesJson);
        }
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_resolved_item_cannot_be_resolved_twice(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncCsvAsync("ats");
        long id;
        await using (var db = spine.Db())
            id = (await db.ReviewItems.SingleAsync(r => r.NativeKey == "C-26047")).Id;
        await spine.Review.ResolveAsync(spine.Definition, id, new ReviewDecision.NewPerson(), "hector", default);
        var e = await Assert.ThrowsAsync<ReviewException>(() => spine.Review.ResolveAsync(spine.Definition, id, new ReviewDecision.Dismiss(), "alice", default));
        Assert.Contains("already resolved", e.Message);
        await using (var db = spine.Db())
            Assert.Equal(1, await db.SourceRecords.CountAsync(s => s.NativeKey == "C-26047"));
    }
}
