using Handoff.Data.Cluster;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Cluster;

/// <summary>The lease of a cluster job on both providers: one holder at a time, renewals keep the token,
/// a takeover after expiry increments it, the old holder's fenced mark is refused, release frees it.</summary>
public sealed class JobLeaseTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task One_holder_renewals_keep_the_token_a_takeover_after_expiry_fences_the_old_holder(string provider)
    {
        var db = await TestDatabases.CreateAsync(provider);
        var clock = TestClock.At("2026-11-27");
        var a = new JobLease(db, clock, "node-a", Lease);
        var b = new JobLease(db, clock, "node-b", Lease);

        var held = await a.AcquireAsync("schedule", default);
        Assert.NotNull(held);
        Assert.Equal(("node-a", 1L), (held.Holder, held.FencingToken));
        Assert.Null(await b.AcquireAsync("schedule", default));

        clock.Now += TimeSpan.FromSeconds(20);
        var renewed = await a.AcquireAsync("schedule", default);
        Assert.Equal(1L, renewed!.FencingToken);
        Assert.Equal(clock.Now + Lease, renewed.LeaseUntil);
        Assert.True(await a.MarkRunAsync(renewed, default));

        // node-a stops renewing (paused or dead): after its lease ran out node-b takes over.
        clock.Now += TimeSpan.FromSeconds(25);
        Assert.Null(await b.AcquireAsync("schedule", default));
        clock.Now += TimeSpan.FromSeconds(10);
        var takeovers = new List<string>();
        b.TakenOver += takeovers.Add;
        var taken = await b.AcquireAsync("schedule", default);
        Assert.Equal(("node-b", 2L), (taken!.Holder, taken.FencingToken));
        Assert.Equal(["schedule"], takeovers);

        // node-a wakes up: it may not record a run, nor take the lease back while node-b's is current.
        Assert.False(await a.MarkRunAsync(renewed, default));
        Assert.Null(await a.AcquireAsync("schedule", default));

        // On shutdown node-b releases; node-a takes it at once, with the next token.
        await b.ReleaseAllAsync(default);
        var back = await a.AcquireAsync("schedule", default);
        Assert.Equal(("node-a", 3L), (back!.Holder, back.FencingToken));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_job_is_due_once_per_interval_whichever_node_holds_it(string provider)
    {
        var db = await TestDatabases.CreateAsync(provider);
        var clock = TestClock.At("2026-11-27");
        var a = new JobLease(db, clock, "node-a", Lease);
        var interval = TimeSpan.FromMinutes(5);

        var due = await a.AcquireDueAsync("reconcile", interval, default);
        Assert.NotNull(due);
        Assert.True(await a.MarkRunAsync(due, default));
        clock.Now += TimeSpan.FromMinutes(1);
        Assert.Null(await a.AcquireDueAsync("reconcile", interval, default));

        // The holder dies; the next node takes the lease but the job is not due again before its interval.
        clock.Now += TimeSpan.FromMinutes(1);
        var b = new JobLease(db, clock, "node-b", Lease);
        Assert.Null(await b.AcquireDueAsync("reconcile", interval, default));
        clock.Now += TimeSpan.FromMinutes(3);
        Assert.NotNull(await b.AcquireDueAsync("reconcile", interval, default));
        await using var ctx = db.CreateContext();
        Assert.Equal("node-b", (await ctx.JobLeases.SingleAsync()).Holder);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Racing_nodes_never_both_hold_an_expired_lease(string provider)
    {
        var db = await TestDatabases.CreateAsync(provider);
        var clock = TestClock.At("2026-11-27");
        await new JobLease(db, clock, "dead", Lease).AcquireAsync("trigger-scan", default);
        clock.Now += TimeSpan.FromMinutes(1);
        var nodes = Enumerable.Range(0, 8).Select(i => new JobLease(db, clock, $"node-{i}", Lease)).ToList();
        var results = new List<JobLeaseRow?>();
        foreach (var round in Enumerable.Range(0, 3))
        {
            var attempts = await Task.WhenAll(nodes.Select(async n =>
            {
                try
                {
                    return await n.AcquireAsync("trigger-scan", default);
                }
                catch (Exception e) when (provider == TestDatabases.Sqlite && e.GetBaseException().Message.Contains("locked", StringComparison.OrdinalIgnoreCase))
                {
                    return null; // SQLite: a busy writer is a lost race, not a second holder
                }
            }));
            results.AddRange(attempts);
        }
        var holders = results.Where(r => r is not null).Select(r => r!.Holder).Distinct().ToList();
        Assert.Single(holders);
        await using var ctx = db.CreateContext();
        var row = await ctx.JobLeases.SingleAsync();
        Assert.Equal((holders[0], 2L), (row.Holder, row.FencingToken));
    }
}
