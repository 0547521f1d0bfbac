using Handoff.FaultTests.Support;
using Xunit.Abstractions;

namespace Handoff.FaultTests.Crash;

/// <summary>
/// kill -9 of the only node, again and again, during an onboarding wave into the real OpenLDAP on
/// PostgreSQL: a dead node's runs are taken over after its lease (HANDOFF_RUN_LEASE=10s here) and the
/// connector recognises its own earlier writes, so at the end every person has exactly one account,
/// every run is completed and the audit chain is intact and complete. CI size: 1,000 people, 5 kills;
/// <c>HANDOFF_FAULT_SCALE=full</c>: 10,000 people, 20 kills. <c>HANDOFF_FAULT_SEED</c> repeats a run.
/// </summary>
public sealed class CrashWaveTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_the_node_during_a_wave_leaves_exactly_one_account_per_person()
    {
        var report = new Report(output, "crash");
        var people = FaultScale.Pick(1_000, 10_000);
        var kills = FaultScale.Pick(5, 20);
        var seed = FaultScale.Seed();
        var random = new Random(seed);
        report.Line($"seed {seed} (HANDOFF_FAULT_SEED={seed} repeats it), {people} people, {kills} kills");

        var wave = await Wave.InstallAsync("crash", Slapd.Shared, people);
        report.Line("installed: workspace, dictionary, joiner workflow on PostgreSQL");
        var port = 5330;
        var node = wave.Serve(port);
        try
        {
            await wave.SyncAsync();
            report.Line($"synced {people} new hires");
            for (var k = 1; k <= kills; k++)
            {
                // a random moment while runs execute: once this node has completed runs of its own
                // (start-up takes seconds on a busy machine), after a further random 0-4 s
                var before = (await wave.RunsByStatusAsync())?.GetValueOrDefault(Data.Workflows.RunStatus.Completed) ?? 0;
                var progress = DateTime.UtcNow.AddSeconds(120);
                while (((await wave.RunsByStatusAsync())?.GetValueOrDefault(Data.Workflows.RunStatus.Completed) ?? 0) <= before && DateTime.UtcNow < progress && !node.HasExited)
                    await Task.Delay(200);
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 4_000)));
                Assert.False(node.HasExited, "the node stopped by itself:\n" + node.Output);
                node.KillHard();
                node.Dispose();
                report.Line($"kill {k}/{kills} (kill -9); runs: {Wave.Format(await wave.RunsByStatusAsync())}");
                node = wave.Serve(port);
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(FaultScale.Pick(6, 60));
            Dictionary<string, int>? runs;
            while (!Wave.AllFinal(runs = await wave.RunsByStatusAsync(), people))
            {
                Assert.False(node.HasExited, "the node stopped by itself:\n" + node.Output);
                Assert.True(DateTime.UtcNow < deadline, $"the wave did not finish in time; runs: {Wave.Format(runs)}\n{node.Output[^Math.Min(4000, node.Output.Length)..]}");
                await Task.Delay(1000);
            }
            report.Line($"wave final; runs: {Wave.Format(runs)}");
        }
        finally
        {
            node.Dispose();
        }
        await wave.AssertCompleteAsync(report);
        report.Line($"people {people}, kills {kills}, elapsed {report.Elapsed.TotalSeconds:0.0} s");
    }
}
