using Handoff.Connectors;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;
using Handoff.Data.Sources;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Sources;

/// <summary>What a quarantine retry did.</summary>
public sealed record RetryReport(IReadOnlyList<SyncReport> Syncs, int Retried, int LeftUnreadable);

/// <summary>
/// Runs a source now (<c>handoff sync</c>, the Systems page, <c>POST /api/systems/{id}/syncs</c>) and
/// retries its quarantine (<c>handoff quarantine retry</c>, the Review page, the API). Lives in the
/// server because it opens connectors (Handoff.Connectors), which the data layer does not know.
/// </summary>
public static class SourceRuns
{
    /// <summary>Reads a system's drop folder (or one file) through the pipeline.</summary>
    /// <param name="progress">told the number of records read so far, after each one (a background job's progress bar)</param>
    /// <param name="fullExport">the file is a complete export (watched for schema drift and volume like a
    /// folder read); default: only a folder read is</param>
    public static async Task<SyncReport> SyncAsync(HandoffRuntime runtime, string system, string? file, CancellationToken ct, IProgress<int>? progress = null, bool? fullExport = null)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var definition = workspace.Definition.FindSystem(system)
            ?? throw new WorkspaceStateException($"no system '{system}' in the workspace (known: {string.Join(", ", workspace.Definition.Systems.Select(s => s.Id))})");
        ISourceReader reader;
        try
        {
            reader = SourceReaders.Open(definition, workspace.Directory, file);
        }
        catch (InvalidOperationException e)
        {
            throw new WorkspaceStateException(e.Message);
        }
        var items = progress is null ? reader.ReadAsync(ct) : Counted(reader.ReadAsync(ct), progress);
        return await runtime.Sync.RunAsync(workspace.Definition, system, items, definition.Connector, ct, fullSnapshot: fullExport ?? file is null);
    }

    /// <summary>The records of a CSV system's drop folder, counted by lines (a quoted line break makes
    /// it an estimate; the progress bar needs no more).</summary>
    public static long CountRecords(SystemDefinition system, string workspaceDirectory)
    {
        var options = Connectors.Csv.CsvSourceOptions.FromSystem(system, workspaceDirectory);
        if (!Directory.Exists(options.Path))
            return 0;
        return Directory.EnumerateFiles(options.Path, options.Pattern, SearchOption.TopDirectoryOnly)
            .Sum(f => Math.Max(0, File.ReadLines(f).LongCount(l => l.Length > 0) - 1));
    }

    private static async IAsyncEnumerable<SourceItem> Counted(IAsyncEnumerable<SourceItem> items, IProgress<int> progress)
    {
        var read = 0;
        await foreach (var item in items)
        {
            yield return item;
            progress.Report(++read);
        }
    }

    /// <summary>Retries a system's quarantined rows: a CSV system's drop folder is read again (fixed rows
    /// now pass; unchanged good rows cost nothing), webhook rows are re-run from their stored values. The
    /// old entries close; rows that still fail are quarantined again with today's reason. A JSON record
    /// that could not be read at all stays: only its sender can send it again.</summary>
    public static async Task<RetryReport> RetryQuarantineAsync(HandoffRuntime runtime, string systemId, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var system = workspace.Definition.FindSystem(systemId) ?? throw new WorkspaceStateException($"no system '{systemId}' in the workspace");
        List<QuarantineRow> fromFiles, fromJson;
        int left;
        await using (var db = runtime.Database.CreateContext())
        {
            var open = await db.Quarantine.Where(q => q.System == system.Id && q.Status == "open").ToListAsync(ct);
            fromFiles = system.Connector == "csv" ? open.Where(q => q.Pointer is null).ToList() : [];
            fromJson = open.Where(q => q.Pointer is not null && q.Field is not null).ToList();
            left = open.Count - fromFiles.Count - fromJson.Count;
            foreach (var q in fromFiles.Concat(fromJson))
            {
                q.Status = "retried";
                q.ClosedAt = runtime.Clock.GetUtcNow();
            }
            await db.SaveChangesAsync(ct);
        }
        var syncs = new List<SyncReport>();
        if (fromJson.Count > 0)
        {
            var protection = new Data.Security.FieldProtection(workspace.Definition.Dictionary, runtime.Keys);
            var items = fromJson.Select(q => (SourceItem)new NativeRecord(q.File, q.Line, protection.DeserializeNative(q.Raw)) { Pointer = q.Pointer }).ToList();
            syncs.Add(await runtime.Sync.RunAsync(workspace.Definition, system.Id, ToAsync(items), "retry", ct));
        }
        if (fromFiles.Count > 0)
            syncs.Add(await SyncAsync(runtime, system.Id, null, ct));
        return new RetryReport(syncs, fromFiles.Count + fromJson.Count, left);
    }

    private static async IAsyncEnumerable<SourceItem> ToAsync(IEnumerable<SourceItem> items)
    {
        foreach (var item in items)
            yield return item;
        await Task.CompletedTask;
    }
}
