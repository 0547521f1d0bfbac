using System.Diagnostics;

namespace Handoff.Server.Tests.Cli;

/// <summary>Runs the real <c>handoff</c> executable in its own process, so tests can kill it.</summary>
internal static class HandoffProcess
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

    public static Process Start(params string[] args) => StartIn(null, args);

    public static Process StartIn(string? workingDirectory, params string[] args) => StartWith(workingDirectory, null, args);

    public static Process StartWith(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
            info.WorkingDirectory = workingDirectory;
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["COLUMNS"] = "200";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        return Process.Start(info)!;
    }

    public static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunInAsync(null, args);

    public static async Task<(int ExitCode, string Output)> RunInAsync(string? workingDirectory, params string[] args)
    {
        using var process = StartIn(workingDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
