using Handoff.Data;

namespace Handoff.Server.Cluster;

/// <summary>
/// On SQLite one node only: <c>handoff serve</c> holds an exclusive OS lock (flock on Linux) on a lock
/// file next to the database for as long as it runs. A second <c>serve</c> on the same file cannot take
/// it and stops with a message naming the file and the other node (from its heartbeat row). The OS
/// drops the lock when the process dies, even by SIGKILL, so a crash never leaves a stale lock behind.
/// </summary>
public sealed class SqliteNodeLock : IDisposable
{
    private readonly FileStream _stream;

    private SqliteNodeLock(FileStream stream) => _stream = stream;

    public static string PathFor(string databaseFile) => databaseFile + ".lock";

    /// <summary>Takes the lock of the SQLite database, or throws <see cref="Cli.HandoffCliException"/> naming
    /// the file and the node holding it. PostgreSQL databases need no lock (null).</summary>
    public static async Task<SqliteNodeLock?> AcquireAsync(HandoffRuntime runtime, CancellationToken ct)
    {
        if (runtime.Database.Provider != DatabaseProvider.Sqlite)
            return null;
        var source = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(runtime.Database.ConnectionString).DataSource;
        if (string.IsNullOrEmpty(source) || source.Contains(":memory:", StringComparison.OrdinalIgnoreCase))
            return null;
        var file = Path.GetFullPath(source);
        var path = PathFor(file);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var text = System.Text.Encoding.UTF8.GetBytes($"{runtime.NodeId} pid {Environment.ProcessId}\n");
            await stream.WriteAsync(text, ct);
            await stream.FlushAsync(ct);
            return new SqliteNodeLock(stream);
        }
        catch (IOException)
        {
            var other = (await runtime.Nodes.LiveAsync(runtime.NodeId, ct)).OrderByDescending(n => n.LastSeen).FirstOrDefault();
            var who = other is null ? "another node (its heartbeat is not in the database yet)" : $"node {other.Id} (pid {other.Pid} on {other.Host})";
            throw new Cli.HandoffCliException(
                $"{file} is already served by {who}: it holds {path}. SQLite allows one node only — stop it first, or use PostgreSQL for several nodes.");
        }
    }

    public void Dispose() => _stream.Dispose();
}
