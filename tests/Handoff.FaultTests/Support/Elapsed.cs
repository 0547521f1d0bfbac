using System.Diagnostics;
using Xunit.Abstractions;

namespace Handoff.FaultTests.Support;

/// <summary>How big a suite runs: CI size by default, the full size with
/// <c>HANDOFF_FAULT_SCALE=full</c>.</summary>
public static class FaultScale
{
    public static bool Full => string.Equals(Environment.GetEnvironmentVariable("HANDOFF_FAULT_SCALE"), "full", StringComparison.OrdinalIgnoreCase);

    public static int Pick(int ci, int full) => Full ? full : ci;

    /// <summary>The seed of a suite's RNG: <c>HANDOFF_FAULT_SEED</c> to repeat a run, else a new one (printed).</summary>
    public static int Seed() => int.TryParse(Environment.GetEnvironmentVariable("HANDOFF_FAULT_SEED"), out var s) ? s : Random.Shared.Next(1, int.MaxValue);
}

/// <summary>Prints a line to the test output and to the console (so <c>scripts/test</c>'s log shows the
/// counts too), prefixed with the seconds since the test started.</summary>
public sealed class Report(ITestOutputHelper output, string suite)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    public TimeSpan Elapsed => _watch.Elapsed;

    public void Line(string text)
    {
        var line = $"[{suite} {_watch.Elapsed.TotalSeconds,6:0.0}s] {text}";
        output.WriteLine(line);
        Console.WriteLine(line);
    }
}
