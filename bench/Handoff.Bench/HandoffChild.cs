using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Handoff.Bench;

/// <summary>What one run of the real <c>handoff</c> executable took: wall time, exit code, the peak
/// resident set of that process (the kernel's VmHWM, read from <c>/proc/PID/status</c> while it runs) and
/// the tail of its output.</summary>
public sealed record ChildResult(int ExitCode, TimeSpan Elapsed, double PeakMb, string Tail);

/// <summary>
/// Starts <c>dotnet handoff.dll …</c> — the same build the product ships, copied beside the benchmark —
/// so the figures are those of the node that does the work and not of the benchmark process. The
/// kernel's high-water mark (VmHWM) only grows, so polling it every 50 ms misses at most the growth of
/// the last 50 ms before exit; the last value read is reported.
/// </summary>
public sealed class HandoffChild
{
    private readonly StringBuilder _output = new();
    private readonly Task _drain;
    private long _peakKb;

    private HandoffChild(IReadOnlyDictionary<string, string> environment, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        // Wide enough that Spectre tables do not wrap into many lines.
        info.Environment["COLUMNS"] = "200";
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        Process = Process.Start(info)!;
        _drain = Task.WhenAll(Drain(Process.StandardOutput), Drain(Process.StandardError));
    }

    public Process Process { get; }

    public static string Dll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "handoff.dll");
            if (!File.Exists(dll))
                throw new FileNotFoundException($"handoff.dll not found beside the benchmark in {AppContext.BaseDirectory}; build bench/Handoff.Bench first");
            return dll;
        }
    }

    public static HandoffChild Start(IReadOnlyDictionary<string, string> environment, IEnumerable<string> args) => new(environment, args);

    /// <summary>Runs one command to its end (bounded by <paramref name="limit"/>), measuring it.</summary>
    public static async Task<ChildResult> RunAsync(IReadOnlyDictionary<string, string> environment, IEnumerable<string> args, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        var child = new HandoffChild(environment, args);
        using var process = child.Process;
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            while (!process.HasExited)
            {
                child.Sample();
                try
                {
                    await process.WaitForExitAsync(timeout.Token).WaitAsync(TimeSpan.FromMilliseconds(50));
                }
                catch (TimeoutException)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"handoff {string.Join(' ', args.Take(3))} did not finish within {limit.TotalMinutes:0} min:\n{child.Tail(30)}");
        }
        await process.WaitForExitAsync();
        watch.Stop();
        await child._drain;
        return new ChildResult(process.ExitCode, watch.Elapsed, child.PeakMb, child.Tail(30));
    }

    /// <summary>The highest VmHWM read so far, in MB.</summary>
    public double PeakMb => Interlocked.Read(ref _peakKb) / 1024.0;

    /// <summary>Reads VmHWM of the process once (no-op when it has gone or /proc is not there).</summary>
    public void Sample()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Process.Id}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    if (kb > Interlocked.Read(ref _peakKb))
                        Interlocked.Exchange(ref _peakKb, kb);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public string Tail(int lines) => string.Join('\n', Output.Split('\n').TakeLast(lines));

    public async Task StopAsync()
    {
        if (!Process.HasExited)
            Process.Kill(entireProcessTree: true);
        await Process.WaitForExitAsync();
        await _drain.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task Drain(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                // Keep the output bounded: a reconcile or purge of a million people prints long tables.
                if (_output.Length > 2_000_000)
                    _output.Remove(0, 1_000_000);
                _output.AppendLine(line);
            }
        }
    }
}
