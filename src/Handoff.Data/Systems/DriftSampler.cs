using System.Runtime.CompilerServices;
using Handoff.Core.Governance;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;

namespace Handoff.Data.Systems;

/// <summary>
/// Watches a full export as it streams through a sync: its columns (the CSV header — every row's
/// values carry them all) and the first <see cref="Size"/> rows as a sample for type inference. The
/// stream is passed on untouched, so watching costs no second read of the file.
/// </summary>
internal sealed class DriftSampler
{
    public const int Size = 200;

    private readonly List<IReadOnlyDictionary<string, string?>> _sample = [];
    private List<string>? _columns;

    public async IAsyncEnumerable<SourceItem> WatchAsync(IAsyncEnumerable<SourceItem> items, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var item in items.WithCancellation(ct))
        {
            if (item is NativeRecord native)
            {
                _columns ??= [.. native.Values.Keys];
                if (_sample.Count < Size)
                    _sample.Add(native.Values);
            }
            yield return item;
        }
    }

    /// <summary>Records the export's schema (drift findings) and, when the sync completed, its size
    /// (volume finding). Values are kept only as keyed hashes.</summary>
    public async Task RecordAsync(DriftMonitor monitor, WorkspaceDefinition workspace, string system, long syncId, string status, int rows,
        Func<string, string> keyedHash, CancellationToken ct)
    {
        if (_columns is null)
            return; // an empty or refused file says nothing about the schema
        var shape = SchemaDrift.InferSource(_columns, _sample, v => keyedHash("schema_snapshots.value\n" + v)[..16]);
        await monitor.RecordSchemaAsync(workspace, system, shape, ct);
        if (status == "completed")
            await monitor.RecordFullExportAsync(workspace, system, syncId, rows, ct);
    }
}
