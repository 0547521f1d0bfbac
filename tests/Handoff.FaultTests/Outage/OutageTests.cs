using System.Globalization;
using Handoff.Data.Workflows;
using Handoff.FaultTests.Support;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Handoff.FaultTests.Outage;

/// <summary>
/// A server the node depends on goes away in the middle of a wave and comes back. slapd: the steps
/// fail with a transient "cannot reach" error, their runs park for a durable retry (1, 2, 4 … minutes,
/// no worker held) and `handoff runs show` says what they wait for; once slapd is back every person has
/// exactly one account. PostgreSQL: the node keeps running (each failed tick is logged and retried, no
/// crash loop, no restart needed) and finishes the wave once the database is back. Each server is a
/// private instance started with scripts/services/*.sh, so the shared ones keep serving other tests.
/// Outage: 20 s (CI), 60 s with <c>HANDOFF_FAULT_SCALE=full</c>.
/// </summary>
public sealed class OutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(FaultScale.Pick(20, 60));
    private static readonly int People = FaultScale.Pick(300, 2_000);

    private static int Port(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : fallback;

    private static async Task<int> CompletedAsync(Wave wave) => (await wave.RunsByStatusAsync())?.GetValueOrDefault(RunStatus.Completed) ?? 0;

    /// <summary>Waits (bounded) until at least <paramref name="count"/> runs completed.</summary>
    private static async Task WaitForCompletedAsync(Wave wave, ServeNode node, int count, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (await CompletedAsync(wave) < count)
        {
            Assert.False(node.HasExited, "the node stopped by itself:\n" + node.Output);
            Assert.True(DateTime.UtcNow < deadline, $"fewer than {count} runs completed within {limit}; runs: {Wave.Format(await wave.RunsByStatusAsync())}");
            await Task.Delay(250);
        }
    }

    private static async Task WaitForWaveAsync(Wave wave, ServeNode node, Report report)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(FaultScale.Pick(6, 30));
        Dictionary<string, int>? runs;
        while (!Wave.AllFinal(runs = await wave.RunsByStatusAsync(), wave.People))
        {
            Assert.False(node.HasExited, "the node stopped by itself:\n" + node.Output);
            Assert.True(DateTime.UtcNow < deadline, $"the wave did not finish in time; runs: {Wave.Format(runs)}");
            await Task.Delay(1000);
        }
        report.Line($"wave final; runs: {Wave.Format(runs)}");
    }

    [Fact]
    public async Task Slapd_gone_for_a_while_makes_runs_wait_and_retry_and_nothing_is_lost_or_doubled()
    {
        var report = new Report(output, "outage-slapd");
        var port = Port("HANDOFF_TEST_LDAP_SPARE_PORT", 3895);
        var slapd = Slapd.StartPrivate("slapd-fault-outage", port);
        try
        {
            var wave = await Wave.InstallAsync("outage-ldap", slapd, People);
            await wave.SyncAsync();
            report.Line($"{People} new hires synced; slapd on {slapd.Url}, outage {Outage.TotalSeconds:0} s");
            using var node = wave.Serve(5331);
            await WaitForCompletedAsync(wave, node, People / 5, TimeSpan.FromMinutes(5));

            slapd.Stop();
            report.Line($"slapd stopped; runs: {Wave.Format(await wave.RunsByStatusAsync())}");
            var outageEnds = DateTime.UtcNow + Outage;
            await Task.Delay(Outage / 2);

            // Meanwhile the CLI shows the directory as unreachable: a run parked for a retry, its step's error.
            await using (var ctx = wave.Options.CreateContext())
            {
                var waitingRun = await ctx.Runs.AsNoTracking().Where(r => r.WaitingFor == "retry").Select(r => r.Id).FirstOrDefaultAsync();
                Assert.True(waitingRun != Guid.Empty, $"no run waits for a retry during the outage; runs: {Wave.Format(await wave.RunsByStatusAsync())}");
                var show = await wave.RunAsync("runs", "show", waitingRun.ToString("N"));
                Assert.Contains("waiting for retry", show, StringComparison.Ordinal);
                var error = await ctx.RunSteps.AsNoTracking().Where(s => s.RunId == waitingRun && s.Error != null).Select(s => s.Error).FirstAsync();
                Assert.Contains($"cannot reach {slapd.Url}", error, StringComparison.Ordinal);
                report.Line($"during the outage: runs: {Wave.Format(await wave.RunsByStatusAsync())}; `runs show` of a parked run: waiting for retry, step error \"{error}\"");
            }
            var rest = outageEnds - DateTime.UtcNow;
            if (rest > TimeSpan.Zero)
                await Task.Delay(rest);
            slapd.Resume();
            report.Line($"slapd back; runs: {Wave.Format(await wave.RunsByStatusAsync())}");

            await WaitForWaveAsync(wave, node, report);
            Assert.False(node.HasExited);
            await wave.AssertCompleteAsync(report);
            report.Line($"elapsed {report.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            slapd.Stop();
        }
    }

    [Fact]
    public async Task PostgreSQL_gone_for_a_while_leaves_the_node_running_and_the_wave_completes_when_it_returns()
    {
        var report = new Report(output, "outage-postgres");
        var port = Port("HANDOFF_TEST_PG_SPARE_PORT", 55433);
        var env = new Dictionary<string, string>
        {
            ["HANDOFF_TEST_ROOT"] = Path.Combine(Slapd.TestRoot, "pg-fault-outage"),
            ["HANDOFF_PG_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        };
        Slapd.Service("postgres", "start", env);
        try
        {
            var wave = await Wave.InstallAsync("outage-pg", Slapd.Shared, People, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres");
            await wave.SyncAsync();
            report.Line($"{People} new hires synced into the private PostgreSQL on port {port}; outage {Outage.TotalSeconds:0} s");
            using var node = wave.Serve(5332);
            await WaitForCompletedAsync(wave, node, People / 5, TimeSpan.FromMinutes(5));

            Slapd.Service("postgres", "stop", env);
            report.Line("PostgreSQL stopped (immediate shutdown)");
            var until = DateTime.UtcNow + Outage;
            while (DateTime.UtcNow < until)
            {
                Assert.False(node.HasExited, "the node exited while the database was down:\n" + node.Output);
                await Task.Delay(500);
            }
            Slapd.Service("postgres", "resume", env);
            report.Line($"PostgreSQL back; the node ran through the outage (pid {node.Pid}); runs: {Wave.Format(await wave.RunsByStatusAsync())}");

            await WaitForWaveAsync(wave, node, report);
            Assert.False(node.HasExited);
            await wave.AssertCompleteAsync(report);
            report.Line($"elapsed {report.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            Slapd.Service("postgres", "stop", env);
        }
    }
}
