using Handoff.Connectors;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Data.Reconciliation;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Reconciliation;

/// <summary>Reconciliation of the Acme sandbox directory (Active Directory twin) on both providers: every
/// class, enforce-versus-on_create/if_empty repair, dry run, thresholds, the report and the audit log.</summary>
public sealed class ReconcilerTests
{
    internal sealed record Setup(DataSpine Spine, Reconciler Reconciler, SandboxConnector Directory, Dictionary<string, Guid> People, Dictionary<string, string> Dns);

    /// <summary>People 1001 (in sync), 1002 (drifted title and mail), 1003 (terminated, account enabled),
    /// 1005 (link to an account that is gone); an account linked to a deleted person, an unmanaged one.</summary>
    /// <param name="systems">edits the Acme systems.yaml before the workspace is applied</param>
    internal static async Task<Setup> StartAsync(string provider, Func<string, string>? systems = null)
    {
        var spine = systems is null ? await DataSpine.StartAsync(provider) : await DataSpine.StartAsync(provider, workspaceDir: AcmeCopy(systems));
        await spine.SyncRecordsAsync("hris",
            WorkflowSpine.Worker("1001", "Ada", "Lovelace", "01/05/2026"),
            WorkflowSpine.Worker("1002", "Bob", "Babbage", "01/05/2026"),
            WorkflowSpine.Worker("1003", "Cy", "Gone", "01/05/2025", end: "10/31/2026"),
            WorkflowSpine.Worker("1005", "Eve", "Missing", "01/05/2026"));
        var directory = (SandboxConnector)new SandboxConnectors(spine.Definition, spine.Database, spine.Clock).Find("directory")!;
        var people = new Dictionary<string, Guid>();
        var dns = new Dictionary<string, string>();
        foreach (var (id, first, last) in new[] { ("1001", "Ada", "Lovelace"), ("1002", "Bob", "Babbage"), ("1003", "Cy", "Gone") })
        {
            people[id] = (await spine.PersonByKeyAsync("employee_id", id)).Row.Id;
            dns[id] = await CreateAsync(directory, id, first, last);
        }
        people["1005"] = (await spine.PersonByKeyAsync("employee_id", "1005")).Row.Id;
        await directory.ApplyAsync(Update(dns["1003"], (AccountAttributes.Enabled, true)), default);
        var deleted = Guid.NewGuid();
        dns["deleted"] = await CreateAsync(directory, null, "Del", "Eted");
        dns["stranger"] = await CreateAsync(directory, "7777", "Strange", "Admin");
        await using (var db = spine.Db())
        {
            foreach (var id in new[] { "1001", "1002", "1003" })
                db.AccountLinks.Add(Link(people[id], dns[id]));
            db.AccountLinks.Add(Link(people["1005"], "CN=Eve Missing,OU=People,DC=acme,DC=example"));
            db.AccountLinks.Add(Link(deleted, dns["deleted"]));
            await db.SaveChangesAsync();
        }
        // Bob's account drifts: his title (enforce) and his mail (if_empty) changed in the directory.
        await directory.ApplyAsync(Update(dns["1002"], ("title", "Chief Tinkerer"), (AccountAttributes.Email, "bob@elsewhere.example")), default);
        var reconciler = new Reconciler(spine.Database, spine.Clock, spine.Audit, spine.Workspace, spine.Keys, ws => TargetConnectors.For(ws, spine.Database, spine.Clock));
        return new Setup(spine, reconciler, directory, people, dns);
    }

    /// <summary>A copy of the Acme workspace with <paramref name="systems"/> applied to its systems.yaml.</summary>
    internal static string AcmeCopy(Func<string, string> systems)
    {
        var workspace = Path.Combine(Path.GetTempPath(), "handoff-reconcile-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(workspace, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        var path = Path.Combine(workspace, "systems.yaml");
        var before = File.ReadAllText(path);
        var after = systems(before);
        Assert.NotEqual(before, after);
        File.WriteAllText(path, after);
        return workspace;
    }

    internal static async Task<string> CreateAsync(SandboxConnector directory, string? anchor, string first, string last, string title = "Engineer")
    {
        var result = await directory.ApplyAsync(new TargetOperation(TargetOperationKind.Create, ObjectClasses.Account, null, anchor, new Dictionary<string, object?>
        {
            [AccountAttributes.Username] = $"{first}.{last}".ToLowerInvariant(),
            [AccountAttributes.DisplayName] = $"{first} {last}",
            [AccountAttributes.GivenName] = first,
            [AccountAttributes.Surname] = last,
            ["title"] = title,
            ["department"] = "Engineering",
        }, Guid.NewGuid().ToString("N")), default);
        return result.NativeId!;
    }

    internal static TargetOperation Update(string dn, params (string Name, object? Value)[] attributes) =>
        new(TargetOperationKind.Update, ObjectClasses.Account, dn, null, attributes.ToDictionary(a => a.Name, a => a.Value), Guid.NewGuid().ToString("N"));

    internal static AccountLinkRow Link(Guid person, string dn) => new()
    {
        System = "directory",
        PersonId = person,
        NativeId = dn,
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
    };

    internal static async Task<TargetObject> ReadAsync(SandboxConnector directory, string dn)
    {
        await foreach (var o in directory.ReadAsync(ObjectClasses.Account, default))
        {
            if (o.NativeId == dn)
                return o;
        }
        throw new Xunit.Sdk.XunitException($"{dn} is not in the sandbox");
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Every_account_lands_in_its_class_and_only_enforce_drift_is_repaired(string provider)
    {
        var s = await StartAsync(provider);

        var detail = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        var r = detail.Report;
        Assert.Equal(("completed", 5, 1, 1, 2, 1, 1), (r.Status, r.Accounts, r.InSync, r.Drifted, r.Orphan, r.Unmanaged, r.Missing));
        Assert.Equal((1, 0, 0), (r.Repaired, r.Held, r.RepairFailed));
        var items = detail.Items.ToDictionary(i => i.NativeId!);
        var bob = items[s.Dns["1002"]];
        Assert.Equal(("drifted", s.People["1002"], "repaired"), (bob.Class, bob.PersonId!.Value, bob.Repair));
        Assert.Contains("\"field\":\"job_title\"", bob.DriftJson, StringComparison.Ordinal);
        Assert.Contains("\"field\":\"work_email\"", bob.DriftJson, StringComparison.Ordinal);
        Assert.Equal("orphan", items[s.Dns["1003"]].Class);
        Assert.Contains("terminated", items[s.Dns["1003"]].Reason, StringComparison.Ordinal);
        Assert.Equal("orphan", items[s.Dns["deleted"]].Class);
        Assert.Equal("unmanaged", items[s.Dns["stranger"]].Class);
        Assert.Equal(("missing", s.People["1005"]), (items["CN=Eve Missing,OU=People,DC=acme,DC=example"].Class, items["CN=Eve Missing,OU=People,DC=acme,DC=example"].PersonId!.Value));
        Assert.False(items.ContainsKey(s.Dns["1001"]));

        // read back: the title (enforce) is the canonical one again, the mail (if_empty) was left alone
        var account = await ReadAsync(s.Directory, s.Dns["1002"]);
        Assert.Equal("Engineer", account.Attributes["title"]);
        Assert.Equal("bob@elsewhere.example", account.Attributes["mail"]);

        await using var db = s.Spine.Db();
        var audit = await db.AuditEntries.AsNoTracking().Where(a => a.CorrelationId == r.Id.ToString("N")).ToListAsync();
        Assert.Equal(["reconcile.completed", "reconcile.repaired"], audit.Select(a => a.Action).Order());
        var repaired = audit.Single(a => a.Action == "reconcile.repaired");
        Assert.Equal(s.People["1002"].ToString(), repaired.ObjectId);
        Assert.Contains("Chief Tinkerer", repaired.FieldsJson, StringComparison.Ordinal);
        Assert.Equal(1, await db.ReconciliationReports.CountAsync());
        Assert.Equal(5, await db.ReconciliationItems.CountAsync(i => i.ReportId == r.Id));

        // the next reconciliation finds Bob's account with only the if_empty mail drift left, and repairs nothing
        var again = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);
        Assert.Equal((1, 0), (again.Report.Drifted, again.Report.Repaired));
        Assert.Contains("\"field\":\"work_email\"", again.Items.Single(i => i.NativeId == s.Dns["1002"]).DriftJson, StringComparison.Ordinal);
        Assert.DoesNotContain("job_title", again.Items.Single(i => i.NativeId == s.Dns["1002"]).DriftJson, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_dry_run_reports_what_it_would_repair_and_writes_nothing_to_the_target(string provider)
    {
        var s = await StartAsync(provider);

        var detail = await s.Reconciler.RunAsync("directory", dryRun: true, "user:ivan", default);

        Assert.True(detail.Report.DryRun);
        Assert.Equal((1, 0), (detail.Report.Drifted, detail.Report.Repaired));
        Assert.Equal("would_repair", detail.Items.Single(i => i.NativeId == s.Dns["1002"]).Repair);
        Assert.Equal("Chief Tinkerer", (await ReadAsync(s.Directory, s.Dns["1002"])).Attributes["title"]);
        await using var db = s.Spine.Db();
        Assert.Equal("reconcile.dry_run", (await db.AuditEntries.AsNoTracking().Where(a => a.CorrelationId == detail.Report.Id.ToString("N")).SingleAsync()).Action);
        Assert.Equal(5, await db.AccountLinks.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_lost_link_is_written_again_from_the_accounts_anchor(string provider)
    {
        var s = await StartAsync(provider);
        await using (var db = s.Spine.Db())
            await db.AccountLinks.Where(l => l.PersonId == s.People["1001"]).ExecuteDeleteAsync();

        var detail = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        var ada = detail.Items.Single(i => i.NativeId == s.Dns["1001"]);
        Assert.Equal(("in_sync", "anchor", "relinked"), (ada.Class, ada.MatchedBy, ada.Repair));
        await using var check = s.Spine.Db();
        Assert.Equal(s.Dns["1001"], (await check.AccountLinks.SingleAsync(l => l.PersonId == s.People["1001"])).NativeId);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Repairs_beyond_the_threshold_are_held_until_an_approver_releases_them(string provider)
    {
        var s = await StartAsync(provider);
        // Acme's directory holds more than 10 writes a day: drift twelve more accounts.
        var ids = Enumerable.Range(2001, 12).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        await s.Spine.SyncRecordsAsync("hris", [.. ids.Select(id => WorkflowSpine.Worker(id, "Many", "Person" + id, "01/05/2026"))]);
        await using (var db = s.Spine.Db())
        {
            foreach (var id in ids)
            {
                var dn = await CreateAsync(s.Directory, id, "Many", "Person" + id, title: "Wrong");
                s.Dns[id] = dn;
                db.AccountLinks.Add(Link((await s.Spine.PersonByKeyAsync("employee_id", id)).Row.Id, dn));
            }
            await db.SaveChangesAsync();
        }

        var held = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        Assert.Equal((13, 0, 13), (held.Report.Drifted, held.Report.Repaired, held.Report.Held));
        Assert.Contains("(threshold: 10)", held.Items.First(i => i.Repair == "held").RepairError, StringComparison.Ordinal);
        Assert.Equal("Wrong", (await ReadAsync(s.Directory, s.Dns["2001"])).Attributes["title"]);
        var engine = new WorkflowEngine(s.Spine.Database, s.Spine.Clock, s.Spine.Audit, s.Spine.Workspace,
            new WorkflowStore(s.Spine.Database, s.Spine.Clock, s.Spine.Audit, s.Spine.Workspace), s.Spine.Keys, ws => TargetConnectors.For(ws, s.Spine.Database, s.Spine.Clock));
        Assert.Equal(13, (await engine.ListStagedAsync(heldOnly: true, default)).Count(w => w.StepId == Reconciler.StagedStep));

        Assert.Equal(13, await engine.DecideStagedAsync(null, "directory", release: true, "tara", default));
        var released = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        Assert.Equal((13, 0), (released.Report.Repaired, released.Report.Held));
        Assert.Equal("Engineer", (await ReadAsync(s.Directory, s.Dns["2001"])).Attributes["title"]);
        await using var check = s.Spine.Db();
        Assert.Equal(13, await check.StagedWrites.CountAsync(w => w.StepId == Reconciler.StagedStep && w.Status == "applied"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_unknown_or_non_target_system_is_refused_naming_the_systems_that_can_be_reconciled(string provider)
    {
        var s = await StartAsync(provider);

        var unknown = await Assert.ThrowsAsync<ReconcileException>(() => s.Reconciler.RunAsync("directroy", false, "user:ivan", default));
        var source = await Assert.ThrowsAsync<ReconcileException>(() => s.Reconciler.RunAsync("hris", false, "user:ivan", default));

        Assert.Equal("no system \"directroy\" in the workspace; target systems that can be reconciled: directory, slack", unknown.Message);
        Assert.StartsWith("hris is a hris system (csv), not a target with accounts", source.Message, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_scheduled_reconciliation_runs_once_for_the_latest_missed_occurrence(string provider)
    {
        var workspace = Path.Combine(Path.GetTempPath(), "handoff-reconcile-cron-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(workspace, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        var systems = Path.Combine(workspace, "systems.yaml");
        const string Anchor = "      threshold_window: 24h\n";
        Assert.Contains(Anchor, File.ReadAllText(systems), StringComparison.Ordinal);
        File.WriteAllText(systems, File.ReadAllText(systems).Replace(Anchor, Anchor + "      reconcile: \"0 3 * * *\"\n", StringComparison.Ordinal));
        var spine = await DataSpine.StartAsync(provider, workspaceDir: workspace);
        var reconciler = new Reconciler(spine.Database, spine.Clock, spine.Audit, spine.Workspace, spine.Keys, ws => TargetConnectors.For(ws, spine.Database, spine.Clock));
        var serverStart = spine.Clock.GetUtcNow(); // 2026-11-27 09:00: today's 03:00 is before the start

        Assert.Empty(await reconciler.RunDueAsync(serverStart, default));

        spine.Clock.Now = serverStart.AddDays(3); // down over three occurrences (28th, 29th, 30th at 03:00)
        var ran = Assert.Single(await reconciler.RunDueAsync(serverStart, default));
        Assert.Equal(("directory", "schedule:2026-11-30T03:00Z"), (ran.Report.System, ran.Report.Actor));
        Assert.Empty(await reconciler.RunDueAsync(serverStart, default));

        spine.Clock.Now = serverStart.AddDays(4);
        Assert.Equal("schedule:2026-12-01T03:00Z", Assert.Single(await reconciler.RunDueAsync(serverStart, default)).Report.Actor);
        Assert.Equal(2, (await reconciler.ListAsync("directory", 10, default)).Count);
    }
}
