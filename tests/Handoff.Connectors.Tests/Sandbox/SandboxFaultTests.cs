using System.Diagnostics;
using Handoff.Core.Connectors;
using Handoff.Data.Sandbox;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;
using static Handoff.Connectors.Tests.Sandbox.SandboxTarget;
using Kind = Handoff.Core.Connectors.TargetOperationKind;

namespace Handoff.Connectors.Tests.Sandbox;

public sealed class SandboxFaultTests
{
    private static async Task Fault(SandboxTarget t, SandboxFaultMode mode, int? count = null, DateTimeOffset? until = null, TimeSpan? delay = null, string? operation = null)
    {
        await using var db = t.Db();
        await SandboxFaults.SetAsync(db, t.Connector.SystemId, mode, count, until, delay, operation, clock: t.Clock);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Down_system_fails_transiently_and_reports_down_until_cleared(string provider)
    {
        var ad = await StartAsync(provider);
        await Fault(ad, SandboxFaultMode.Down);

        var e = await FailsAsync(ConnectorFailure.Unavailable, () => ad.CreateAsync("j.doe", "1"));
        Assert.True(e.IsTransient);
        var check = await ad.Connector.TestAsync(default);
        Assert.False(check.Ok);
        Assert.Contains("down", check.Message);
        await FailsAsync(ConnectorFailure.Unavailable, () => ad.Connector.DiscoverSchemaAsync(default));
        await FailsAsync(ConnectorFailure.Unavailable, () => ad.ReadAllAsync());
        await FailsAsync(ConnectorFailure.Unavailable, async () => await ad.Connector.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, "x", default));

        await using (var db = ad.Db())
            Assert.Equal(1, await SandboxFaults.ClearAsync(db, ad.Connector.SystemId));
        Assert.True((await ad.Connector.TestAsync(default)).Ok);
        Assert.False((await ad.CreateAsync("j.doe", "1")).AlreadyApplied);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_counted_fault_runs_out_after_its_count(string provider)
    {
        var ad = await StartAsync(provider);
        await Fault(ad, SandboxFaultMode.Down, count: 2);

        await FailsAsync(ConnectorFailure.Unavailable, () => ad.CreateAsync("j.doe", "1"));
        await FailsAsync(ConnectorFailure.Unavailable, () => ad.CreateAsync("j.doe", "1"));
        var third = await ad.CreateAsync("j.doe", "1");

        Assert.False(third.AlreadyApplied);
        await using var db = ad.Db();
        Assert.Equal(0, await db.SandboxFaults.CountAsync());
        Assert.Equal(1, await db.SandboxObjects.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_timed_fault_ends_at_its_time(string provider)
    {
        var ad = await StartAsync(provider);
        await Fault(ad, SandboxFaultMode.Down, until: ad.Clock.Now.AddSeconds(60));

        await FailsAsync(ConnectorFailure.Unavailable, () => ad.CreateAsync("j.doe", "1"));
        ad.Clock.Now = ad.Clock.Now.AddSeconds(61);

        Assert.False((await ad.CreateAsync("j.doe", "1")).AlreadyApplied);
        Assert.True((await ad.Connector.TestAsync(default)).Ok);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Schema_violation_and_conflict_faults_fail_permanently_and_write_nothing(string provider)
    {
        var ad = await StartAsync(provider);
        await Fault(ad, SandboxFaultMode.SchemaViolation, count: 1);
        await Fault(ad, SandboxFaultMode.Conflict, count: 1);

        var schema = await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.CreateAsync("j.doe", "1"));
        var conflict = await FailsAsync(ConnectorFailure.Conflict, () => ad.CreateAsync("j.doe", "1"));

        Assert.False(schema.IsTransient);
        Assert.False(conflict.IsTransient);
        Assert.Empty(await ad.ReadAllAsync());
        Assert.False((await ad.CreateAsync("j.doe", "1")).AlreadyApplied);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_fault_for_one_operation_leaves_the_others_alone(string provider)
    {
        var ad = await StartAsync(provider);
        var dn = (await ad.CreateAsync("j.doe", "1")).NativeId!;
        await Fault(ad, SandboxFaultMode.Down, operation: "disable");

        Assert.True((await ad.Connector.TestAsync(default)).Ok);
        await ad.ApplyAsync(Kind.AddToGroups, dn, (AccountAttributes.Groups, "sales"));
        await FailsAsync(ConnectorFailure.Unavailable, () => ad.ApplyAsync(Kind.Disable, dn));
        Assert.Equal(true, (await ad.ReadOneAsync(dn)).Attributes[AccountAttributes.Enabled]);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Slow_system_answers_after_its_delay_and_honours_cancellation(string provider)
    {
        var ad = await StartAsync(provider);
        await Fault(ad, SandboxFaultMode.Slow, count: 2, delay: TimeSpan.FromMilliseconds(400));

        var watch = Stopwatch.StartNew();
        var created = await ad.CreateAsync("j.doe", "1");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(390), $"took {watch.Elapsed}");
        Assert.False(created.AlreadyApplied);

        await using (var db = ad.Db())
            await SandboxFaults.SetAsync(db, ad.Connector.SystemId, SandboxFaultMode.Slow, delay: TimeSpan.FromSeconds(30), operation: "update");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        watch.Restart();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ad.Connector.ApplyAsync(Op(Kind.Update, created.NativeId, attributes: [("title", "Slow")]), cts.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.False((await ad.ReadOneAsync(created.NativeId!)).Attributes.ContainsKey("title"));
    }

    [Fact]
    public void Fault_modes_and_operations_parse_as_the_CLI_writes_them()
    {
        Assert.Equal(SandboxFaultMode.SchemaViolation, SandboxFaults.ParseMode("schema-violation"));
        Assert.Equal(SandboxFaultMode.Down, SandboxFaults.ParseMode("DOWN"));
        Assert.Null(SandboxFaults.ParseMode("flaky"));
        Assert.Equal("add_to_groups", SandboxFaults.NormalizeOperation("add-to-groups"));
        Assert.Equal("*", SandboxFaults.NormalizeOperation(null));
        Assert.Throws<ArgumentException>(() => SandboxFaults.NormalizeOperation("explode"));
    }
}
