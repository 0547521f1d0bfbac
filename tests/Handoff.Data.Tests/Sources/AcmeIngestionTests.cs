using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Sources;

/// <summary>The Acme demo data through the whole spine, on SQLite and PostgreSQL.</summary>
public sealed class AcmeIngestionTests
{
    private static async Task<DataSpine> IngestAcmeAsync(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncCsvAsync("ats");
        await spine.SyncCsvAsync("hris");
        await spine.SyncCsvAsync("payroll");
        return spine;
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Start_date_disagreement_is_resolved_by_the_system_of_record_and_kept_as_a_finding(string provider)
    {
        var spine = await IngestAcmeAsync(provider);

        var (zoe, values) = await spine.PersonByKeyAsync("employee_id", "100131");
        Assert.Equal("2027-01-11", values["start_date"].Value);
        Assert.Equal("hris", values["start_date"].System);
        Assert.Equal("100131", values["start_date"].NativeKey);
        Assert.Equal("Zoë", values["first_name"].Value);
        Assert.Equal("C-26041", values["candidate_id"].Value);
        Assert.Equal("pre_hire", zoe.State);

        await using var db = spine.Db();
        var finding = await db.Findings.SingleAsync(f => f.PersonId == zoe.Id && f.Field == "start_date");
        Assert.Equal("open", finding.Status);
        Assert.Equal("hris", finding.ChosenSystem);
        Assert.Contains("2027-01-04", finding.DetailJson);
        Assert.Contains("2027-01-11", finding.DetailJson);
        // One person, linked to both source records.
        var links = await db.SourceRecords.Where(s => s.PersonId == zoe.Id).Select(s => s.System + ":" + s.NativeKey).ToListAsync();
        Assert.Equal(["ats:C-26041", "hris:100131"], links.Order());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Bad_rows_are_quarantined_with_file_line_and_field_and_the_rest_is_processed(string provider)
    {
        var spine = await IngestAcmeAsync(provider);
        await using var db = spine.Db();
        var quarantined = await db.Quarantine.Where(q => q.Status == "open").OrderBy(q => q.Line).ToListAsync();
        Assert.Equal(2, quarantined.Count);
        Assert.Equal(("workers.csv", 18, "Birth_Date"), (quarantined[0].File, quarantined[0].Line, quarantined[0].Field));
        Assert.Contains("31/02/1990", quarantined[0].Reason);
        Assert.Equal(("workers.csv", 26), (quarantined[1].File, quarantined[1].Line));

        // The rows around them made it: line 17 and line 27 of workers.csv are people.
        var hris = await db.Syncs.SingleAsync(s => s.System == "hris");
        Assert.Equal(2, hris.Rejected);
        Assert.Equal(35, hris.Read);
        Assert.Equal(1, hris.Scheduled);
        Assert.Equal(0, await db.SourceRecords.CountAsync(s => s.System == "hris" && (s.NativeKey == "100116" || s.NativeKey == "100124")));
        Assert.Equal(32, await db.SourceRecords.CountAsync(s => s.System == "hris"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_duplicate_candidate_is_never_guessed_it_waits_in_the_review_queue(string provider)
    {
        var spine = await IngestAcmeAsync(provider);
        await using var db = spine.Db();
        var item = await db.ReviewItems.SingleAsync(r => r.System == "ats" && r.NativeKey == "C-26047");
        Assert.Equal("possible_match", item.Kind);
        Assert.Equal("open", item.Status);
        Assert.Contains("personal_email", item.Reason);
        var tomas = await spine.PersonByKeyAsync("candidate_id", "C-26044");
        Assert.Contains(tomas.Row.Id.ToString(), item.CandidatesJson);
        Assert.Equal(0, await db.SourceRecords.CountAsync(s => s.NativeKey == "C-26047"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Payroll_enriches_people_but_does_not_create_them(string provider)
    {
        var spine = await IngestAcmeAsync(provider);
        await using var db = spine.Db();
        var payroll = await db.Syncs.SingleAsync(s => s.System == "payroll");
        Assert.Equal(0, payroll.Created);
        // Payroll rows of the two workers whose HRIS rows are quarantined match no one: held.
        var unmatched = await db.ReviewItems.Where(r => r.Kind == "unmatched").Select(r => r.NativeKey).OrderBy(k => k).ToListAsync();
        Assert.Equal(["100116", "100124"], unmatched);

        var (jose, values) = await spine.PersonByKeyAsync("employee_id", "100104");
        Assert.Equal("CC-3100", values["cost_center"].Value);
        Assert.Equal("payroll", values["salary"].System);
        Assert.Single(await db.Findings.Where(f => f.PersonId == jose.Id && f.Field == "cost_center").ToListAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Resync_of_unchanged_files_changes_nothing_and_fires_no_event(string provider)
    {
        var spine = await IngestAcmeAsync(provider);
        int events;
        await using (var db = spine.Db())
            events = await db.OutboxEvents.CountAsync();

        // The same file again is the same delivery: not read at all, nothing counted.
        var again = await spine.SyncCsvAsync("hris");
        Assert.Equal(("workers.csv", "seen"), (Assert.Single(again.Deliveries).Name, again.Deliveries[0].Status));
        Assert.Equal(0, again.Read);
        await spine.SyncCsvAsync("ats");
        await spine.SyncCsvAsync("payroll");
        // The same file named explicitly (sync --file), twice: still each problem once.
        var workers = Path.Combine(spine.WorkspaceDir, "data", "hris", "workers.csv");
        await spine.SyncCsvAsync("hris", workers);
        await spine.SyncCsvAsync("hris", workers);

        await using (var db = spine.Db())
        {
            Assert.Equal(events, await db.OutboxEvents.CountAsync());
            Assert.Equal(1, await db.PendingChanges.CountAsync());
            // Quarantine shows today's problems once, not once per sync.
            Assert.Equal(2, await db.Quarantine.CountAsync(q => q.Status == "open"));
        }
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Lifecycle_states_follow_the_canonical_dates(string provider)
    {
        var spine = await IngestAcmeAsync(provider);
        Assert.Equal("active", (await spine.PersonByKeyAsync("employee_id", "100101")).Row.State);
        Assert.Equal("on_leave", (await spine.PersonByKeyAsync("employee_id", "100110")).Row.State);
        Assert.Equal("terminated", (await spine.PersonByKeyAsync("employee_id", "100105")).Row.State);
        Assert.Equal("active", (await spine.PersonByKeyAsync("employee_id", "100122")).Row.State); // notice period
        Assert.Equal("pre_hire", (await spine.PersonByKeyAsync("employee_id", "100112")).Row.State); // rehire starting 2026-12-07
        Assert.Equal("candidate", (await spine.PersonByKeyAsync("candidate_id", "C-26055")).Row.State); // pending offer
        Assert.Equal("pre_hire", (await spine.PersonByKeyAsync("candidate_id", "C-26060")).Row.State); // accepted, not yet in HRIS
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_file_that_is_not_the_systems_export_is_refused_whole_and_changes_nothing(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        var wrong = Path.Combine(Path.GetTempPath(), $"wrong-{Guid.NewGuid():N}.csv");
        File.WriteAllText(wrong, "EmpNo;Name;Salary\n100101;Chen, Margaret;250000\n");
        var e = await Assert.ThrowsAsync<Core.Sources.SourceFormatException>(() => spine.SyncCsvAsync("hris", wrong));
        Assert.Contains("no column 'Employee_ID'", e.Message);
        Assert.Contains(Path.GetFileName(wrong), e.Message);

        var binary = Path.Combine(Path.GetTempPath(), $"binary-{Guid.NewGuid():N}.csv");
        File.WriteAllBytes(binary, [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00]);
        await Assert.ThrowsAsync<Core.Sources.SourceFormatException>(() => spine.SyncCsvAsync("hris", binary));

        await using var db = spine.Db();
        Assert.Equal(0, await db.People.CountAsync());
        Assert.Equal(0, await db.Quarantine.CountAsync());
        Assert.Equal(["refused", "refused"], await db.Syncs.OrderBy(s => s.Id).Select(s => s.Status).ToListAsync());
        // A refused file is no delivery of facts: read again, it is refused again, not skipped as seen.
        Assert.All(await db.Deliveries.ToListAsync(), d => Assert.Equal("failed", d.Status));
    }
}
