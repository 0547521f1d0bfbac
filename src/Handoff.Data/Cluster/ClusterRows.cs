namespace Handoff.Data.Cluster;

/// <summary>The lease of one cluster-wide periodic job (the schedule tick, the trigger scan, scheduled
/// reconciliation): the node holding it runs the job, every other node skips it.</summary>
public sealed class JobLeaseRow
{
    public string Name { get; set; } = "";
    public string Holder { get; set; } = "";
    public DateTimeOffset LeaseUntil { get; set; }
    /// <summary>Incremented on every takeover by another node, never on a renewal: a holder that was
    /// paused past its lease finds a different token and knows its turn is over.</summary>
    public long FencingToken { get; set; }
    public DateTimeOffset? LastRunAt { get; set; }
}

/// <summary>One <c>handoff serve</c> process and its heartbeat.</summary>
public sealed class NodeRow
{
    public string Id { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset LastSeen { get; set; }
    public string Version { get; set; } = "";
    public string? Address { get; set; }
    public int Pid { get; set; }
    public string Host { get; set; } = "";
}
