using System.Globalization;
using Npgsql;

namespace Handoff.Data.Tests;

/// <summary>
/// Every data-layer test runs once per provider: <c>[Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]</c>.
/// SQLite gets a fresh file; PostgreSQL a fresh database on the server that <c>./scripts/test</c>
/// started (<c>HANDOFF_TEST_POSTGRES</c>). Without that server the PostgreSQL cases fail: they are
/// never skipped.
/// </summary>
public static class TestDatabases
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static TheoryData<string> Providers => new() { Sqlite, Postgres };

    public static string PostgresServer =>
        Environment.GetEnvironmentVariable("HANDOFF_TEST_POSTGRES")
        ?? throw new InvalidOperationException("HANDOFF_TEST_POSTGRES is not set: run the tests with ./scripts/test, which starts a throwaway PostgreSQL");

    /// <summary>A new, migrated, empty database of the given provider. The migrations run once per
    /// test process into a template; each test gets a copy of it (the SQLite file copied, or
    /// <c>CREATE DATABASE … TEMPLATE</c>), which is what a migrated empty database is, at a fraction of
    /// the cost of running every migration again. <c>MigrationsTests</c> runs them from scratch.</summary>
    public static async Task<DatabaseOptions> CreateAsync(string provider)
    {
        if (provider == Sqlite)
        {
            var template = await SqliteTemplate.Value;
            var file = Path.Combine(SqliteDirectory, $"{Guid.NewGuid():N}.db");
            File.Copy(template, file);
            return DatabaseOptions.ForSqliteFile(file);
        }
        var source = await PostgresTemplate.Value;
        var name = $"t_{Guid.NewGuid():N}";
        await TemplateGate.WaitAsync();
        try
        {
            await using var conn = new NpgsqlConnection(PostgresServer);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE {source}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        finally
        {
            TemplateGate.Release();
        }
        return new DatabaseOptions(DatabaseProvider.Postgres, new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name, ConnectionIdleLifetime = 10, ConnectionPruningInterval = 5 }.ConnectionString);
    }

    /// <summary>A new database migrated from nothing, without the template (for tests of the migrations themselves).</summary>
    public static async Task<DatabaseOptions> CreateFromScratchAsync(string provider)
    {
        var options = provider == Sqlite
            ? DatabaseOptions.ForSqliteFile(Path.Combine(SqliteDirectory, $"{Guid.NewGuid():N}.db"))
            : new DatabaseOptions(DatabaseProvider.Postgres, await CreateEmptyPostgresAsync());
        await options.MigrateAsync();
        return options;
    }

    private static string SqliteDirectory
    {
        get
        {
            var dir = Path.Combine(Path.GetTempPath(), "handoff-tests");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>One CREATE DATABASE … TEMPLATE at a time: PostgreSQL refuses a copy while another
    /// session is connected to the template.</summary>
    private static readonly SemaphoreSlim TemplateGate = new(1, 1);

    private static readonly Lazy<Task<string>> SqliteTemplate = new(async () =>
    {
        var options = DatabaseOptions.ForSqliteFile(Path.Combine(SqliteDirectory, $"template-{Guid.NewGuid():N}.db"));
        await options.MigrateAsync();
        await using (var db = options.CreateContext())
            await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.ExecuteSqlRawAsync(db.Database, "PRAGMA wal_checkpoint(TRUNCATE);");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
    });

    private static readonly Lazy<Task<string>> PostgresTemplate = new(async () =>
    {
        var connection = await CreateEmptyPostgresAsync();
        await new DatabaseOptions(DatabaseProvider.Postgres, connection).MigrateAsync();
        await using (var conn = new NpgsqlConnection(connection))
            NpgsqlConnection.ClearPool(conn);
        return new NpgsqlConnectionStringBuilder(connection).Database!;
    });

    private static async Task<string> CreateEmptyPostgresAsync()
    {
        var name = $"t_{Guid.NewGuid():N}";
        await using (var conn = new NpgsqlConnection(PostgresServer))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name, ConnectionIdleLifetime = 10, ConnectionPruningInterval = 5 }.ConnectionString;
    }
}

/// <summary>A clock the test moves.</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public static TestClock At(string isoDate) => new(DateTimeOffset.Parse(isoDate + "T09:00:00Z", CultureInfo.InvariantCulture));
}

public static class Repository
{
    /// <summary>The repository root (the folder holding Handoff.slnx).</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Handoff.slnx")))
                    return dir.FullName;
            }
            throw new InvalidOperationException("Handoff.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    public static string AcmeWorkspace => Path.Combine(Root, "samples", "acme");
}
