using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Handoff.Data;

/// <summary>
/// Saves a large unit of work in one transaction: EF Core writes the updates and deletes, then the new
/// rows go in through the provider's fast path — one prepared INSERT reused per table on SQLite, binary
/// COPY on PostgreSQL. EF's own insert path spends most of a sync's time building and sorting
/// thousands of commands; these rows have no database-generated value anyone reads back (the
/// identity ids of new rows are not used after the batch, and the context is thrown away), so
/// writing them directly is the same result. Columns, names and value conversions all come from
/// the EF model, so the model stays the single description of the tables.
/// </summary>
internal static class BatchWriter
{
    public static async Task SaveAsync(HandoffDbContext db, CancellationToken ct)
    {
        db.ChangeTracker.DetectChanges();
        var added = db.ChangeTracker.Entries().Where(e => e.State == EntityState.Added).ToList();
        // What is left to EF (updates, deletes) runs first: a key row deleted and added again in the
        // same batch must be gone before it is inserted.
        var rows = added.Select(e => (e.Metadata, Values: ColumnsOf(e))).ToList();
        foreach (var entry in added)
            entry.State = EntityState.Detached;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        var connection = db.Database.GetDbConnection();
        var transaction = tx.GetDbTransaction();
        foreach (var group in rows.GroupBy(r => r.Metadata))
        {
            var columns = Columns(group.Key);
            var values = group.Select(g => g.Values);
            if (connection is NpgsqlConnection npgsql)
                await CopyAsync(npgsql, group.Key, columns, values, ct);
            else
                await InsertAsync(connection, transaction, group.Key, columns, values, ct);
        }
        await tx.CommitAsync(ct);
    }

    private static IProperty[] Columns(IEntityType type) =>
        [.. type.GetProperties().Where(p => !IsStoreGenerated(p))];

    /// <summary>Identity keys: the database numbers the row.</summary>
    private static bool IsStoreGenerated(IProperty p) =>
        p.IsPrimaryKey() && p.ValueGenerated == ValueGenerated.OnAdd && (p.ClrType == typeof(long) || p.ClrType == typeof(int));

    private static object?[] ColumnsOf(EntityEntry entry)
    {
        var columns = Columns(entry.Metadata);
        var values = new object?[columns.Length];
        for (var i = 0; i < columns.Length; i++)
            values[i] = entry.Property(columns[i].Name).CurrentValue;
        return values;
    }

    private static string Table(IEntityType type) => Quote(type.GetTableName()!);

    private static string ColumnName(IEntityType type, IProperty p) =>
        Quote(p.GetColumnName(StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema()))!);

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task InsertAsync(DbConnection connection, DbTransaction transaction, IEntityType type, IProperty[] columns, IEnumerable<object?[]> rows, CancellationToken ct)
    {
        await using var command = (SqliteCommand)connection.CreateCommand();
        command.Transaction = (SqliteTransaction)transaction;
        command.CommandText = $"INSERT INTO {Table(type)} ({string.Join(", ", columns.Select(c => ColumnName(type, c)))}) " +
            $"VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})";
        var mappings = columns.Select(c => c.GetRelationalTypeMapping()).ToArray();
        foreach (var row in rows)
        {
            command.Parameters.Clear();
            for (var i = 0; i < columns.Length; i++)
                command.Parameters.Add(mappings[i].CreateParameter(command, "@p" + i, row[i], columns[i].IsNullable));
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task CopyAsync(NpgsqlConnection connection, IEntityType type, IProperty[] columns, IEnumerable<object?[]> rows, CancellationToken ct)
    {
        var converters = columns.Select(c => c.GetValueConverter() ?? c.GetRelationalTypeMapping().Converter).ToArray();
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY {Table(type)} ({string.Join(", ", columns.Select(c => ColumnName(type, c)))}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            for (var i = 0; i < columns.Length; i++)
            {
                var value = converters[i] is { } converter && row[i] is not null ? converter.ConvertToProvider(row[i]) : row[i];
                if (value is null)
                    await importer.WriteNullAsync(ct);
                else
                    await importer.WriteAsync(value, ct);
            }
        }
        await importer.CompleteAsync(ct);
    }
}
