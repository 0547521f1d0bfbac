using Handoff.Data.Sources;
using Handoff.Data.Systems;
using Handoff.Data.Workflows;

namespace Handoff.Data.Tests.Systems;

/// <summary>Integration health from what is already recorded: run steps against a target by outcome,
/// and a source's failed syncs and rejected rows, within the period asked for.</summary>
public sealed class SystemHealthTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Writes_and_sync_errors_are_counted_per_system_within_the_period(string provider)
    {
        var spine = await DataSpine.StartAsync(provider);
        var now = spine.Clock.GetUtcNow();
        var run = Guid.NewGuid();
        RunStepRow Step(string? system, string status, double hoursAgo) => new()
        {
            RunId = run,
            StepId = "s",
            Uses = "directory.create_account",
            System = system,
            Status = status,
            StartedAt = now.AddHours(-hoursAgo),
            FinishedAt = now.AddHours(-hoursAgo),
        };
        await using (var db = spine.Db())
        {
            db.RunSteps.AddRange(
                Step("directory", "completed", 1), Step("directory", "completed", 2), Step("directory", "completed", 30),
                Step("directory", "failed", 3), Step("directory", "blocked", 4), Step("directory", "retry", 5),
                Step("directory", "skipped", 1), Step("directory", "waiting", 1),
                Step("directory", "completed", 24 * 8), Step("directory", "failed", 24 * 8),
                Step("slack", "completed", 1), Step(null, "completed", 1));
            db.Syncs.AddRange(
                new SyncRow { System = "hris", StartedAt = now.AddHours(-2), Status = "completed", Rejected = 2 },
                new SyncRow { System = "hris", StartedAt = now.AddHours(-3), Status = "failed", Error = "file locked" },
                new SyncRow { System = "hris", StartedAt = now.AddDays(-9), Status = "failed", Rejected = 5 },
                new SyncRow { System = "ats", StartedAt = now.AddHours(-1), Status = "completed" });
            await db.SaveChangesAsync();
        }
        var health = new SystemHealth(spine.Database);

        var day = await health.WritesSinceAsync(now.AddHours(-24), default);
        Assert.Equal(new TargetWrites(2, 3), day["directory"]);
        Assert.Equal(0.6, day["directory"].ErrorRate);
        Assert.Equal(new TargetWrites(1, 0), day["slack"]);
        Assert.False(day.ContainsKey("hris"));

        var week = (await health.SinceAsync(now.AddDays(-7), default)).ToDictionary(h => h.System);
        Assert.Equal(spine.Definition.Systems.Select(s => s.Id), week.Keys); // every system, in the workspace's order
        Assert.Equal(new IntegrationHealth("directory", 3, 3, 0), week["directory"]);
        Assert.Equal(new IntegrationHealth("hris", 0, 0, 3), week["hris"]);
        Assert.Equal(new IntegrationHealth("ats", 0, 0, 0), week["ats"]);
        Assert.Null(new TargetWrites(0, 0).ErrorRate);
    }
}
