using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Handoff.Connectors.Csv;
using Handoff.Core.Workspace;

namespace Handoff.Connectors;

/// <summary>One file of a source, as a delivery: where it is, the name it is known by, the hash of its
/// bytes and, when the system says its file names carry the export time (<c>file_time: name</c>),
/// that time.</summary>
public sealed partial record DeliveryFile(string Path, string Name, string ContentHash, DateTimeOffset? AsOf)
{
    /// <summary>The files a sync reads: <paramref name="file"/>, or the drop folder's files matching
    /// its pattern in ordinal name order.</summary>
    public static List<DeliveryFile> List(SystemDefinition system, string workspaceDirectory, string? file)
    {
        if (file is not null)
        {
            var full = System.IO.Path.GetFullPath(file);
            return [Of(full, System.IO.Path.GetFileName(full), system)];
        }
        var options = CsvSourceOptions.FromSystem(system, workspaceDirectory);
        if (File.Exists(options.Path))
            return [Of(options.Path, System.IO.Path.GetFileName(options.Path), system)];
        if (!Directory.Exists(options.Path))
            throw new DirectoryNotFoundException($"CSV source '{options.Path}' is neither a file nor a folder.");
        return Directory.EnumerateFiles(options.Path, options.Pattern, SearchOption.TopDirectoryOnly)
            .Select(p => (Path: p, Name: System.IO.Path.GetRelativePath(options.Path, p)))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => Of(f.Path, f.Name, system))
            .ToList();
    }

    public static DeliveryFile Of(string path, string name, SystemDefinition system)
    {
        string hash;
        using (var stream = File.OpenRead(path))
            hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        var asOf = system.Setting("file_time") == "name" ? TimeInName(name) : null;
        return new DeliveryFile(path, name, hash, asOf);
    }

    /// <summary>The export time in a file name: <c>2026-11-27</c> or <c>20261127</c>, optionally followed
    /// by a time (<c>T083000</c>, <c>_08-30-00</c>), read as UTC.</summary>
    public static DateTimeOffset? TimeInName(string name)
    {
        var m = NameTime().Match(System.IO.Path.GetFileNameWithoutExtension(name));
        if (!m.Success)
            return null;
        var text = $"{m.Groups["y"].Value}-{m.Groups["m"].Value}-{m.Groups["d"].Value}T{(m.Groups["H"].Success ? m.Groups["H"].Value : "00")}:{(m.Groups["M"].Success ? m.Groups["M"].Value : "00")}:{(m.Groups["S"].Success ? m.Groups["S"].Value : "00")}";
        return DateTimeOffset.TryParseExact(text, "yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
    }

    [GeneratedRegex(@"(?<y>(?:19|20)\d{2})-?(?<m>[01]\d)-?(?<d>[0-3]\d)(?:[T_ -]?(?<H>[0-2]\d)[:\-]?(?<M>[0-5]\d)(?:[:\-]?(?<S>[0-5]\d))?)?")]
    private static partial Regex NameTime();
}
