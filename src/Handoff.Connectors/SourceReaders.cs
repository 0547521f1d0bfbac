using Handoff.Connectors.Csv;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;

namespace Handoff.Connectors;

/// <summary>Opens the reader for a source system's pull channel (CSV drop folders today).</summary>
public static class SourceReaders
{
    /// <param name="file">One file to read instead of the system's drop folder.</param>
    public static ISourceReader Open(SystemDefinition system, string workspaceDirectory, string? file = null)
    {
        return system.Connector switch
        {
            "csv" => new CsvSourceReader(file is null
                ? CsvSourceOptions.FromSystem(system, workspaceDirectory)
                : CsvSourceOptions.FromSystem(system, workspaceDirectory) with { Path = Path.GetFullPath(file) }),
            _ => throw new InvalidOperationException(
                $"system '{system.Id}' uses the {system.Connector} connector, which is not read with `sync`" +
                (system.Connector is "webhook" ? " (it pushes to POST /hooks/" + system.Id + ")" : "")
                + (system.Connector is "scim-server" ? " (it writes to the SCIM server at /scim/v2 with its API token)" : "")),
        };
    }
}
