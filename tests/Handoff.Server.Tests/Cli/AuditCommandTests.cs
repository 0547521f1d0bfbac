using Handoff.Core.Audit;
using Handoff.Data;
using Handoff.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Cli;

/// <summary><c>handoff audit …</c> as an auditor runs it.</summary>
public sealed class AuditCommandTests
{
    private static async Task<(string Work, string Db)> LogAsync(int entries)
    {
        var work = Path.Combine(Path.GetTempPath(), $"handoff-audit-{Guid.NewGuid():N}");
        var db = Path.Combine(work, "data", "handoff.db");
        var options = DatabaseOptions.ForSqliteFile(db);
        await options.MigrateAsync();
        // The key ring the CLI will open from the work folder, and the checkpoint key derived from it.
        var ring = Core.Security.KeyRingStore.Open(Path.Combine(work, "data", "keys")).Ring;
        var log = new AuditLog(options, new Core.Security.KeyRingAuditKey(ring), TimeProvider.System, checkpointEvery: 10);
        await using var context = options.CreateContext();
        await using var tx = await context.Database.BeginTransactionAsync();
        await log.AppendAsync(context, Enumerable.Range(1, entries).Select(i =>
            new AuditDraft("user:alice", "person.changed", "person", $"p-{i % 3}", [new("department", "Sales", "Ops")], "hris")));
        await context.SaveChangesAsync();
        await tx.CommitAsync();
        return (work, db);
    }

    [Fact]
    public async Task Verify_reports_an_intact_chain_then_names_the_edited_entry()
    {
        var (work, db) = await LogAsync(50);
        var (exit, output) = await HandoffProcess.RunInAsync(work, "audit", "verify", "--db", db);
        Assert.True(exit == 0, output);
        Assert.Contains("50 entries, chain intact, 5 checkpoints verified", output);

        (exit, output) = await HandoffProcess.RunInAsync(work, "audit", "checkpoint", "--db", db);
        Assert.True(exit == 0, output);
        Assert.Contains("nothing to sign", output);

        await using (var context = DatabaseOptions.ForSqliteFile(db).CreateContext())
            await context.Database.ExecuteSqlRawAsync("UPDATE audit_entries SET object_id = 'p-9' WHERE sequence = 23");
        (exit, output) = await HandoffProcess.RunInAsync(work, "audit", "verify", "--db", db);
        Assert.Equal(1, exit);
        Assert.Contains("entry 23 was edited", output);
    }

    [Fact]
    public async Task An_exported_file_verifies_and_a_tampered_one_is_refused()
    {
        var (work, db) = await LogAsync(30);
        var file = Path.Combine(work, "export.jsonl");
        var (exit, output) = await HandoffProcess.RunInAsync(work, "audit", "export", "--db", db, "--format", "jsonl", "-o", file);
        Assert.True(exit == 0, output);
        Assert.Contains("30 entries written", output);
        (exit, output) = await HandoffProcess.RunInAsync(work, "audit", "verify", "--db", db, "--file", file);
        Assert.True(exit == 0, output);
        Assert.Contains("30 entries, chain intact, 3 checkpoints verified", output);

        var lines = File.ReadAllLines(file);
        lines[11] = lines[11].Replace("\"Ops\"", "\"Finance\"", StringComparison.Ordinal);
        File.WriteAllLines(file, lines);
        (exit, output) = await HandoffProcess.RunInAsync(work, "audit", "verify", "--db", db, "--file", file);
        Assert.Equal(1, exit);
        Assert.Contains("entry 12 was edited", output);

        (exit, output) = await HandoffProcess.RunInAsync(work, "audit", "export", "--db", db, "--format", "csv", "--person", "p-1");
        Assert.True(exit == 0, output);
        Assert.StartsWith("sequence,at,actor,action", output);
        Assert.Equal(10, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
    }

    [Fact]
    public async Task A_key_file_readable_by_others_is_refused()
    {
        if (OperatingSystem.IsWindows())
            return;
        var (work, db) = await LogAsync(3);
        // The checkpoint key comes from the key ring: a ring others can read is refused before anything runs.
        File.SetUnixFileMode(Path.Combine(work, "data", "keys", "keyring.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var (exit, output) = await HandoffProcess.RunInAsync(work, "audit", "verify", "--db", db);
        Assert.Equal(1, exit);
        Assert.Contains("chmod 600", output);
    }
}
