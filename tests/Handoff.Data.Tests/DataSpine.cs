using Handoff.Connectors;
using Handoff.Core.Audit;
using Handoff.Core.Security;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.People;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Handoff.Data.Workspace;

namespace Handoff.Data.Tests;

/// <summary>The data spine of one test database: the Acme workspace applied and signed, and ways to
/// feed it records. Tests assert on the database, not on this object's state.</summary>
public sealed class DataSpine
{
    private DataSpine(DatabaseOptions database, TestClock clock, string workspaceDir)
    {
        Database = database;
        Clock = clock;
        WorkspaceDir = workspaceDir;
        Keys = KeyMaterial.From(KeyRing.Generate());
        AuditKey = new TestAuditKey();
        Audit = new AuditLog(database, AuditKey, clock);
        Workspace = new WorkspaceStore(database, clock, Audit);
        Sync = new SourceSync(database, clock, Keys, Audit);
        Deliveries = new SourceDeliveries(database, clock, Keys, Audit, Sync);
        Scheduled = new ScheduledChanges(database, clock, Keys, Audit);
        Review = new ReviewQueue(database, clock, Keys, Audit);
    }

    public DatabaseOptions Database { get; }

    /// <summary>A key ring of this test's own: what is stored encrypted can only be read with it.</summary>
    public KeyMaterial Keys { get; }

    public IAuditSigningKey AuditKey { get; }
    public AuditLog Audit { get; }
    public TestClock Clock { get; }
    public string WorkspaceDir { get; }
    public WorkspaceStore Workspace { get; }
    public SourceSync Sync { get; }
    public SourceDeliveries Deliveries { get; }
    public ScheduledChanges Scheduled { get; }
    public ReviewQueue Review { get; }
    public WorkspaceDefinition Definition { get; private set; } = null!;

    /// <summary>A fresh database with the Acme workspace (or <paramref name="workspaceDir"/>) applied
    /// and its dictionary signed by alice (HR) and ivan (IT).</summary>
    public static async Task<DataSpine> StartAsync(string provider, string today = "2026-11-27", string? workspaceDir = null)
    {
        var spine = new DataSpine(await TestDatabases.CreateAsync(provider), TestClock.At(today), workspaceDir ?? Repository.AcmeWorkspace);
        var loaded = WorkspaceLoader.Load(spine.WorkspaceDir);
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors));
        var applied = await spine.Workspace.ApplyAsync(loaded.Workspace!, spine.WorkspaceDir, "tester", default);
        await spine.Workspace.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "alice", default);
        await spine.Workspace.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "ivan", default);
        spine.Definition = (await spine.Workspace.LoadActiveAsync(default)).Definition;
        return spine;
    }

    /// <summary>Reads a system's CSV drop folder (or one file) like <c>handoff sync</c>.</summary>
    /// <summary>Reads a system's drop folder (or one file) the way <c>handoff sync</c> does: one delivery
    /// per file, a file already applied skipped, the delivery guard first. The report adds up the files.</summary>
    public async Task<SyncReport> SyncCsvAsync(string system, string? file = null, bool? snapshot = null)
    {
        var definition = Definition.FindSystem(system)!;
        var outcomes = new List<DeliveryOutcome>();
        foreach (var f in DeliveryFile.List(definition, WorkspaceDir, file))
        {
            var reader = SourceReaders.Open(definition, WorkspaceDir, f.Path);
            outcomes.Add(await Deliveries.ReceiveFileAsync(Definition, system, f.Name, f.ContentHash, () => reader.ReadAsync(default),
                snapshot ?? (file is null && definition.Setting("delivery") is not "changes"), f.AsOf, default));
        }
        return SyncReport.Combine(system, outcomes);
    }

    /// <summary>Feeds native records directly (as a webhook would).</summary>
    public Task<SyncReport> SyncRecordsAsync(string system, params Dictionary<string, string?>[] records) =>
        Sync.RunAsync(Definition, system, ToAsync(records.Select((r, i) => (SourceItem)new NativeRecord("test", i + 1, r) { Pointer = $"/{i}" })), "test", default);

    public HandoffDbContext Db() => Database.CreateContext();

    private static async IAsyncEnumerable<SourceItem> ToAsync(IEnumerable<SourceItem> items)
    {
        foreach (var item in items)
            yield return item;
        await Task.CompletedTask;
    }
}

/// <summary>A random checkpoint-signing key held in memory, one per test database.</summary>
public sealed class TestAuditKey : IAuditSigningKey
{
    public string KeyId { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];
    public byte[] Key { get; } = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
}
