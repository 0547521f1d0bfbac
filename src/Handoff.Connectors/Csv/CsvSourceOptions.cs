using Handoff.Core.Sources;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Csv;

/// <summary>
/// Where and how a CSV source is read.
/// </summary>
/// <param name="Path">A file, or a folder (the "drop folder"): every file in it that matches
/// <paramref name="Pattern"/> is read, in ordinal order of the file names.</param>
/// <param name="Delimiter"><c>,</c>, <c>;</c> or tab (<c>\t</c> or <c>tab</c>); detected from the
/// header line among those three when not set.</param>
/// <param name="Encoding"><c>utf-8</c> (the default, with or without byte order mark) or
/// <c>windows-1252</c> (also <c>cp1252</c>).</param>
/// <param name="Pattern">The file name pattern of a drop folder.</param>
public sealed record CsvSourceOptions(string Path, string? Delimiter = null, string? Encoding = null, string Pattern = "*.csv")
{
    /// <summary>The options of a <c>csv</c> system: its <c>path</c> (relative to the workspace
    /// directory unless rooted), <c>delimiter</c>, <c>encoding</c> and <c>pattern</c>.</summary>
    /// <exception cref="SourceFormatException">The system has no <c>path</c>.</exception>
    public static CsvSourceOptions FromSystem(SystemDefinition system, string workspaceDirectory)
    {
        ArgumentNullException.ThrowIfNull(system);
        var path = system.Setting("path")
            ?? throw new SourceFormatException($"System '{system.Id}' has no 'path' setting for its CSV source.");
        var pattern = system.Setting("pattern");
        return new CsvSourceOptions(
            System.IO.Path.GetFullPath(path, System.IO.Path.GetFullPath(workspaceDirectory)),
            system.Setting("delimiter"),
            system.Setting("encoding"),
            string.IsNullOrWhiteSpace(pattern) ? "*.csv" : pattern);
    }
}
