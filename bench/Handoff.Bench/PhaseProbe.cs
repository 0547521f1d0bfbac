using System.Diagnostics;
using System.Globalization;

namespace Handoff.Bench;

/// <summary>One measured phase of one run.</summary>
public sealed record PhaseResult(int Size, string Provider, string Phase, long Records, long Changes, TimeSpan Elapsed, double PeakMb, double GrowthMb, double AllocatedMb)
{
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;
    public double ChangesPerSecond => Changes / Elapsed.TotalSeconds;
}

/// <summary>
/// Times a phase and measures its memory. On Linux the kernel's peak-RSS counter (VmHWM) is reset
/// at the start of the phase (<c>echo 5 &gt; /proc/self/clear_refs</c>), so "peak" is the true
/// highest resident set of the process during that phase, not since the process started; "growth"
/// is that peak minus the resident set when the phase began (after a full GC). Elsewhere the
/// working set is sampled every 10 ms instead. Allocated is the managed bytes allocated during
/// the phase (all threads).
/// </summary>
public sealed class PhaseProbe : IDisposable
{
    private readonly Stopwatch _watch;
    private readonly long _startRss;
    private readonly long _startAllocated;
    private readonly bool _kernelPeak;
    private readonly Timer? _sampler;
    private long _sampledPeak;

    public PhaseProbe()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        _kernelPeak = TryResetPeak();
        _startRss = Environment.WorkingSet;
        _sampledPeak = _startRss;
        if (!_kernelPeak)
            _sampler = new Timer(_ => _sampledPeak = Math.Max(_sampledPeak, Environment.WorkingSet), null, 0, 10);
        _startAllocated = GC.GetTotalAllocatedBytes(precise: false);
        _watch = Stopwatch.StartNew();
    }

    public PhaseResult Stop(int size, string provider, string phase, long records, long changes)
    {
        _watch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - _startAllocated;
        var peak = _kernelPeak ? KernelPeak() ?? Environment.WorkingSet : Math.Max(_sampledPeak, Environment.WorkingSet);
        const double mb = 1024 * 1024;
        return new PhaseResult(size, provider, phase, records, changes, _watch.Elapsed, peak / mb, (peak - _startRss) / mb, allocated / mb);
    }

    public void Dispose() => _sampler?.Dispose();

    private static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return KernelPeak() is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    private static long? KernelPeak()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        return null;
    }
}
