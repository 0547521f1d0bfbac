using Handoff.Data.People;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.People;

public sealed class ManualConflictTests
{
    /// <summary>The Acme workspace with department decided by hand.</summary>
    private static string ManualDepartmentWorkspace()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"acme-manual-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        foreach (var f in new[] { "systems.yaml", "charter.yaml" })
            File.Copy(Path.Combine(Repository.AcmeWorkspace, f), Path.Combine(dir, f));
        var dictionary = File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "dictionary.yaml"));
        var at = dictionary.IndexOf("  - name: department", StringComparison.Ordinal);
        var rule = dictionary.IndexOf("conflict: { priority: [hris, ats] }", at, StringComparison.Ordinal);
        dictionary = dictionary[..rule] + "conflict: manual" + dictionary[(rule + "conflict: { priority: [hris, ats] }".Length)..];
        File.WriteAllText(Path.Combine(dir, "dictionary.yaml"), dictionary);
        return dir;
    }

    private static Dictionary<string, string?> Offer(string department) => new()
    {
        ["candidate_id"] = "C-99001",
        ["first_name"] = "Ida",
        ["last_name"] = "Noor",
        ["start_date"] = "2027-02-01",
        ["department"] = department,
        ["offer_status"] = "accepted",
    };

    private static Dictionary<string, string?> Worker(string department, string title) => new()
    {
        ["Employee_ID"] = "990001",
        ["Applicant_ID"] = "C-99001",
        ["Legal_First_Name"] = "Ida",
        ["Legal_Last_Name"] = "Noor",
        ["Employment_Begin_Date"] = "02/01/2027",
        ["Department"] = department,
        ["Job_Title"] = title,
        ["Worker_Type"] = "Regular",
    };

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_manual_field_waits_for_a_decision_and_the_same_disagreement_does_not_come_back(string provider)
    {
        var spine = await DataSpine.StartAsync(provider, workspaceDir: ManualDepartmentWorkspace());
        await spine.SyncRecordsAsync("ats", Offer("Sales"));
        await spine.SyncRecordsAsync("hris", Worker("Marketing", "Analyst"));

        long id;
        await using (var db = spine.Db())
        {
            var item = await db.ReviewItems.SingleAsync(r => r.Kind == "manual_conflict");
            Assert.Equal("department", item.Field);
            id = item.Id;
        }
        Assert.Equal("Sales", (await spine.PersonByKeyAsync("employee_id", "990001")).Values["department"].Value); // held

        await spine.Review.ResolveAsync(spine.Definition, id, new ReviewDecision.Accept("hris"), "alice", default);
        Assert.Equal("Marketing", (await spine.PersonByKeyAsync("employee_id", "990001")).Values["department"].Value);

        // Another field changes: the decided disagreement stays decided.
        await spine.SyncRecordsAsync("hris", Worker("Marketing", "Senior Analyst"));
        await using (var db = spine.Db())
            Assert.Equal(0, await db.ReviewItems.CountAsync(r => r.Kind == "manual_conflict" && r.Status == "open"));
        Assert.Equal("Marketing", (await spine.PersonByKeyAsync("employee_id", "990001")).Values["department"].Value);

        // A new disagreement goes back to a person.
        await spine.SyncRecordsAsync("hris", Worker("Finance", "Senior Analyst"));
        await using (var db = spine.Db())
            Assert.Equal(1, await db.ReviewItems.CountAsync(r => r.Kind == "manual_conflict" && r.Status == "open"));
    }
}
