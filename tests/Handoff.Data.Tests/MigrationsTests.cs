using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Handoff.Data.Tests;

public sealed class MigrationsTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_provider_migrations_match_the_model(string provider)
    {
        var options = await TestDatabases.CreateFromScratchAsync(provider);
        await using var db = options.CreateContext();
        Assert.False(db.Database.HasPendingModelChanges(), $"the {provider} migrations lag behind the model: run scripts/migrations NAME");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_database_missing_its_last_migration_is_brought_up_to_date_at_start(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        string last;
        await using (var db = options.CreateContext())
        {
            last = db.Database.GetMigrations().Last();
            // Forget the last migration: start-up must notice and apply it again (every migration is re-runnable
            // only as a whole, so drop what it made by re-creating the database from one migration before).
            await db.Database.GetService<IMigrator>().MigrateAsync(db.Database.GetMigrations().Reverse().Skip(1).First());
            Assert.Contains(last, await db.Database.GetPendingMigrationsAsync());
        }
        await options.MigrateAsync();
        await using (var db = options.CreateContext())
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public void SQLite_and_PostgreSQL_migrations_create_the_same_tables_and_columns()
    {
        static SortedSet<string> Shape(DatabaseOptions options)
        {
            using var db = options.CreateContext();
            var snapshot = db.GetService<IMigrationsAssembly>().ModelSnapshot!.Model;
            var model = db.GetService<IModelRuntimeInitializer>().Initialize(snapshot, designTime: true).GetRelationalModel();
            var shape = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var table in model.Tables)
            {
                foreach (var column in table.Columns)
                    shape.Add($"{table.Name}.{column.Name} null={column.IsNullable}");
                foreach (var index in table.Indexes)
                    shape.Add($"{table.Name} index({string.Join(",", index.Columns.Select(c => c.Name))}) unique={index.IsUnique}");
                if (table.PrimaryKey is { } pk)
                    shape.Add($"{table.Name} pk({string.Join(",", pk.Columns.Select(c => c.Name))})");
            }
            return shape;
        }

        var sqlite = Shape(DatabaseOptions.ForSqliteFile(Path.Combine(Path.GetTempPath(), "shape.db")));
        var postgres = Shape(new DatabaseOptions(DatabaseProvider.Postgres, "Host=127.0.0.1;Database=unused"));
        Assert.Equal(sqlite, postgres);
        Assert.Contains("people.values_json null=False", sqlite);
    }
}
