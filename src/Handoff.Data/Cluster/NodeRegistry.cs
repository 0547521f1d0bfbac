using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Cluster;

/// <summary>The nodes serving one database, each with its heartbeat; a node whose heartbeat is older
/// than <see cref="StaleAfter"/> is shown as gone (its row stays until it is pruned).</summary>
public sealed class NodeRegistry(DatabaseOptions database, TimeProvider clock)
{
    /// <summary>Nodes beat every <see cref="HeartbeatInterval"/>; three missed beats make a node stale.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(30);

    /// <summary>Rows of nodes not seen for this long are deleted by the next heartbeat of any node.</summary>
    public static readonly TimeSpan PruneAfter = TimeSpan.FromDays(7);

    /// <summary>The node's row, created at start and refreshed by every beat (same id: a restart
    /// with a fixed <c>--node-id</c> takes its old row over).</summary>
    public async Task BeatAsync(string id, DateTimeOffset startedAt, string version, string? address, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        var row = await db.Nodes.FindAsync([id], ct);
        if (row is null)
            db.Nodes.Add(row = new NodeRow { Id = id });
        row.StartedAt = startedAt;
        row.LastSeen = now;
        row.Version = version;
        row.Address = address;
        row.Pid = Environment.ProcessId;
        row.Host = Environment.MachineName;
        await db.SaveChangesAsync(ct);
        var prune = now - PruneAfter;
        await db.Nodes.Where(n => n.LastSeen < prune).ExecuteDeleteAsync(ct);
    }

    /// <summary>Marks the node gone on a clean shutdown.</summary>
    public async Task LeaveAsync(string id, CancellationToken ct)
    {
        var gone = DateTimeOffset.UnixEpoch;
        await using var db = database.CreateContext();
        await db.Nodes.Where(n => n.Id == id).ExecuteUpdateAsync(u => u.SetProperty(n => n.LastSeen, gone), ct);
    }

    public async Task<IReadOnlyList<NodeRow>> ListAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.Nodes.AsNoTracking().OrderByDescending(n => n.LastSeen).ThenBy(n => n.Id).ToListAsync(ct);
    }

    /// <summary>Nodes with a fresh heartbeat other than <paramref name="except"/>.</summary>
    public async Task<IReadOnlyList<NodeRow>> LiveAsync(string? except, CancellationToken ct)
    {
        var fresh = clock.GetUtcNow() - StaleAfter;
        await using var db = database.CreateContext();
        return await db.Nodes.AsNoTracking().Where(n => n.LastSeen >= fresh && n.Id != except).ToListAsync(ct);
    }

    public bool IsLive(NodeRow node) => clock.GetUtcNow() - node.LastSeen < StaleAfter;

    /// <summary>The leases of the cluster's periodic jobs, for <c>handoff nodes</c> and the admin page.</summary>
    public async Task<IReadOnlyList<JobLeaseRow>> LeasesAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.JobLeases.AsNoTracking().OrderBy(l => l.Name).ToListAsync(ct);
    }
}
