using Handoff.Connectors;
using Handoff.Core.Demo;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Cli;

/// <summary>
/// A sync killed with SIGKILL in the middle and run again ends exactly where an uninterrupted sync
/// ends: nothing lost, nothing doubled (people, links, keys, findings, events).
/// </summary>
public sealed class CrashTests
{
    private const int People = 20_000;

    private static readonly Lazy<string> Workers = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "handoff-crash-data");
        var file = Path.Combine(dir, "hris", "workers.csv");
        if (!File.Exists(file))
            AcmeDataGenerator.Generate(dir, People, seed: 7, defectRate: 0.02);
        return file;
    });

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_sync_killed_mid_way_and_run_again_loses_nothing_and_repeats_nothing(string provider)
    {
        var file = Workers.Value;

        // Reference: the same file synced once, uninterrupted, in process.
        var reference = await DataSpine.StartAsync(provider);
        await reference.Sync.RunAsync(reference.Definition, "hris",
            SourceReaders.Open(reference.Definition.FindSystem("hris")!, reference.WorkspaceDir, file).ReadAsync(default), "csv", default);
        var expected = await Census(reference);
        Assert.True(expected.People > People / 2, $"the reference run created only {expected.People} people");

        // The real process, killed once its first batches are committed but long before the end.
        var crashed = await DataSpine.StartAsync(provider);
        var db = crashed.Database.ConnectionString;
        using (var process = HandoffProcess.Start("sync", "hris", "--file", file, "--db", db, "--today", "2026-11-27"))
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while ((await Census(crashed)).People == 0)
            {
                if (process.HasExited)
                    Assert.Fail("the sync ended before committing anything: " + await process.StandardError.ReadToEndAsync());
                Assert.True(DateTime.UtcNow < deadline, "the sync committed nothing within 120 s");
                await Task.Delay(20);
            }
            if (process.HasExited)
                Assert.Fail("the sync finished before it could be killed: " + await process.StandardOutput.ReadToEndAsync());
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        var partial = await Census(crashed);
        Assert.True(partial.People < expected.People, $"the kill came too late: {partial.People} of {expected.People} people were already in");
        await using (var ctx = crashed.Db())
            Assert.Equal("running", (await ctx.Syncs.OrderBy(s => s.Id).LastAsync()).Status);

        var (exit, output) = await HandoffProcess.RunAsync("sync", "hris", "--file", file, "--db", db, "--today", "2026-11-27");
        Assert.True(exit == 0, output);
        Assert.Equal(expected, await Census(crashed));
    }

    private sealed record Counts(int People, int Links, int Keys, int Findings, int Quarantined, int Created, int Pending, string States);

    private static async Task<Counts> Census(DataSpine spine)
    {
        await using var db = spine.Db();
        var states = await db.People.GroupBy(p => p.State).Select(g => new { g.Key, N = g.Count() }).ToListAsync();
        return new Counts(
            await db.People.CountAsync(),
            await db.SourceRecords.CountAsync(),
            await db.PersonKeys.CountAsync(),
            await db.Findings.CountAsync(),
            await db.Quarantine.CountAsync(q => q.Status == "open"),
            await db.OutboxEvents.CountAsync(e => e.Type == "person.created"),
            await db.PendingChanges.CountAsync(),
            string.Join(",", states.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.N}")));
    }
}
