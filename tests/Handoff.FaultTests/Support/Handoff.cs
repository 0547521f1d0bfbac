using System.Diagnostics;

namespace Handoff.FaultTests.Support;

/// <summary>Runs the real <c>handoff</c> executable (built next to the tests) in its own process, so a
/// suite can kill -9 it at any moment and start it again.</summary>
public static class Handoff
{
    public static string Dll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "handoff.dll");
            Assert.True(File.Exists(dll) && File.Exists(Path.Combine(AppContext.BaseDirectory, "handoff.runtimeconfig.json")), $"handoff.dll with its runtimeconfig not found in {AppContext.BaseDirectory}");
            return dll;
        }
    }

    public static Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["COLUMNS"] = "200";
        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        return Process.Start(info)!;
    }

    /// <summary>Runs a command to its end (bounded: 5 minutes) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var process = Start(environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"handoff {string.Join(' ', args)} did not finish within 5 minutes");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>A <c>handoff serve</c> process whose output is drained (so it never blocks on a full pipe)
/// and kept for the failure message.</summary>
public sealed class ServeNode : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    public ServeNode(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        _process = Handoff.Start(environment, ["serve", .. args]);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            if (_output.Length < 200_000)
                _output.AppendLine(line);
        }
    }

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>SIGKILL: no shutdown hook, no flush — the process is simply gone.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }
}
