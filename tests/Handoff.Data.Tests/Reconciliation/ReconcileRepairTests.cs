using System.Globalization;
using Handoff.Connectors;
using Handoff.Core.Connectors;
using Handoff.Data.Reconciliation;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Reconciliation;

/// <summary>Repairs on both providers: the report is committed before the first write and each outcome
/// after it (a failing or dying connector leaves an honest report that the next run picks up), and the
/// threshold counts repairs over the system's window, as the engine counts disables and deletes.</summary>
public sealed class ReconcileRepairTests
{
    /// <summary>Passes everything through, except that from the <paramref name="failFrom"/>th repair on it
    /// either fails like a target (a <see cref="ConnectorException"/> for that one write) or dies like a
    /// process (every write from then on throws and never reaches the target).</summary>
    private sealed class FaultyConnector(ITargetConnector inner, int failFrom, bool die) : ITargetConnector
    {
        private int _updates;

        public string SystemId => inner.SystemId;

        public Task<ConnectionCheck> TestAsync(CancellationToken ct) => inner.TestAsync(ct);

        public Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct) => inner.DiscoverSchemaAsync(ct);

        public IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, CancellationToken ct) => inner.ReadAsync(objectClass, ct);

        public Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
        {
            var n = Interlocked.Increment(ref _updates);
            if (die && n >= failFrom)
                throw new OperationCanceledException("the process went away");
            if (!die && n == failFrom)
                throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"write number {n} refused");
            return inner.ApplyAsync(operation, ct);
        }
    }

    private sealed class Faulty(ITargetConnectorSource inner, int failFrom, bool die) : ITargetConnectorSource
    {
        public ITargetConnector? Find(string systemId) => inner.Find(systemId) is { } c ? new FaultyConnector(c, failFrom, die) : null;
    }

    /// <summary>Drifts the title of new people <paramref name="from"/>..<paramref name="from"/>+count-1 (linked accounts titled "Wrong").</summary>
    private static async Task DriftAsync(ReconcilerTests.Setup s, int from, int count)
    {
        var ids = Enumerable.Range(from, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        await s.Spine.SyncRecordsAsync("hris", [.. ids.Select(id => WorkflowSpine.Worker(id, "Many", "Person" + id, "01/05/2026"))]);
        await using var db = s.Spine.Db();
        foreach (var id in ids)
        {
            var dn = await ReconcilerTests.CreateAsync(s.Directory, id, "Many", "Person" + id, title: "Wrong");
            s.Dns[id] = dn;
            db.AccountLinks.Add(ReconcilerTests.Link((await s.Spine.PersonByKeyAsync("employee_id", id)).Row.Id, dn));
        }
        await db.SaveChangesAsync();
    }

    /// <summary>Acme's directory without its share rule (20 % of a dozen test accounts is two): only "10 per 24 h" holds.</summary>
    private static string CountOnly(string systems) => systems.Replace("      threshold_share: \"0.2\"\n", "", StringComparison.Ordinal);

    private static Reconciler With(ReconcilerTests.Setup s, Func<ITargetConnectorSource, ITargetConnectorSource> wrap) =>
        new(s.Spine.Database, s.Spine.Clock, s.Spine.Audit, s.Spine.Workspace, s.Spine.Keys, ws => wrap(TargetConnectors.For(ws, s.Spine.Database, s.Spine.Clock)));

    private static async Task<int> TitledWrongAsync(ReconcilerTests.Setup s)
    {
        var n = 0;
        await foreach (var o in s.Directory.ReadAsync(ObjectClasses.Account, default))
        {
            if (o.Attributes.TryGetValue("title", out var t) && t as string == "Wrong")
                n++;
        }
        return n;
    }

    /// <summary>Accounts still drifted: the "Wrong" titles and Bob's "Chief Tinkerer".</summary>
    private static async Task<int> UnrepairedAsync(ReconcilerTests.Setup s) =>
        await TitledWrongAsync(s) + ((await ReconcilerTests.ReadAsync(s.Directory, s.Dns["1002"])).Attributes["title"] as string == "Engineer" ? 0 : 1);

    private static WorkflowEngine Engine(ReconcilerTests.Setup s) => new(s.Spine.Database, s.Spine.Clock, s.Spine.Audit, s.Spine.Workspace,
        new WorkflowStore(s.Spine.Database, s.Spine.Clock, s.Spine.Audit, s.Spine.Workspace), s.Spine.Keys, ws => TargetConnectors.For(ws, s.Spine.Database, s.Spine.Clock));

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_repair_the_target_refuses_is_failed_with_its_error_the_others_are_written_and_the_next_run_retries_it(string provider)
    {
        var s = await ReconcilerTests.StartAsync(provider, CountOnly);
        await DriftAsync(s, 2001, 5); // with Bob: six repairs

        var detail = await With(s, c => new Faulty(c, failFrom: 3, die: false)).RunAsync("directory", dryRun: false, "user:ivan", default);

        Assert.Equal(("completed", 5, 1), (detail.Report.Status, detail.Report.Repaired, detail.Report.RepairFailed));
        var failed = Assert.Single(detail.Items, i => i.Repair == RepairStatus.Failed);
        Assert.Equal("directory: write number 3 refused", failed.RepairError);
        Assert.Equal(5, detail.Items.Count(i => i.Repair == RepairStatus.Repaired));
        Assert.Equal(1, await UnrepairedAsync(s));
        await using (var db = s.Spine.Db())
        {
            var audit = await db.AuditEntries.AsNoTracking().Where(a => a.CorrelationId == detail.Report.Id.ToString("N")).Select(a => a.Action).ToListAsync();
            Assert.Equal(5, audit.Count(a => a == "reconcile.repaired"));
            Assert.Equal(1, audit.Count(a => a == "reconcile.repair_failed"));
            Assert.Single(audit, a => a == "reconcile.completed");
            // the refused write does not count toward the threshold's window
            Assert.Equal(5, await db.StagedWrites.CountAsync(w => w.StepId == Reconciler.StagedStep && w.Status == "allowed"));
        }

        var again = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        Assert.Equal((1, 0), (again.Report.Repaired, again.Report.RepairFailed));
        Assert.Equal(failed.NativeId, again.Items.Single(i => i.Repair == RepairStatus.Repaired).NativeId);
        Assert.Equal(0, await UnrepairedAsync(s));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_run_that_dies_mid_repair_leaves_a_report_of_what_was_written_and_the_next_run_picks_it_up(string provider)
    {
        var s = await ReconcilerTests.StartAsync(provider, CountOnly);
        await DriftAsync(s, 2001, 5);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            With(s, c => new Faulty(c, failFrom: 3, die: true)).RunAsync("directory", dryRun: false, "user:ivan", default));

        Guid crashed;
        await using (var db = s.Spine.Db())
        {
            var report = await db.ReconciliationReports.AsNoTracking().SingleAsync();
            crashed = report.Id;
            Assert.Equal((ReportStatus.Repairing, 6), (report.Status, report.Drifted));
            var repairs = await db.ReconciliationItems.AsNoTracking().Where(i => i.ReportId == crashed && i.Repair != null).Select(i => i.Repair).ToListAsync();
            Assert.Equal(2, repairs.Count(r => r == RepairStatus.Repaired));
            Assert.Equal(4, repairs.Count(r => r == RepairStatus.Pending));
            Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.CorrelationId == crashed.ToString("N") && a.Action == "reconcile.repaired"));
        }
        Assert.Equal(4, await UnrepairedAsync(s));

        var again = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        Assert.Equal(("completed", 4), (again.Report.Status, again.Report.Repaired));
        Assert.Equal(0, await UnrepairedAsync(s));
        var old = await s.Reconciler.GetAsync(crashed.ToString(), default);
        Assert.Equal((ReportStatus.Interrupted, 2, 0), (old.Report.Status, old.Report.Repaired, old.Report.RepairFailed));
        Assert.Equal(4, old.Items.Count(i => i.Repair == RepairStatus.Interrupted));
        Assert.All(old.Items.Where(i => i.Repair == RepairStatus.Interrupted), i => Assert.Contains(again.Report.Id.ToString("N"), i.RepairError, StringComparison.Ordinal));
        await using var check = s.Spine.Db();
        Assert.Equal(1, await check.AuditEntries.CountAsync(a => a.CorrelationId == crashed.ToString("N") && a.Action == "reconcile.interrupted"));
        // two writes of the dead run and four of this one count in the window; the dead run's unwritten four do not
        Assert.Equal(6, await check.StagedWrites.CountAsync(w => w.StepId == Reconciler.StagedStep && w.Status == "allowed"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_threshold_counts_repairs_over_the_window_so_two_runs_cannot_each_slip_under_it(string provider)
    {
        var s = await ReconcilerTests.StartAsync(provider, CountOnly);
        await DriftAsync(s, 2001, 5);

        // Acme's directory: 10 writes per 24 h. Six now…
        var first = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);
        Assert.Equal((6, 0), (first.Report.Repaired, first.Report.Held));

        // …and five more the same day would be eleven: none of them is written, each is held.
        await DriftAsync(s, 2006, 5);
        var second = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);
        Assert.Equal((0, 5), (second.Report.Repaired, second.Report.Held));
        Assert.Contains("5 repairs would make 11 in directory within 1d (threshold: 10)", second.Items.First(i => i.Repair == RepairStatus.Held).RepairError, StringComparison.Ordinal);
        Assert.Equal(5, await TitledWrongAsync(s));
        var engine = Engine(s);
        Assert.Equal(5, (await engine.ListStagedAsync(heldOnly: true, default)).Count(w => w.StepId == Reconciler.StagedStep));

        // A day later the window is empty: three new drifts are written, the held five still wait for an approver.
        s.Spine.Clock.Now = s.Spine.Clock.Now.AddHours(25);
        await DriftAsync(s, 2011, 3);
        var third = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);
        Assert.Equal((3, 5), (third.Report.Repaired, third.Report.Held));
        Assert.Contains("held by an earlier reconciliation", third.Items.First(i => i.Repair == RepairStatus.Held).RepairError, StringComparison.Ordinal);
        Assert.Equal(5, (await engine.ListStagedAsync(heldOnly: true, default)).Count(w => w.StepId == Reconciler.StagedStep));

        Assert.Equal(5, await engine.DecideStagedAsync(null, "directory", release: true, "tara", default));
        var fourth = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);
        Assert.Equal((5, 0), (fourth.Report.Repaired, fourth.Report.Held));
        Assert.Equal(0, await TitledWrongAsync(s));
        await using var db = s.Spine.Db();
        Assert.Equal(5, await db.StagedWrites.CountAsync(w => w.StepId == Reconciler.StagedStep && w.Status == "applied"));
    }
}
