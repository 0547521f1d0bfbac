using Handoff.Connectors;
using Handoff.Core.Demo;
using Handoff.Core.Workspace;
using Handoff.Data;
using Handoff.Data.Sources;
using Handoff.Data.Workspace;
using Npgsql;

namespace Handoff.Bench;

/// <summary>
/// One size on one provider: a fresh database with the Acme workspace applied and signed, then the
/// initial import of the HRIS file and re-syncs of copies with 1 %, 0.1 % and 0 % of the rows
/// changed, each through <see cref="SourceSync"/> exactly as <c>handoff sync</c> runs it. On
/// PostgreSQL also the floor: a bare COPY of the same CSV into a table of text columns.
/// </summary>
public static class IngestionBenchmark
{
    private const string System = "hris";

    public static async Task<IReadOnlyList<PhaseResult>> RunAsync(BenchData data, string provider, BenchOptions options)
    {
        var ct = CancellationToken.None;
        var results = new List<PhaseResult>();
        await using var database = await BenchDatabase.CreateAsync(provider, options);
        var clock = new BenchClock(new DateTimeOffset(AcmeDataGenerator.DemoToday.ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero));

        var loaded = WorkspaceLoader.Load(data.WorkspaceDirectory);
        if (!loaded.Succeeded)
            throw new InvalidOperationException(string.Join('\n', loaded.Errors));
        var audit = new Handoff.Data.Audit.AuditLog(database.Options, new BenchAuditKey(), clock);
        var store = new WorkspaceStore(database.Options, clock, audit);
        var applied = await store.ApplyAsync(loaded.Workspace!, data.WorkspaceDirectory, "bench", ct);
        await store.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "alice", ct);
        await store.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "ivan", ct);
        var workspace = (await store.LoadActiveAsync(ct)).Definition;
        var keys = Handoff.Data.Security.KeyMaterial.From(Handoff.Core.Security.KeyRing.Generate());
        var sync = options.BatchSize is { } batch ? new SourceSync(database.Options, clock, keys, audit) { BatchSize = batch } : new SourceSync(database.Options, clock, keys, audit);

        async Task SyncAsync(string phase, string file)
        {
            var reader = SourceReaders.Open(workspace.FindSystem(System)!, data.WorkspaceDirectory, file);
            using var probe = new PhaseProbe();
            var report = await sync.RunAsync(workspace, System, reader.ReadAsync(ct), "csv", ct, fullSnapshot: true);
            var result = probe.Stop(data.Size, provider, phase, report.Read, report.Created + report.Updated);
            Console.Error.WriteLine($"   {phase,-20} {result.Elapsed.TotalSeconds,8:F2} s  read {report.Read} created {report.Created} updated {report.Updated} " +
                $"unchanged {report.Unchanged} rejected {report.Rejected} held {report.Held} scheduled {report.Scheduled}");
            results.Add(result);
        }

        await SyncAsync("initial import", data.Workers);
        Console.Error.WriteLine($"   database size after the initial import: {await database.SizeMbAsync():N0} MB");
        await SyncAsync("re-sync 1 % changed", data.OnePercent);
        await SyncAsync("re-sync 0.1 % changed", data.TenthPercent);
        await SyncAsync("re-sync unchanged", data.TenthPercent);
        if (provider == BenchOptions.Postgres)
            results.Add(await CopyFloorAsync(data, database.Options.ConnectionString));
        return results;
    }

    /// <summary>The floor on PostgreSQL: the same rows, no mapping, no correlation, no history —
    /// COPY of the CSV into one table of 23 text columns, in one statement.</summary>
    private static async Task<PhaseResult> CopyFloorAsync(BenchData data, string connectionString)
    {
        string[] columns;
        using (var header = new StreamReader(data.WellFormed))
            columns = (await header.ReadLineAsync())!.Split(',');
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var columnList = string.Join(", ", columns.Select(c => "\"" + c.ToLowerInvariant() + "\""));
        await using (var create = new NpgsqlCommand($"CREATE TABLE bench_copy ({string.Join(", ", columns.Select(c => "\"" + c.ToLowerInvariant() + "\" text"))})", conn))
            await create.ExecuteNonQueryAsync();

        using var probe = new PhaseProbe();
        await using (var writer = await conn.BeginTextImportAsync($"COPY bench_copy ({columnList}) FROM STDIN (FORMAT csv, HEADER true)"))
        {
            using var file = new StreamReader(data.WellFormed);
            var buffer = new char[64 * 1024];
            int read;
            while ((read = await file.ReadAsync(buffer)) > 0)
                await writer.WriteAsync(buffer.AsMemory(0, read));
        }
        var timed = probe.Stop(data.Size, BenchOptions.Postgres, "COPY floor", 0, 0);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM bench_copy", conn);
        var rows = (long)(await count.ExecuteScalarAsync())!;
        var result = timed with { Records = rows, Changes = rows };
        Console.Error.WriteLine($"   {"COPY floor",-20} {result.Elapsed.TotalSeconds,8:F2} s  rows {rows}");
        return result;
    }
}

/// <summary>A fresh, migrated database: a SQLite file in the work folder, or a new PostgreSQL
/// database on the given server, removed again when disposed.</summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string? _sqliteFile;
    private readonly string? _postgresName;
    private readonly string? _server;

    private BenchDatabase(DatabaseOptions options, string? sqliteFile, string? postgresName, string? server)
    {
        Options = options;
        _sqliteFile = sqliteFile;
        _postgresName = postgresName;
        _server = server;
    }

    public DatabaseOptions Options { get; }

    public static async Task<BenchDatabase> CreateAsync(string provider, BenchOptions bench)
    {
        BenchDatabase db;
        if (provider == BenchOptions.Sqlite)
        {
            Directory.CreateDirectory(bench.WorkDirectory);
            var file = Path.Combine(bench.WorkDirectory, $"bench-{Guid.NewGuid():N}.db");
            db = new BenchDatabase(DatabaseOptions.ForSqliteFile(file), file, null, null);
        }
        else
        {
            var name = $"handoff_bench_{Guid.NewGuid():N}";
            await using (var conn = new NpgsqlConnection(bench.PostgresServer))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            var builder = new NpgsqlConnectionStringBuilder(bench.PostgresServer) { Database = name };
            db = new BenchDatabase(new DatabaseOptions(DatabaseProvider.Postgres, builder.ConnectionString), null, name, bench.PostgresServer);
        }
        await db.Options.MigrateAsync();
        return db;
    }

    /// <summary>The database's size on disk (SQLite: file and WAL).</summary>
    public async Task<double> SizeMbAsync()
    {
        if (_sqliteFile is not null)
            return new[] { "", "-wal" }.Select(x => new FileInfo(_sqliteFile + x)).Where(f => f.Exists).Sum(f => f.Length) / (1024.0 * 1024);
        await using var conn = new NpgsqlConnection(Options.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_database_size(current_database())", conn);
        return (long)(await cmd.ExecuteScalarAsync())! / (1024.0 * 1024);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sqliteFile is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
                File.Delete(_sqliteFile + suffix);
        }
        if (_postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(_server);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_postgresName} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>The demo's "today" at 09:00, running on in real time like the clock of a real
/// <c>handoff sync</c> (time-ordered ids depend on it).</summary>
public sealed class BenchClock(DateTimeOffset start) : TimeProvider
{
    private readonly long _origin = System.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => start + GetElapsedTime(_origin);
}

/// <summary>A throwaway checkpoint-signing key for benchmark databases.</summary>
internal sealed class BenchAuditKey : Handoff.Core.Audit.IAuditSigningKey
{
    public string KeyId => "bench";
    public byte[] Key { get; } = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
}
