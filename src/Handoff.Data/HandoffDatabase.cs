using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Handoff.Data;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>Which database Handoff uses. SQLite (one file, zero set-up) is the default;
/// PostgreSQL is the production store.</summary>
public sealed record DatabaseOptions(DatabaseProvider Provider, string ConnectionString)
{
    public const string SqliteMigrationsAssembly = "Handoff.Data.Sqlite.Migrations";
    public const string PostgresMigrationsAssembly = "Handoff.Data.Postgres.Migrations";

    /// <summary>SQLite file under a data directory.</summary>
    public static DatabaseOptions ForSqliteFile(string path) =>
        new(DatabaseProvider.Sqlite, $"Data Source={path};Pooling=True");

    /// <summary>Parses <c>HANDOFF_DB</c>-style settings: a PostgreSQL connection string
    /// (<c>Host=…</c> or a <c>postgres://</c> URL) or a SQLite file path / <c>Data Source=…</c>.</summary>
    public static DatabaseOptions Parse(string value)
    {
        if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            var uri = new Uri(value);
            var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
            var password = uri.UserInfo.Contains(':') ? Uri.UnescapeDataString(uri.UserInfo[(uri.UserInfo.IndexOf(':') + 1)..]) : null;
            var cs = $"Host={uri.Host};Port={(uri.Port > 0 ? uri.Port : 5432)};Database={uri.AbsolutePath.TrimStart('/')};Username={user}";
            if (password is not null)
                cs += $";Password={password}";
            return new(DatabaseProvider.Postgres, cs);
        }
        if (value.Contains("Host=", StringComparison.OrdinalIgnoreCase))
            return new(DatabaseProvider.Postgres, value);
        if (value.Contains("Data Source=", StringComparison.OrdinalIgnoreCase))
            return new(DatabaseProvider.Sqlite, value);
        return ForSqliteFile(value);
    }

    public void Configure(DbContextOptionsBuilder builder)
    {
        switch (Provider)
        {
            case DatabaseProvider.Sqlite:
                builder.UseSqlite(ConnectionString, o => o.MigrationsAssembly(SqliteMigrationsAssembly))
                    .AddInterceptors(SqlitePragmas.Instance);
                break;
            case DatabaseProvider.Postgres:
                builder.UseNpgsql(ConnectionString, o => o.MigrationsAssembly(PostgresMigrationsAssembly).MaxBatchSize(1000));
                break;
        }
    }

    public HandoffDbContext CreateContext()
    {
        var builder = new DbContextOptionsBuilder<HandoffDbContext>();
        Configure(builder);
        return new HandoffDbContext(builder.Options);
    }

    /// <summary>Creates or upgrades the schema. SQLite also gets WAL and relaxed syncs, which keep
    /// every committed transaction but allow many small ones per second.</summary>
    public async Task MigrateAsync(CancellationToken ct = default)
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            var path = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString).DataSource;
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null)
                Directory.CreateDirectory(dir);
        }
        await using var db = CreateContext();
        // Most starts find the schema current. Asking for the applied migrations is one query;
        // MigrateAsync would also build the model snapshot and diff it against the model (about a
        // second of CPU on every CLI command), which only matters when there is something to apply.
        if (await IsCurrentAsync(db, ct))
            return;
        await db.Database.MigrateAsync(ct);
        if (Provider == DatabaseProvider.Sqlite)
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
    }

    /// <summary>True when every migration of the provider's migrations assembly is recorded as applied
    /// (and the SQLite file is already in WAL mode): nothing to do at start-up.</summary>
    private async Task<bool> IsCurrentAsync(HandoffDbContext db, CancellationToken ct)
    {
        try
        {
            var known = db.Database.GetMigrations().ToHashSet(StringComparer.Ordinal);
            if (known.Count == 0 || !await db.Database.CanConnectAsync(ct))
                return false;
            var applied = await db.Database.GetAppliedMigrationsAsync(ct);
            known.ExceptWith(applied);
            if (known.Count > 0)
                return false;
            if (Provider == DatabaseProvider.Sqlite)
            {
                await db.Database.OpenConnectionAsync(ct);
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.CommandText = "PRAGMA journal_mode;";
                return string.Equals(await command.ExecuteScalarAsync(ct) as string, "wal", StringComparison.OrdinalIgnoreCase);
            }
            return true;
        }
        catch (DbException)
        {
            return false; // no database yet, or no history table: MigrateAsync creates them
        }
    }
}

/// <summary>
/// Per-connection SQLite settings (pragmas other than journal_mode do not persist in the file).
/// In WAL mode <c>synchronous=NORMAL</c> syncs at checkpoints instead of at every commit: a
/// committed transaction survives a crash of the process (it is in the WAL file), only an OS crash
/// or power loss can lose the last commits — never corrupt the database. A larger page cache
/// keeps the indexes of a big import in memory.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    private const string Pragmas = "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
