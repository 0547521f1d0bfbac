using System.Security.Cryptography;

namespace Handoff.Core.Audit;

/// <summary>The key that signs audit checkpoints. Implemented by <see cref="AuditKeyFile"/> today;
/// the general key ring can implement it later without the audit log changing.</summary>
public interface IAuditSigningKey
{
    /// <summary>Stored with each checkpoint, so a checkpoint is verified with the key that signed it.</summary>
    string KeyId { get; }

    /// <summary>The HMAC-SHA256 key (32 bytes).</summary>
    byte[] Key { get; }
}

/// <summary>A key file refused or unreadable; the message says what to do.</summary>
public sealed class AuditKeyException(string message) : Exception(message);

/// <summary>The audit signing key in a file outside the database: 32 random bytes, base64, mode 0600,
/// at <c>$HANDOFF_KEYS_DIR/audit.key</c> (default <c>./data/keys/audit.key</c>), created on first use.</summary>
public sealed class AuditKeyFile : IAuditSigningKey
{
    public const string FileName = "audit.key";
    public const string DirectoryVariable = "HANDOFF_KEYS_DIR";

    private AuditKeyFile(string path, byte[] key, bool created)
    {
        Path = path;
        Key = key;
        Created = created;
        KeyId = "audit-" + Convert.ToHexStringLower(SHA256.HashData(key))[..12];
    }

    public string Path { get; }
    public string KeyId { get; }
    public byte[] Key { get; }

    /// <summary>True when this call created the key (the caller should say so: back it up).</summary>
    public bool Created { get; }

    /// <summary>The key directory: the argument, else <c>HANDOFF_KEYS_DIR</c>, else <c>./data/keys</c>.</summary>
    public static string ResolveDirectory(string? directory) =>
        directory ?? Environment.GetEnvironmentVariable(DirectoryVariable) ?? System.IO.Path.Combine("data", "keys");

    /// <summary>Reads the key, or creates it when the file does not exist.</summary>
    public static AuditKeyFile OpenOrCreate(string? directory = null)
    {
        var dir = ResolveDirectory(directory);
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, FileName));
        if (File.Exists(path))
            return Read(path);

        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(dir);
        else
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var key = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var stream = new FileStream(path, options);
            using var writer = new StreamWriter(stream);
            writer.WriteLine(Convert.ToBase64String(key));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs.
            return Read(path);
        }
        return new AuditKeyFile(path, key, created: true);
    }

    private static AuditKeyFile Read(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode wider = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.UserExecute;
            if ((mode & wider) != 0)
                throw new AuditKeyException($"audit key {path} has permissions {Octal(mode)}, wider than 0600: other users could read or replace it. Run `chmod 600 {path}` (and check who could have read it).");
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException)
        {
            throw new AuditKeyException($"audit key {path} is not a base64 key: restore it from your backup (a new key cannot verify the existing checkpoints).");
        }
        if (key.Length != 32)
            throw new AuditKeyException($"audit key {path} holds {key.Length} bytes, expected 32: restore it from your backup.");
        return new AuditKeyFile(path, key, created: false);
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}
