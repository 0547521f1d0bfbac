using Handoff.Core.Sources;
using Handoff.Data.Sources;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Sources;

/// <summary>
/// Issue #14, source truth: a delivery states facts and absence is not a fact; older never overwrites
/// newer; a file already applied is not read again; a suspicious delivery is held whole. Each test
/// is a delivery real HR systems send (re-read folders, partial webhooks, renamed and emptied
/// columns, out-of-order bodies, shrunken snapshots) on the Acme workspace, on both providers.
/// </summary>
public sealed class SourceTruthTests
{
    private const string ChangesFile = "data/changes/hris-2026-11-27.csv";

    private static string CopyWorkspace()
    {
        var dir = Path.Combine(Path.GetTempPath(), "handoff-truth-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(dir, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return dir;
    }

    private static string Workers(string dir) => Path.Combine(dir, "data", "hris", "workers.csv");

    /// <summary>The demo's day: the full export, then the day's change file (Grace leaves, Ahmed moves to CC-7100 / IT).</summary>
    private static async Task<(DataSpine Spine, string Dir)> DemoDayAsync(string provider)
    {
        var dir = CopyWorkspace();
        var spine = await DataSpine.StartAsync(provider, workspaceDir: dir);
        await spine.SyncCsvAsync("hris");
        spine.Clock.Now += TimeSpan.FromHours(1);
        var changes = await spine.SyncCsvAsync("hris", Path.Combine(dir, ChangesFile));
        Assert.Equal(3, changes.Read);
        var (grace, _) = await spine.PersonByKeyAsync("employee_id", "100121");
        Assert.Equal("terminated", grace.State);
        return (spine, dir);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Reading_the_drop_folder_again_never_undoes_the_days_changes(string provider)
    {
        var (spine, dir) = await DemoDayAsync(provider);

        // "Sync now" with a new, unrelated file in the folder: workers.csv was applied already and is not replayed.
        spine.Clock.Now += TimeSpan.FromHours(1);
        File.WriteAllText(Path.Combine(dir, "data", "hris", "late-hire.csv"), File.ReadLines(Workers(dir)).First() + "\n"
            + "100140,,Lena,Vogel,,,lena.vogel@example.net,02/02/1995,01/04/2027,,Engineering,CC-1100,Engineer,100102,Regular,Full_Time,Berlin,DE,Europe/Berlin,,,N,\n");
        var again = await spine.SyncCsvAsync("hris", snapshot: false);
        Assert.Contains(again.Deliveries, d => d.Name == "workers.csv" && d.Status == "seen");
        Assert.Contains(again.Deliveries, d => d.Name == "late-hire.csv" && d.Status == "applied");

        // Editing the old export (fixing another row, as "fix the file and retry" asks) replays only that row.
        spine.Clock.Now += TimeSpan.FromHours(1);
        File.WriteAllText(Workers(dir), File.ReadAllText(Workers(dir)).Replace("Chief Executive Officer", "CEO"));
        var edited = await spine.SyncCsvAsync("hris");
        Assert.Equal("applied", Assert.Single(edited.Deliveries, d => d.Name == "workers.csv").Status);
        Assert.Equal(1, edited.Updated);

        var (grace, graceValues) = await spine.PersonByKeyAsync("employee_id", "100121");
        Assert.Equal("terminated", grace.State);
        Assert.Equal("2026-11-26", graceValues["termination_date"].Value);
        var (_, ahmed) = await spine.PersonByKeyAsync("employee_id", "100118");
        var changesRow = File.ReadLines(Path.Combine(dir, ChangesFile)).Single(l => l.StartsWith("100118", StringComparison.Ordinal));
        Assert.Contains(ahmed["department"].Value, changesRow, StringComparison.Ordinal);
        var (_, margaret) = await spine.PersonByKeyAsync("employee_id", "100101");
        Assert.Equal("CEO", margaret["job_title"].Value);
        await using var db = spine.Db();
        Assert.DoesNotContain(await db.OutboxEvents.Where(e => e.PersonId == grace.Id).Select(e => e.Type).ToListAsync(), t => t == "person.rehired");
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_partial_webhook_changes_what_it_carries_and_nothing_else(string provider)
    {
        var (spine, _) = await DemoDayAsync(provider);
        var (before, valuesBefore) = await spine.PersonByKeyAsync("employee_id", "100104");

        spine.Clock.Now += TimeSpan.FromHours(1);
        await spine.SyncRecordsAsync("hris", new Dictionary<string, string?> { ["Employee_ID"] = "100104", ["Job_Title"] = "Head of Controlling" });

        var (after, values) = await spine.PersonByKeyAsync("employee_id", "100104");
        Assert.Equal("Head of Controlling", values["job_title"].Value);
        foreach (var field in new[] { "national_id", "birth_date", "manager_id", "department", "first_name", "last_name", "start_date", "cost_center" })
        {
            Assert.True(values.ContainsKey(field), $"{field} was wiped by a webhook that did not carry it");
            Assert.Equal(valuesBefore[field].Value, values[field].Value);
        }
        Assert.Equal(before.State, after.State);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_older_fact_never_replaces_a_newer_one_field_by_field(string provider)
    {
        var (spine, _) = await DemoDayAsync(provider);
        var t0 = spine.Clock.Now;

        // The newer body arrives first (10:05, a transfer), then a body stamped 10:00 with another title and department.
        await spine.Sync.RunAsync(spine.Definition, "hris", Items(new() { ["Employee_ID"] = "100104", ["Department"] = "Sales", ["Job_Title"] = "Controller II" }),
            "webhook", default, delivery: new SyncDelivery(AsOf: t0.AddMinutes(5)));
        var report = await spine.Sync.RunAsync(spine.Definition, "hris",
            Items(new() { ["Employee_ID"] = "100104", ["Department"] = "Marketing", ["Job_Title"] = "Controller I", ["Preferred_Name"] = "Pepito" }),
            "webhook", default, delivery: new SyncDelivery(AsOf: t0));

        var (_, values) = await spine.PersonByKeyAsync("employee_id", "100104");
        Assert.Equal("Sales", values["department"].Value);
        Assert.Equal("Controller II", values["job_title"].Value);
        // A field the newer body did not carry is the older body's fact, and nothing newer contradicts it.
        Assert.Equal("Pepito", values["preferred_name"].Value);
        Assert.Equal(1, report.Stale); // counted: the record carried values older than those in force
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_empty_column_says_nothing_unless_the_dictionary_lets_it_clear(string provider)
    {
        var (spine, dir) = await DemoDayAsync(provider);
        var (_, before) = await spine.PersonByKeyAsync("employee_id", "100102");
        Assert.NotNull(before["work_email"].Value);

        // Work_Email empty (ignored: no `empty: clears`) and Preferred_Name empty (hris may clear it).
        spine.Clock.Now += TimeSpan.FromHours(1);
        await spine.SyncRecordsAsync("hris", new Dictionary<string, string?>
        {
            ["Employee_ID"] = "100104",
            ["Work_Email"] = "",
            ["Preferred_Name"] = "",
        });
        var (_, values) = await spine.PersonByKeyAsync("employee_id", "100104");
        Assert.Equal("jose.garcia@acme.example", values["work_email"].Value);
        Assert.False(values.ContainsKey("preferred_name"), "hris may clear preferred_name: its empty value is a statement");
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_renamed_column_holds_the_delivery_and_accepting_it_clears_nobody(string provider)
    {
        var (spine, dir) = await DemoDayAsync(provider);
        spine.Clock.Now += TimeSpan.FromHours(1);
        var header = File.ReadLines(Workers(dir)).First();
        File.WriteAllText(Workers(dir), File.ReadAllText(Workers(dir)).Replace(header, header.Replace("Department", "Dept_Name"))
            .Replace("Chief Executive Officer", "CEO"));

        var held = await spine.SyncCsvAsync("hris");
        var outcome = Assert.Single(held.Deliveries);
        Assert.Equal("held", outcome.Status);
        Assert.Contains("'Department' missing", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("'Dept_Name'", outcome.Message, StringComparison.Ordinal);
        var (_, margaret) = await spine.PersonByKeyAsync("employee_id", "100101");
        Assert.Equal("Chief Executive Officer", margaret["job_title"].Value);

        // Read again while held: still held, not re-inspected, nothing applied.
        Assert.Equal("held", Assert.Single((await spine.SyncCsvAsync("hris")).Deliveries).Status);

        // An IT admin accepts it: the title change applies, nobody's department is cleared.
        var f = Handoff.Connectors.DeliveryFile.List(spine.Definition.FindSystem("hris")!, dir, null).Single();
        var reader = Handoff.Connectors.SourceReaders.Open(spine.Definition.FindSystem("hris")!, dir, f.Path);
        var accepted = await spine.Deliveries.AcceptAsync(spine.Definition, outcome.DeliveryId, "user:ivan", f.ContentHash, () => reader.ReadAsync(default), default);
        Assert.Equal("applied", accepted.Status);
        (_, margaret) = await spine.PersonByKeyAsync("employee_id", "100101");
        Assert.Equal("CEO", margaret["job_title"].Value);
        Assert.Equal("Operations", margaret["department"].Value);
        await using var db = spine.Db();
        Assert.Equal(0, await db.People.CountAsync(p => p.ValuesJson.Contains("\"department\"") == false && p.State == "active"));
        Assert.Equal(["delivery.accepted", "delivery.held"], (await db.AuditEntries.Where(a => a.Action.StartsWith("delivery.")).Select(a => a.Action).ToListAsync()).Order());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_snapshot_missing_most_of_the_workforce_is_held_and_changes_nobody(string provider)
    {
        var (spine, dir) = await DemoDayAsync(provider);
        spine.Clock.Now += TimeSpan.FromHours(1);
        var lines = File.ReadAllLines(Workers(dir));
        // 40 % of the rows, one of them with a changed title: a cut-off export.
        File.WriteAllLines(Workers(dir), lines.Take(1 + (lines.Length - 1) * 2 / 5).Select(l => l.Replace("Chief Executive Officer", "CEO")));

        var report = await spine.SyncCsvAsync("hris");
        var outcome = Assert.Single(report.Deliveries);
        Assert.Equal("held", outcome.Status);
        Assert.Contains("the snapshot lacks", outcome.Message, StringComparison.Ordinal);
        var (_, margaret) = await spine.PersonByKeyAsync("employee_id", "100101");
        Assert.Equal("Chief Executive Officer", margaret["job_title"].Value);

        // Rejected: it never applies, and the same file is not looked at again.
        await spine.Deliveries.RejectAsync(outcome.DeliveryId, "user:alice", "cut off at the source", default);
        Assert.Equal("seen", Assert.Single((await spine.SyncCsvAsync("hris")).Deliveries).Status);
        await using var db = spine.Db();
        Assert.Equal("rejected", (await db.Deliveries.SingleAsync(d => d.Id == outcome.DeliveryId)).Status);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_file_changing_one_field_for_most_people_is_held_naming_the_field(string provider)
    {
        var (spine, dir) = await DemoDayAsync(provider);
        spine.Clock.Now += TimeSpan.FromHours(1);
        // Every cost center rewritten (a botched export mapping).
        var text = File.ReadAllText(Workers(dir));
        File.WriteAllText(Workers(dir), System.Text.RegularExpressions.Regex.Replace(text, "CC-(\\d)", "XX-$1"));

        var outcome = Assert.Single((await spine.SyncCsvAsync("hris")).Deliveries);
        Assert.Equal("held", outcome.Status);
        Assert.Contains("cost_center would change or be cleared for", outcome.Message, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_source_that_does_not_own_the_lifecycle_cannot_end_a_worker_the_hris_knows(string provider)
    {
        var (spine, _) = await DemoDayAsync(provider);
        const string End = "urn:handoff:params:scim:schemas:extension:hr:2.0:User:terminationDate";
        // hr-scim may write termination dates (the dictionary lists it), but 100104 is the HRIS's worker.
        await spine.SyncRecordsAsync("hr-scim", new Dictionary<string, string?> { ["id"] = "scim-1", ["externalId"] = "100104", [End] = "2026-11-20" });
        var (jose, values) = await spine.PersonByKeyAsync("employee_id", "100104");
        Assert.Equal("active", jose.State);
        Assert.False(values.ContainsKey("termination_date"));

        // A worker only the SCIM source knows is its to end.
        await spine.SyncRecordsAsync("hr-scim", new Dictionary<string, string?>
        {
            ["id"] = "scim-2",
            ["externalId"] = "300001",
            ["name.givenName"] = "Sam",
            ["name.familyName"] = "Scim",
            ["urn:handoff:params:scim:schemas:extension:hr:2.0:User:hireDate"] = "2025-01-01",
            [End] = "2026-11-20",
        });
        var (sam, _) = await spine.PersonByKeyAsync("employee_id", "300001");
        Assert.Equal("terminated", sam.State);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_contractor_hired_as_an_employee_is_converted_not_left_a_terminated_contractor(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        var contractor = Handoff.Data.Tests.Workflows.WorkflowSpine.Worker("500001", "Carla", "Contreras", "01/05/2024", "10/31/2026", type: "Contingent");
        contractor["Birth_Date"] = "03/03/1990";
        await spine.SyncRecordsAsync("hris", contractor);
        var (before, _) = await spine.PersonByKeyAsync("employee_id", "500001");
        Assert.Equal("terminated", before.State);

        // Hired as an employee under a new id: same name and birth date only suggest a match, HR links it.
        spine.Clock.Now += TimeSpan.FromDays(1);
        var employee = Handoff.Data.Tests.Workflows.WorkflowSpine.Worker("500002", "Carla", "Contreras", "11/16/2026", type: "Regular");
        employee["Birth_Date"] = "03/03/1990";
        await spine.SyncRecordsAsync("hris", employee);
        long item;
        await using (var db = spine.Db())
            item = (await db.ReviewItems.SingleAsync(r => r.NativeKey == "500002" && r.Status == "open")).Id;
        await spine.Review.ResolveAsync(spine.Definition, item, new Handoff.Data.People.ReviewDecision.Link(before.Id), "user:alice", default);

        var (after, values) = await spine.PersonByKeyAsync("employee_id", "500002");
        Assert.Equal(before.Id, after.Id);
        Assert.Equal("active", after.State);
        Assert.Equal("employee", values["worker_type"].Value);
        Assert.Equal("2026-11-16", values["start_date"].Value);
        Assert.False(values.ContainsKey("termination_date"), "the employee record's empty termination date is the HRIS's newest statement");
        var events = await spine.EventTypesAsync(after.Id);
        Assert.Contains("person.converted", events);
        Assert.Contains("person.rehired", events);
    }

    /// <summary>Any interleaving of the same deliveries ends in the state their ordering facts give.</summary>
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Any_order_of_the_same_deliveries_ends_in_the_state_their_ordering_facts_give(string provider)
    {
        var fields = new[] { ("Department", "department"), ("Job_Title", "job_title"), ("Cost_Center", "cost_center"), ("Preferred_Name", "preferred_name") };
        for (var seed = 1; seed <= (provider == "sqlite" ? 6 : 3); seed++)
        {
            var random = new Random(seed);
            var spine = await DataSpine.StartAsync(provider);
            await spine.SyncRecordsAsync("hris", Handoff.Data.Tests.Workflows.WorkflowSpine.Worker("200001", "Ada", "Lovelace", "01/05/2020"));
            var t0 = spine.Clock.Now;
            // Eight partial bodies, each with its own as-of time and a random subset of the fields.
            var bodies = Enumerable.Range(1, 8).Select(i =>
            {
                var body = new Dictionary<string, string?> { ["Employee_ID"] = "200001" };
                foreach (var (native, _) in fields.Where(_ => random.Next(2) == 0))
                    body[native] = $"{native}-{i}";
                return (AsOf: t0.AddMinutes(random.Next(1, 1000)), Body: body);
            }).ToList();
            foreach (var (asOf, body) in bodies.OrderBy(_ => random.Next()))
                await spine.Sync.RunAsync(spine.Definition, "hris", Items(body), "webhook", default, delivery: new SyncDelivery(AsOf: asOf));

            var (_, values) = await spine.PersonByKeyAsync("employee_id", "200001");
            foreach (var (native, canonical) in fields)
            {
                // The latest as-of time wins; between equal times, the later delivery (higher sequence) — but
                // the bodies here were sent in a shuffled order, so ties are excluded from the expectation.
                var carrying = bodies.Where(b => b.Body.ContainsKey(native)).OrderBy(b => b.AsOf).ToList();
                if (carrying.Count == 0 || (carrying.Count > 1 && carrying[^1].AsOf == carrying[^2].AsOf))
                    continue;
                Assert.True(values.TryGetValue(canonical, out var v), $"seed {seed}: {canonical} missing");
                Assert.Equal(carrying[^1].Body[native], v!.Value);
            }
        }
    }

    private static async IAsyncEnumerable<SourceItem> Items(Dictionary<string, string?> values)
    {
        yield return new NativeRecord("test", 1, values) { Pointer = "/0" };
        await Task.CompletedTask;
    }
}
