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

    /// <summary>A new, migrated, empty database of the given provider.</summary>
    public static async Task<DatabaseOptions> CreateAsync(string provider)
    {
        DatabaseOptions options;
        if (provider == Sqlite)
        {
            var dir = Path.Combine(Path.GetTempPath(), "handoff-tests");
            Directory.CreateDirectory(dir);
            options = DatabaseOptions.ForSqliteFile(Path.Combine(dir, $"{Guid.NewGuid():N}.db"));
        }
        else
        {
            var name = $"t_{Guid.NewGuid():N}";
            await using (var conn = new NpgsqlConnection(PostgresServer))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            var builder = new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name };
            options = new DatabaseOptions(DatabaseProvider.Postgres, builder.ConnectionString);
        }
        await options.MigrateAsync();
        return options;
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
