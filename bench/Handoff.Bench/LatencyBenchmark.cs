namespace Handoff.Bench;

public static class LatencyBenchmark
{
    public static Task<int> RunAsync(string[] args) => Task.FromResult(2);
}
