using System.Diagnostics;
using Handoff.Core.Audit;
using Handoff.Core.Security;
using Handoff.Data;
using Handoff.Data.Audit;
using Handoff.Data.Cluster;
using Handoff.Data.People;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;

namespace Handoff.Server;

/// <summary>The services of one Handoff database, shared by the CLI verbs and the web host.</summary>
public sealed class HandoffRuntime
{
    public HandoffRuntime(DatabaseOptions database, TimeProvider clock, KeyMaterial keys, IAuditSigningKey auditKey, string? nodeId = null)
    {
        NodeId = ResolveNodeId(nodeId);
        Database = database;
        Clock = clock;
        Keys = keys;
        AuditKey = auditKey;
        Audit = new AuditLog(database, auditKey, clock);
        Workspace = new(database, clock, Audit);
        Sync = new(database, clock, keys, Audit);
        Deliveries = new(database, clock, keys, Audit, Sync);
        Scheduled = new(database, clock, keys, Audit);
        Review = new(database, clock, keys, Audit);
        Retention = new(database, clock, keys, Audit);
        Tokens = new(database, clock, Audit);
        Connectors = ws => Handoff.Connectors.TargetConnectors.For(ws, database, clock);
        Workflows = new(database, clock, Audit, Workspace);
        // Leases and heartbeats measure real time between processes, never the business clock (which
        // the demo and the tests pin): a pinned clock would make a job due once and never again.
        Nodes = new(database, TimeProvider.System);
        Jobs = new(database, TimeProvider.System, NodeId, DurationFromEnvironment("HANDOFF_JOB_LEASE", TimeSpan.FromSeconds(60)));
        Engine = new(database, clock, Audit, Workspace, Workflows, keys, Connectors, new EngineOptions
        {
            Node = NodeId,
            PauseAfterWriteOfStep = Environment.GetEnvironmentVariable("HANDOFF_TEST_PAUSE_AFTER_WRITE"),
            // How long a run's lease lasts before another worker may take the run over (default 5m).
            Lease = Core.Workflows.WorkflowTime.TryParseDuration(Environment.GetEnvironmentVariable("HANDOFF_RUN_LEASE"), out var lease) && lease > TimeSpan.Zero
                ? lease : TimeSpan.FromMinutes(5),
        });
        Simulator = new(database, clock, Workspace, keys, Connectors);
        Processes = new(database, clock, Audit, Workspace);
        Backlog = new(database, clock, Audit, Workspace, Workflows);
        ChangePlans = new(database, clock, Audit);
        Feedback = new(database, clock, Audit, Workspace, Connectors);
        KpiCalculator = new(database, Audit);
        Kpis = new(database, clock, Audit, KpiCalculator);
        Reviews = new(database, clock, Audit, Kpis, KpiCalculator, Backlog, Workspace);
    }

    /// <summary>This process's name in the cluster: <c>--node-id</c>, else <c>HANDOFF_NODE_ID</c>, else
    /// host:pid. It holds run and job leases and signs its heartbeat.</summary>
    public string NodeId { get; }

    public NodeRegistry Nodes { get; }

    /// <summary>The leases of the cluster-wide periodic jobs.</summary>
    public JobLease Jobs { get; }

    /// <summary>A reconciler of this runtime's targets; repairing runs hold their system's lease as this node.</summary>
    public Handoff.Data.Reconciliation.Reconciler NewReconciler() => new(Database, Clock, Audit, Workspace, Keys, Connectors, Jobs);

    public DatabaseOptions Database { get; }
    public TimeProvider Clock { get; }
    public KeyMaterial Keys { get; }

    /// <summary>Signs the audit log's checkpoints (derived from the key ring).</summary>
    public IAuditSigningKey AuditKey { get; }
    public AuditLog Audit { get; }
    public WorkspaceStore Workspace { get; }
    public Handoff.Data.Governance.ProcessAuditStore Processes { get; }
    public Handoff.Data.Governance.KpiCalculator KpiCalculator { get; }
    public Handoff.Data.Governance.KpiStore Kpis { get; }
    public Handoff.Data.Governance.MonthlyReviewStore Reviews { get; }
    public SourceSync Sync { get; }

    /// <summary>Source files as deliveries: read once, guarded, held whole for a decision when suspicious.</summary>
    public SourceDeliveries Deliveries { get; }
    public ScheduledChanges Scheduled { get; }
    public ReviewQueue Review { get; }
    public RetentionPurge Retention { get; }
    public ApiTokens Tokens { get; }

    /// <summary>The target connectors of a workspace (sandbox twins now; LDAP, SCIM, HTTP, mail later).</summary>
    public Func<Handoff.Core.Workspace.WorkspaceDefinition, Handoff.Core.Connectors.ITargetConnectorSource> Connectors { get; }
    public WorkflowStore Workflows { get; }
    public WorkflowEngine Engine { get; }
    public WorkflowSimulator Simulator { get; }
    public Handoff.Data.Governance.BacklogStore Backlog { get; }
    public Handoff.Data.Governance.ChangePlanStore ChangePlans { get; }
    public Handoff.Data.Governance.FeedbackStore Feedback { get; }

    /// <summary>Opens a database for work: schema migrated, key ring opened (created on first start,
    /// with a notice) and checked against the one this database was encrypted with — a different
    /// ring refuses to start instead of returning garbage — and the audit signing key opened.</summary>
    public static async Task<HandoffRuntime> OpenAsync(DatabaseOptions database, TimeProvider clock, string? keysDirectory, Action<string>? notice, CancellationToken ct,
        string? nodeId = null)
    {
        await database.MigrateAsync(ct);
        var ring = await KeyRingCheck.OpenVerifiedAsync(database, keysDirectory, notice, clock, ct);
        return new HandoffRuntime(database, clock, KeyMaterial.From(ring.Ring), new KeyRingAuditKey(ring.Ring), nodeId);
    }

    /// <summary>The node id from the option, else <c>HANDOFF_NODE_ID</c>, else host:pid; at most 200 characters.</summary>
    public static string ResolveNodeId(string? option)
    {
        var id = (option ?? Environment.GetEnvironmentVariable("HANDOFF_NODE_ID"))?.Trim();
        if (string.IsNullOrEmpty(id))
            return $"{Environment.MachineName}:{Environment.ProcessId}";
        if (id.Length > 200 || id.Any(char.IsControl))
            throw new Cli.HandoffCliException($"--node-id / HANDOFF_NODE_ID: \"{id[..Math.Min(id.Length, 40)]}…\" must be at most 200 printable characters");
        return id;
    }

    /// <summary>A duration from an environment variable (30s, 5m, 1h); the default when unset, an error naming the variable when malformed.</summary>
    public static TimeSpan DurationFromEnvironment(string variable, TimeSpan fallback)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
            return fallback;
        return Core.Workflows.WorkflowTime.TryParseDuration(text, out var value) && value > TimeSpan.Zero
            ? value
            : throw new Cli.HandoffCliException($"{variable}: \"{text}\" is not a positive duration such as 30s, 5m or 1h");
    }

    /// <summary>The database from <c>--db</c>, else <c>HANDOFF_DB</c>, else SQLite at <c>./data/handoff.db</c>.</summary>
    public static DatabaseOptions ResolveDatabase(string? option) =>
        DatabaseOptions.Parse(option ?? Environment.GetEnvironmentVariable("HANDOFF_DB") ?? Path.Combine("data", "handoff.db"));
}

/// <summary>A clock pinned to one day (at 09:00 UTC), for demos and simulations: <c>--today 2026-11-27</c>.</summary>
public sealed class PinnedClock(DateOnly today) : TimeProvider
{
    private readonly DateTimeOffset _start = new(today.ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero);
    private readonly long _startTicks = Stopwatch.GetTimestamp();

    // Time still moves within the day, so durations and ordering stay meaningful.
    public override DateTimeOffset GetUtcNow() => _start + Stopwatch.GetElapsedTime(_startTicks);
}
