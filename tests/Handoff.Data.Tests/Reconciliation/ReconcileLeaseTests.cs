using System.Globalization;
using Handoff.Connectors;
using Handoff.Core.Connectors;
using Handoff.Data.Cluster;
using Handoff.Data.Reconciliation;
using Handoff.Data.Tests.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Reconciliation;

/// <summary>One repairing reconciliation of a system at a time across nodes and processes: the run holds
/// the system's lease, a second one is refused naming the holder, a dead holder's lease runs out, and a
/// run whose lease is taken over stops writing.</summary>
public sealed class ReconcileLeaseTests
{
    private static string Lease => Reconciler.LeaseName("directory");

    /// <summary>Gives the directory's lease to <paramref name="node"/> as a takeover would (a new fencing token).</summary>
    private static async Task StealAsync(DataSpine spine, string node)
    {
        await using var db = spine.Db();
        var until = spine.Clock.GetUtcNow() + TimeSpan.FromHours(1);
        await db.JobLeases.Where(l => l.Name == Lease).ExecuteUpdateAsync(u => u
            .SetProperty(l => l.Holder, node).SetProperty(l => l.LeaseUntil, until).SetProperty(l => l.FencingToken, l => l.FencingToken + 1));
    }

    private static async Task<ReconcilerTests.Setup> DriftedAsync(string provider, int count)
    {
        var s = await ReconcilerTests.StartAsync(provider, systems => systems.Replace("      threshold_share: \"0.2\"\n", "", StringComparison.Ordinal));
        var ids = Enumerable.Range(3001, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        await s.Spine.SyncRecordsAsync("hris", [.. ids.Select(id => WorkflowSpine.Worker(id, "Leased", "Person" + id, "01/05/2026"))]);
        await using var db = s.Spine.Db();
        foreach (var id in ids)
        {
            var dn = await ReconcilerTests.CreateAsync(s.Directory, id, "Leased", "Person" + id, title: "Wrong");
            db.AccountLinks.Add(ReconcilerTests.Link((await s.Spine.PersonByKeyAsync("employee_id", id)).Row.Id, dn));
        }
        await db.SaveChangesAsync();
        return s;
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_run_while_another_node_holds_the_system_is_refused_naming_it_and_runs_once_that_lease_ran_out(string provider)
    {
        var s = await DriftedAsync(provider, 2);
        var nodeB = new JobLease(s.Spine.Database, s.Spine.Clock, "node-b", TimeSpan.FromSeconds(60));
        Assert.NotNull(await nodeB.AcquireAsync(Lease, default));

        var busy = await Assert.ThrowsAsync<ReconcileBusyException>(() => s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default));
        Assert.Contains("directory is being reconciled by node-b", busy.Message, StringComparison.Ordinal);
        await using (var db = s.Spine.Db())
            Assert.Equal(0, await db.ReconciliationReports.CountAsync());
        // a dry run writes nothing and needs no lease
        var dry = await s.Reconciler.RunAsync("directory", dryRun: true, "user:ivan", default);
        Assert.Equal(3, dry.Items.Count(i => i.Repair == RepairStatus.WouldRepair)); // the two and Bob

        // node-b died: once its lease ran out, the run goes ahead and repairs
        s.Spine.Clock.Now += TimeSpan.FromMinutes(2);
        var run = await s.Reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);
        Assert.Equal(("completed", 3), (run.Report.Status, run.Report.Repaired));
        // ... and gives the lease up when it ends: a third node may reconcile at once
        Assert.NotNull(await new JobLease(s.Spine.Database, s.Spine.Clock, "node-c", TimeSpan.FromSeconds(60)).AcquireAsync(Lease, default));
    }

    /// <summary>Takes the lease over for node-b at the first repair, then waits (up to 10 s) to be stopped.</summary>
    private sealed class Usurped(ITargetConnectorSource inner, DataSpine spine) : ITargetConnectorSource
    {
        public ITargetConnector? Find(string systemId) => inner.Find(systemId) is { } c ? new Connector(c, spine) : null;

        private sealed class Connector(ITargetConnector inner, DataSpine spine) : ITargetConnector
        {
            private int _writes;

            public string SystemId => inner.SystemId;
            public Task<ConnectionCheck> TestAsync(CancellationToken ct) => inner.TestAsync(ct);
            public Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct) => inner.DiscoverSchemaAsync(ct);
            public IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, CancellationToken ct) => inner.ReadAsync(objectClass, ct);

            public async Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
            {
                if (Interlocked.Increment(ref _writes) == 1)
                    await StealAsync(spine, "node-b");
                await Task.Delay(TimeSpan.FromSeconds(10), ct);
                return await inner.ApplyAsync(operation, ct);
            }
        }
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_run_whose_lease_is_taken_over_stops_writing_and_leaves_its_report_to_be_picked_up(string provider)
    {
        var s = await DriftedAsync(provider, 2);
        // a short lease, renewed every 100 ms, so the takeover is noticed at once
        var leases = new JobLease(s.Spine.Database, s.Spine.Clock, "node-a", TimeSpan.FromMilliseconds(300));
        var reconciler = new Reconciler(s.Spine.Database, s.Spine.Clock, s.Spine.Audit, s.Spine.Workspace, s.Spine.Keys,
            ws => new Usurped(TargetConnectors.For(ws, s.Spine.Database, s.Spine.Clock), s.Spine), leases);

        var stopped = await Assert.ThrowsAsync<ReconcileException>(() => reconciler.RunAsync("directory", dryRun: false, "user:ivan", default));
        Assert.Contains("its lease reconcile:directory was lost", stopped.Message, StringComparison.Ordinal);
        await using (var db = s.Spine.Db())
        {
            var report = await db.ReconciliationReports.AsNoTracking().SingleAsync();
            Assert.Equal(ReportStatus.Repairing, report.Status);
            Assert.Equal(0, await db.ReconciliationItems.CountAsync(i => i.ReportId == report.Id && i.Repair == RepairStatus.Repaired));
            Assert.Equal("node-b", (await db.JobLeases.AsNoTracking().SingleAsync(l => l.Name == Lease)).Holder);
        }
        Assert.Equal(3, (await s.Reconciler.RunAsync("directory", dryRun: true, "user:ivan", default)).Items.Count(i => i.Repair == RepairStatus.WouldRepair));
    }
}
