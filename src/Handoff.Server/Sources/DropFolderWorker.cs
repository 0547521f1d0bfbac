using Handoff.Connectors.Csv;
using Handoff.Data.Workspace;
using Handoff.Server.Cluster;
using Handoff.Server.Health;

namespace Handoff.Server.Sources;

/// <summary>
/// Watches each CSV system's drop folder while the server runs and reads it when a file is added or
/// changed (names, sizes and write times differ from the last look), then wakes the workflow engine.
/// The first look after start-up only remembers the folder: what was there when the server started is
/// read by <c>handoff sync</c> or the Systems page, so a restart never re-reads a folder on its own
/// (which could undo the day's change files read since). Polling, not a file-system watcher: drop
/// folders are often network shares, where change notifications are unreliable. With several nodes only
/// the holder of the <see cref="ClusterJobs.DropFolders"/> lease looks, so a file is read once, not once per node.
/// </summary>
public sealed class DropFolderWorker(HandoffRuntime runtime, WorkflowSignal signal, ClusterJobs jobs, IConfiguration configuration, ILogger<DropFolderWorker> log) : BackgroundService
{
    private readonly Dictionary<string, string> _seen = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Handoff:DropFolders:PollSeconds", 30)));
        using var timer = new PeriodicTimer(jobs.PollFor(interval));
        do
        {
            try
            {
                await jobs.RunIfDueAsync(ClusterJobs.DropFolders, interval, LookAsync, stoppingToken);
            }
            catch (WorkspaceStateException e)
            {
                Logging.HandoffLog.TickSkipped(log, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "drop folder check failed; trying again at the next interval");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One look at every CSV system's folder; returns the systems read.</summary>
    public async Task<IReadOnlyList<string>> LookAsync(CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var read = new List<string>();
        foreach (var system in workspace.Definition.Systems.Where(s => s.Connector == "csv"))
        {
            var options = CsvSourceOptions.FromSystem(system, workspace.Directory);
            var fingerprint = Fingerprint(options.Path, options.Pattern);
            var first = !_seen.TryGetValue(system.Id, out var before);
            _seen[system.Id] = fingerprint;
            if (first || before == fingerprint || fingerprint.Length == 0)
                continue;
            var report = await SourceRuns.SyncAsync(runtime, system.Id, null, ct);
            log.LogInformation("{System}: new or changed file in the drop folder; read {Read}, created {Created}, updated {Updated} (sync #{Sync})",
                system.Id, report.Read, report.Created, report.Updated, report.SyncId);
            read.Add(system.Id);
        }
        if (read.Count > 0)
            signal.Wake();
        return read;
    }

    private static string Fingerprint(string folder, string pattern) =>
        !Directory.Exists(folder) ? "" : string.Join('\n', new DirectoryInfo(folder).EnumerateFiles(pattern, SearchOption.TopDirectoryOnly)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name}|{f.Length}|{f.LastWriteTimeUtc.Ticks}"));
}
