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
    /// <summary>Reads a system's drop folder (or one file) through the pipeline, one delivery per file:
    /// a file already applied is not read again, a new one passes the delivery guard first.</summary>
    /// <param name="progress">told the number of records read so far, after each one (a background job's progress bar)</param>
    /// <param name="fullExport">the file is a complete export (a snapshot: watched for schema drift, volume
    /// and missing people); default: the system's <c>delivery</c> setting for a folder read, a change set
    /// for <c>--file</c></param>
    public static async Task<SyncReport> SyncAsync(HandoffRuntime runtime, string system, string? file, CancellationToken ct, IProgress<int>? progress = null, bool? fullExport = null)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var definition = workspace.Definition.FindSystem(system)
            ?? throw new WorkspaceStateException($"no system '{system}' in the workspace (known: {string.Join(", ", workspace.Definition.Systems.Select(s => s.Id))})");
        List<DeliveryFile> files;
        try
        {
            SourceReaders.Open(definition, workspace.Directory, file); // refuses a system that is not read with sync
            files = DeliveryFile.List(definition, workspace.Directory, file);
        }
        catch (InvalidOperationException e)
        {
            throw new WorkspaceStateException(e.Message);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new WorkspaceStateException(e.Message);
        }
        var snapshot = fullExport ?? (file is null && definition.Setting("delivery") is not "changes");
        var outcomes = new List<DeliveryOutcome>();
        var read = 0;
        foreach (var f in files)
        {
            var reader = SourceReaders.Open(definition, workspace.Directory, f.Path);
            var outcome = await runtime.Deliveries.ReceiveFileAsync(workspace.Definition, system, f.Name, f.ContentHash,
                () => progress is null ? reader.ReadAsync(ct) : Counted(reader.ReadAsync(ct), progress, read), snapshot, f.AsOf, ct, path: f.Path);
            read += outcome.Sync?.Read ?? 0;
            outcomes.Add(outcome);
        }
        return SyncReport.Combine(system, outcomes);
    }

    /// <summary>Accepts a held file delivery: the file must still hold the bytes that were held.</summary>
    public static async Task<DeliveryOutcome> AcceptAsync(HandoffRuntime runtime, long id, string actor, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var delivery = await runtime.Deliveries.FindAsync(id, ct) ?? throw new DeliveryDecisionException($"there is no delivery {id}");
        var definition = workspace.Definition.FindSystem(delivery.System)
            ?? throw new DeliveryDecisionException($"delivery {id}'s system '{delivery.System}' is no longer in the workspace");
        // A file read from the drop folder is found there; one read with `sync --file` where it was read.
        var heldAt = delivery.ReportJson is null ? null : Data.JsonDefaults.Deserialize<DeliveryInspection>(delivery.ReportJson).Path;
        var file = (Directory.Exists(CsvFolder(definition, workspace.Directory)) ? DeliveryFile.List(definition, workspace.Directory, null) : [])
                .FirstOrDefault(f => f.Name == delivery.Name)
            ?? (heldAt is not null && File.Exists(heldAt) ? DeliveryFile.Of(heldAt, delivery.Name, definition) : null)
            ?? throw new DeliveryDecisionException($"{delivery.Name} is no longer in {delivery.System}'s drop folder{(heldAt is null ? "" : $" nor at {heldAt}")}; it cannot be applied");
        var reader = SourceReaders.Open(definition, workspace.Directory, file.Path);
        return await runtime.Deliveries.AcceptAsync(workspace.Definition, id, actor, file.ContentHash, () => reader.ReadAsync(ct), ct);
    }

    private static string CsvFolder(SystemDefinition system, string workspaceDirectory) =>
        Connectors.Csv.CsvSourceOptions.FromSystem(system, workspaceDirectory).Path;

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

    private static async IAsyncEnumerable<SourceItem> Counted(IAsyncEnumerable<SourceItem> items, IProgress<int> progress, int read = 0)
    {
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
            // File rows close when their file is read again (below); an unchanged file leaves them open.
            foreach (var q in fromJson)
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
            // Each retried record keeps its place in time: as of its own delivery, never "now", so a fixed
            // old webhook record never outranks what a later delivery said.
            foreach (var group in fromJson.GroupBy(q => q.DeliveryId))
            {
                var original = group.Key is { } deliveryId ? await runtime.Deliveries.FindAsync(deliveryId, ct) : null;
                var items = group.Select(q => (SourceItem)new NativeRecord(q.File, q.Line, protection.DeserializeNative(q.Raw)) { Pointer = q.Pointer }).ToList();
                syncs.Add(await runtime.Sync.RunAsync(workspace.Definition, system.Id, ToAsync(items), "retry", ct,
                    delivery: new SyncDelivery(AsOf: original?.AsOf, Name: original is null ? "retry" : $"retry of {original.Name}")));
            }
        }
        if (fromFiles.Count > 0)
            syncs.Add(await RetryFilesAsync(runtime, workspace, system, fromFiles, ct));
        return new RetryReport(syncs, fromFiles.Count + fromJson.Count, left);
    }

    /// <summary>Reads again the files whose rows were quarantined. A row the file already stated is not a
    /// new fact (only fixed rows apply), and a fixed file keeps its original as-of time, so a fix never
    /// outranks a fact a later delivery brought.</summary>
    private static async Task<SyncReport> RetryFilesAsync(HandoffRuntime runtime, Data.Workspace.ActiveWorkspace workspace, SystemDefinition system,
        List<QuarantineRow> rows, CancellationToken ct)
    {
        var outcomes = new List<DeliveryOutcome>();
        var names = rows.Select(r => r.File).ToHashSet(StringComparer.Ordinal);
        foreach (var f in DeliveryFile.List(system, workspace.Directory, null).Where(f => names.Contains(f.Name)))
        {
            var original = await runtime.Deliveries.LatestOfFileAsync(system.Id, f.Name, ct);
            var reader = SourceReaders.Open(system, workspace.Directory, f.Path);
            var outcome = await runtime.Deliveries.ReceiveFileAsync(workspace.Definition, system.Id, f.Name, f.ContentHash, () => reader.ReadAsync(ct),
                original?.Kind == "snapshot", original?.AsOf ?? f.AsOf, ct);
            if (outcome.Status == "applied")
            {
                // The file was read again: what is still bad was quarantined anew; the old entries close.
                var ids = rows.Where(r => r.File == f.Name).Select(r => r.Id).ToList();
                await using var db = runtime.Database.CreateContext();
                await db.Quarantine.Where(q => ids.Contains(q.Id) && q.Status == "open")
                    .ExecuteUpdateAsync(u => u.SetProperty(q => q.Status, "retried").SetProperty(q => q.ClosedAt, runtime.Clock.GetUtcNow()), ct);
            }
            else if (outcome.Status == "seen")
            {
                outcome = outcome with { Message = $"{f.Name} has not changed since it was read: fix its quarantined rows in the file first, then retry" };
            }
            outcomes.Add(outcome);
        }
        return SyncReport.Combine(system.Id, outcomes);
    }

    private static async IAsyncEnumerable<SourceItem> ToAsync(IEnumerable<SourceItem> items)
    {
        foreach (var item in items)
            yield return item;
        await Task.CompletedTask;
    }
}
