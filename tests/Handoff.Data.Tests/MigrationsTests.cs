using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Handoff.Data.Tests;

public sealed class MigrationsTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_provider_migrations_match_the_model(string provider)
    {
        var options = await TestDatabases.CreateAsync(provider);
        await using var db = options.CreateContext();
        Assert.False(db.Database.HasPendingModelChanges(), $"the {provider} migrations lag behind the model: run scripts/migrations NAME");
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
