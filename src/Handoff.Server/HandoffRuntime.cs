using System.Diagnostics;
using Handoff.Core.Audit;
using Handoff.Data;
using Handoff.Data.Audit;
using Handoff.Data.People;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Handoff.Data.Workspace;

namespace Handoff.Server;

/// <summary>The services of one Handoff database, shared by the CLI verbs and the web host.</summary>
public sealed class HandoffRuntime(DatabaseOptions database, TimeProvider clock, KeyMaterial keys)
{
    public DatabaseOptions Database { get; } = database;
    public TimeProvider Clock { get; } = clock;
    public KeyMaterial Keys { get; } = keys;
    public WorkspaceStore Workspace { get; } = new(database, clock);
    public SourceSync Sync { get; } = new(database, clock, keys);
    public ScheduledChanges Scheduled { get; } = new(database, clock, keys);
    public ReviewQueue Review { get; } = new(database, clock, keys);
    public RetentionPurge Retention { get; } = new(database, clock, keys);
    public ApiTokens Tokens { get; } = new(database, clock);

    /// <summary>Opens a database for work: schema migrated, key ring opened (created on first start,
    /// with a notice) and checked against the one this database was encrypted with — a different
    /// ring refuses to start instead of returning garbage.</summary>
    public static async Task<HandoffRuntime> OpenAsync(DatabaseOptions database, TimeProvider clock, string? keysDirectory, Action<string>? notice, CancellationToken ct)
    {
        await database.MigrateAsync(ct);
        var ring = await KeyRingCheck.OpenVerifiedAsync(database, keysDirectory, notice, clock, ct);
        return new HandoffRuntime(database, clock, KeyMaterial.From(ring.Ring)) { KeysDirectory = keysDirectory };
    }

    /// <summary>The audit log, signing checkpoints with the key in <c>$HANDOFF_KEYS_DIR/audit.key</c>
    /// (default <c>./data/keys</c>), created on first use.</summary>
    public AuditLog Audit => _audit ??= new AuditLog(Database, AuditKey, Clock);

    public AuditKeyFile AuditKey => _auditKey ??= AuditKeyFile.OpenOrCreate(KeysDirectory);

    /// <summary>The key folder given with <c>--keys-dir</c> (null: $HANDOFF_KEYS_DIR, else ./data/keys).</summary>
    public string? KeysDirectory { get; init; }

    private AuditLog? _audit;
    private AuditKeyFile? _auditKey;

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
