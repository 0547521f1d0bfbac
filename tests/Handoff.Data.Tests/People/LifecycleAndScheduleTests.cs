using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.People;

public sealed class LifecycleAndScheduleTests
{
    private static Dictionary<string, string?> Worker(string id, string begin, string? end = null, string department = "Engineering", string? effective = null) => new()
    {
        ["Employee_ID"] = id,
        ["Legal_First_Name"] = "Ada",
        ["Legal_Last_Name"] = "Lovelace",
        ["Work_Email"] = $"w{id}@acme.example",
        ["Employment_Begin_Date"] = begin,
        ["Termination_Date"] = end,
        ["Department"] = department,
        ["Worker_Type"] = "Regular",
        ["Effective_Date"] = effective,
    };

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Future_dated_transfer_is_held_and_fires_its_event_when_due(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncRecordsAsync("hris", Worker("900001", "01/05/2026"), Worker("900001", "01/05/2026", department: "Finance", effective: "01/01/2027"));

        var before = await spine.PersonByKeyAsync("employee_id", "900001");
        Assert.Equal("Engineering", before.Values["department"].Value);
        Assert.DoesNotContain("person.changed", await spine.EventTypesAsync(before.Row.Id));

        // Not yet due: nothing moves.
        spine.Clock.Now = spine.Clock.Now.AddDays(30); // 2026-12-27
        Assert.Equal(0, (await spine.Scheduled.RunAsync(spine.Definition, default)).ChangesApplied);

        spine.Clock.Now = spine.Clock.Now.AddDays(6); // 2027-01-02
        var tick = await spine.Scheduled.RunAsync(spine.Definition, default);
        Assert.Equal(1, tick.ChangesApplied);
        var after = await spine.PersonByKeyAsync("employee_id", "900001");
        Assert.Equal("Finance", after.Values["department"].Value);
        Assert.Equal(new DateOnly(2027, 1, 1), after.Values["department"].EffectiveFrom);
        await using (var db = spine.Db())
        {
            var changed = await db.OutboxEvents.Where(e => e.PersonId == after.Row.Id && e.Type == "person.changed").SingleAsync();
            Assert.Contains("\"department\"", changed.PayloadJson);
            Assert.True(changed.OccurredAt >= spine.Clock.Now.AddMinutes(-1));
        }

        // The same file read again: the base row is superseded by the applied transfer, the transfer
        // row is now effective and unchanged, and a second tick applies nothing.
        var resync = await spine.SyncRecordsAsync("hris", Worker("900001", "01/05/2026"), Worker("900001", "01/05/2026", department: "Finance", effective: "01/01/2027"));
        Assert.Equal((0, 0, 2), (resync.Created, resync.Updated, resync.Unchanged));
        Assert.Equal(0, (await spine.Scheduled.RunAsync(spine.Definition, default)).ChangesApplied);
        Assert.Equal("Finance", (await spine.PersonByKeyAsync("employee_id", "900001")).Values["department"].Value);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Pre_hire_becomes_active_on_the_start_date_and_leaver_terminated_after_the_last_day(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncRecordsAsync("hris", Worker("900002", "12/01/2026"), Worker("900003", "01/05/2020", end: "11/30/2026"));
        var joiner = await spine.PersonByKeyAsync("employee_id", "900002");
        var leaver = await spine.PersonByKeyAsync("employee_id", "900003");
        Assert.Equal(("pre_hire", new DateOnly(2026, 12, 1)), (joiner.Row.State, joiner.Row.ReviewOn));
        Assert.Equal(("active", new DateOnly(2026, 12, 1)), (leaver.Row.State, leaver.Row.ReviewOn));

        spine.Clock.Now = spine.Clock.Now.AddDays(4); // 2026-12-01
        var tick = await spine.Scheduled.RunAsync(spine.Definition, default);
        Assert.Equal(2, tick.Transitions);
        Assert.Equal("active", (await spine.PersonByKeyAsync("employee_id", "900002")).Row.State);
        Assert.Equal("terminated", (await spine.PersonByKeyAsync("employee_id", "900003")).Row.State);
        Assert.Equal(["person.created", "person.pre_hire", "person.active"], await spine.EventTypesAsync(joiner.Row.Id));
        Assert.Equal(["person.created", "person.active", "person.terminated"], await spine.EventTypesAsync(leaver.Row.Id));

        // A second tick the same day does nothing more: none doubled.
        Assert.Equal(0, (await spine.Scheduled.RunAsync(spine.Definition, default)).Transitions);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Rehire_returns_the_same_person_to_pre_hire(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncRecordsAsync("hris", Worker("900004", "01/05/2020", end: "03/31/2025"));
        var first = await spine.PersonByKeyAsync("employee_id", "900004");
        Assert.Equal("terminated", first.Row.State);

        await spine.SyncRecordsAsync("hris", Worker("900004", "01/11/2027", end: "03/31/2025"));
        var again = await spine.PersonByKeyAsync("employee_id", "900004");
        Assert.Equal(first.Row.Id, again.Row.Id);
        Assert.Equal("pre_hire", again.Row.State);
        Assert.Equal(["person.created", "person.terminated", "person.changed", "person.rehired", "person.pre_hire"], await spine.EventTypesAsync(again.Row.Id));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Contractor_to_employee_is_a_conversion_of_the_same_person(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        var contractor = Worker("900005", "01/05/2025");
        contractor["Worker_Type"] = "Contingent";
        await spine.SyncRecordsAsync("hris", contractor);
        var before = await spine.PersonByKeyAsync("employee_id", "900005");

        await spine.SyncRecordsAsync("hris", Worker("900005", "01/05/2025"));
        var after = await spine.PersonByKeyAsync("employee_id", "900005");
        Assert.Equal(before.Row.Id, after.Row.Id);
        Assert.Equal("employee", after.Values["worker_type"].Value);
        Assert.Contains("person.converted", await spine.EventTypesAsync(after.Row.Id));
    }
}
