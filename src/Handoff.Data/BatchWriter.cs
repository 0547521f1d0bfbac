using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
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
    /// <param name="inserts">New rows kept out of the change tracker (entity objects of the model);
    /// rows added to the context are written the same way.</param>
    /// <param name="inTransaction">Runs first inside the transaction (the audit log appends its entries there).</param>
    public static async Task SaveAsync(HandoffDbContext db, IReadOnlyList<object> inserts, CancellationToken ct, Func<Task>? inTransaction = null)
    {
        db.ChangeTracker.DetectChanges();
        var added = db.ChangeTracker.Entries().Where(e => e.State == EntityState.Added).ToList();
        var rows = new List<(IEntityType Type, object?[] Values)>(inserts.Count + added.Count);
        foreach (var entry in added)
        {
            var columns = Table.Of(entry.Metadata).Columns;
            rows.Add((entry.Metadata, [.. columns.Select(c => entry.Property(c.Name).CurrentValue)]));
            // What is left to EF (updates, deletes) runs first: a key row deleted and added again in
            // the same batch must be gone before it is inserted.
            entry.State = EntityState.Detached;
        }
        foreach (var row in inserts)
        {
            var type = db.Model.FindEntityType(row.GetType()) ?? throw new InvalidOperationException($"{row.GetType()} is not in the model");
            var table = Table.Of(type);
            var values = new object?[table.Columns.Length];
            for (var i = 0; i < values.Length; i++)
                values[i] = table.Getters[i].GetClrValueUsingContainingEntity(row);
            rows.Add((type, values));
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (inTransaction is not null)
            await inTransaction();
        await db.SaveChangesAsync(ct);
        var connection = db.Database.GetDbConnection();
        foreach (var group in rows.GroupBy(r => r.Type))
        {
            var table = Table.Of(group.Key);
            var values = group.Select(g => g.Values);
            if (connection is NpgsqlConnection npgsql)
                await CopyAsync(npgsql, table, values, ct);
            else
                Insert((SqliteConnection)connection, (SqliteTransaction)tx.GetDbTransaction(), table, values);
        }
        await tx.CommitAsync(ct);
    }

    private static void Insert(SqliteConnection connection, SqliteTransaction transaction, Table table, IEnumerable<object?[]> rows)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {table.Name} ({table.ColumnList}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => "@p" + i))})";
        // EF's own parameters (they carry the SQLite type, e.g. TEXT for a Guid), bound again per row.
        var parameters = table.Columns.Select((c, i) => table.Mappings[i].CreateParameter(command, "@p" + i, null, c.IsNullable)).ToArray();
        command.Parameters.AddRange(parameters);
        command.Prepare();
        foreach (var row in rows)
        {
            for (var i = 0; i < parameters.Length; i++)
                parameters[i].Value = table.ToProvider(i, row[i]) ?? DBNull.Value;
            command.ExecuteNonQuery();
        }
    }

    private static async Task CopyAsync(NpgsqlConnection connection, Table table, IEnumerable<object?[]> rows, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {table.Name} ({table.ColumnList}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            for (var i = 0; i < row.Length; i++)
            {
                var value = table.ToProvider(i, row[i]);
                if (value is null)
                    await importer.WriteNullAsync(ct);
                else
                    await importer.WriteAsync(value, ct);
            }
        }
        await importer.CompleteAsync(ct);
    }

    /// <summary>The columns of an entity's table that an insert writes: all but identity keys.</summary>
    private sealed class Table
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<IEntityType, Table> Cache = new();

        private Table(IEntityType type)
        {
            Columns = [.. type.GetProperties().Where(p => !(p.IsPrimaryKey() && p.ValueGenerated == ValueGenerated.OnAdd && (p.ClrType == typeof(long) || p.ClrType == typeof(int))))];
            Getters = [.. Columns.Select(c => c.GetGetter())];
            Mappings = [.. Columns.Select(c => c.GetRelationalTypeMapping())];
            Converters = [.. Columns.Select((c, i) => c.GetValueConverter() ?? Mappings[i].Converter)];
            var store = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
            Name = Quote(type.GetTableName()!);
            ColumnList = string.Join(", ", Columns.Select(c => Quote(c.GetColumnName(store)!)));
        }

        public IProperty[] Columns { get; }
        public IClrPropertyGetter[] Getters { get; }
        public RelationalTypeMapping[] Mappings { get; }
        public ValueConverter?[] Converters { get; }
        public string Name { get; }
        public string ColumnList { get; }

        public static Table Of(IEntityType type) => Cache.GetOrAdd(type, t => new Table(t));

        public object? ToProvider(int column, object? value) =>
            value is not null && Converters[column] is { } converter ? converter.ConvertToProvider(value) : value;

        private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
