using System.Diagnostics;
using Handoff.Core.Audit;
using Handoff.Core.Security;
using Handoff.Data;
using Handoff.Data.Audit;
using Handoff.Data.People;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;

namespace Handoff.Server;

/// <summary>The services of one Handoff database, shared by the CLI verbs and the web host.</summary>
public sealed class HandoffRuntime
{
    public HandoffRuntime(DatabaseOptions database, TimeProvider clock, KeyMaterial keys, IAuditSigningKey auditKey)
    {
        Database = database;
        Clock = clock;
        Keys = keys;
        AuditKey = auditKey;
        Audit = new AuditLog(database, auditKey, clock);
        Workspace = new(database, clock, Audit);
        Sync = new(database, clock, keys, Audit);
        Scheduled = new(database, clock, keys, Audit);
        Review = new(database, clock, keys, Audit);
        Retention = new(database, clock, keys, Audit);
        Tokens = new(database, clock, Audit);
        Connectors = ws => Handoff.Connectors.TargetConnectors.For(ws, database, clock);
        Workflows = new(database, clock, Audit, Workspace);
        Engine = new(database, clock, Audit, Workspace, Workflows, keys, Connectors, new EngineOptions
        {
            PauseAfterWriteOfStep = Environment.GetEnvironmentVariable("HANDOFF_TEST_PAUSE_AFTER_WRITE"),
            // How long a run's lease lasts before another worker may take the run over (default 5m).
            Lease = Core.Workflows.WorkflowTime.TryParseDuration(Environment.GetEnvironmentVariable("HANDOFF_RUN_LEASE"), out var lease) && lease > TimeSpan.Zero
                ? lease : TimeSpan.FromMinutes(5),
        });
        Simulator = new(database, clock, Workspace, keys, Connectors);
        Processes = new(database, clock, Audit, Workspace);
        KpiCalculator = new(database, Audit);
        Kpis = new(database, clock, Audit, KpiCalculator);
    }

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
    public SourceSync Sync { get; }
    public ScheduledChanges Scheduled { get; }
    public ReviewQueue Review { get; }
    public RetentionPurge Retention { get; }
    public ApiTokens Tokens { get; }

    /// <summary>The target connectors of a workspace (sandbox twins now; LDAP, SCIM, HTTP, mail later).</summary>
    public Func<Handoff.Core.Workspace.WorkspaceDefinition, Handoff.Core.Connectors.ITargetConnectorSource> Connectors { get; }
    public WorkflowStore Workflows { get; }
    public WorkflowEngine Engine { get; }
    public WorkflowSimulator Simulator { get; }

    /// <summary>Opens a database for work: schema migrated, key ring opened (created on first start,
    /// with a notice) and checked against the one this database was encrypted with — a different
    /// ring refuses to start instead of returning garbage — and the audit signing key opened.</summary>
    public static async Task<HandoffRuntime> OpenAsync(DatabaseOptions database, TimeProvider clock, string? keysDirectory, Action<string>? notice, CancellationToken ct)
    {
        await database.MigrateAsync(ct);
        var ring = await KeyRingCheck.OpenVerifiedAsync(database, keysDirectory, notice, clock, ct);
        return new HandoffRuntime(database, clock, KeyMaterial.From(ring.Ring), new KeyRingAuditKey(ring.Ring));
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
