using System.Text;

namespace Handoff.Core.Security;

/// <summary>A loaded key ring and where it came from.</summary>
/// <param name="Path">The key-ring file, or null when the ring came from <c>HANDOFF_KEYRING</c>.</param>
/// <param name="Created">True when this start created the ring.</param>
public sealed record LoadedKeyRing(KeyRing Ring, string? Path, bool Created)
{
    public string Origin => Path ?? $"${KeyRingStore.RingVariable}";
}

/// <summary>
/// Where the key ring lives: the whole ring from <c>HANDOFF_KEYRING</c> (base64 of the JSON, for
/// containers and secret stores), else <c>keyring.json</c> in <c>HANDOFF_KEYS_DIR</c> (default
/// <c>./data/keys</c>), created on first start. On Unix the file must be private to its owner (0600):
/// a ring others can read is refused rather than used.
/// </summary>
public static class KeyRingStore
{
    public const string DirectoryVariable = "HANDOFF_KEYS_DIR";
    public const string RingVariable = "HANDOFF_KEYRING";
    public const string FileName = "keyring.json";
    public static string DefaultDirectory => System.IO.Path.Combine("data", "keys");

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The ring from the environment, or the file in <paramref name="directory"/> (else
    /// <c>HANDOFF_KEYS_DIR</c>, else <c>./data/keys</c>), created when absent. <paramref name="notice"/>
    /// receives the one-time "created" message (default: standard error).</summary>
    public static LoadedKeyRing Open(string? directory = null, Action<string>? notice = null, TimeProvider? clock = null) =>
        Open(directory ?? Environment.GetEnvironmentVariable(DirectoryVariable), Environment.GetEnvironmentVariable(RingVariable), notice, clock);

    /// <summary><see cref="Open(string?, Action{string}?, TimeProvider?)"/> with the environment given explicitly (tests).</summary>
    public static LoadedKeyRing Open(string? directory, string? ringVariable, Action<string>? notice, TimeProvider? clock)
    {
        if (!string.IsNullOrWhiteSpace(ringVariable))
            return new LoadedKeyRing(FromVariable(ringVariable), null, false);
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(string.IsNullOrWhiteSpace(directory) ? DefaultDirectory : directory, FileName));
        if (File.Exists(path))
            return new LoadedKeyRing(Load(path), path, false);

        var ring = KeyRing.Generate(clock);
        try
        {
            Save(path, ring, createOnly: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it at the same moment: use theirs.
            return new LoadedKeyRing(Load(path), path, false);
        }
        (notice ?? (m => Console.Error.WriteLine(m)))(
            $"Created a new key ring at {path} (current key {ring.CurrentKeyId}). It encrypts the sensitive values in the database. " +
            "Back it up separately from the database: if it is lost, the encrypted data is lost with it; anyone with both can read that data.");
        return new LoadedKeyRing(ring, path, true);
    }

    /// <summary>Reads a key-ring file, refusing one that group or others may read or write.</summary>
    public static KeyRing Load(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & GroupOrOther) != 0)
                throw new KeyRingException(
                    $"the key ring {path} is accessible to other users (mode {ToOctal(mode)}); it must be readable by its owner only. Fix: chmod 600 {path}");
        }
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyRingException($"the key ring {path} cannot be read: {e.Message}");
        }
        return KeyRing.FromJson(json, path);
    }

    /// <summary>Writes the ring atomically (a private temporary file renamed over the old one), mode 0600.</summary>
    public static void Save(string path, KeyRing ring) => Save(path, ring, createOnly: false);

    private static void Save(string path, KeyRing ring, bool createOnly)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(dir);
        else
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = OwnerOnly;
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(ring.ToJson()));
                stream.Flush(flushToDisk: true);
            }
            if (createOnly)
            {
                // Fails when the file appeared meanwhile, so two first starts never overwrite each other's ring.
                File.Move(temp, path, overwrite: false);
            }
            else
            {
                File.Move(temp, path, overwrite: true);
            }
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    private static KeyRing FromVariable(string value)
    {
        var text = value.TrimStart();
        if (!text.StartsWith('{'))
        {
            try
            {
                text = Encoding.UTF8.GetString(Convert.FromBase64String(value.Trim()));
            }
            catch (FormatException)
            {
                throw new KeyRingException($"${RingVariable} must hold the key ring as base64 of its JSON");
            }
        }
        return KeyRing.FromJson(text, $"${RingVariable}");
    }

    /// <summary>The value to put in <c>HANDOFF_KEYRING</c> for this ring.</summary>
    public static string ToVariable(KeyRing ring) => Convert.ToBase64String(Encoding.UTF8.GetBytes(ring.ToJson()));

    private static string ToOctal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
