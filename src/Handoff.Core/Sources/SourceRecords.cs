namespace Handoff.Core.Sources;

/// <summary>One item read from a source: a record, or a row that could not even be read.</summary>
public abstract record SourceItem(string File, int Line)
{
    /// <summary>For JSON inputs (webhooks, SCIM): the JSON pointer of the item in its body.</summary>
    public string? Pointer { get; init; }

    /// <summary>Where the item is, for messages: <c>workers.csv:12</c> or <c>delivery 7f3c#/records/2</c>.</summary>
    public string Location => Pointer is null ? $"{File}:{Line}" : $"{File}#{Pointer}";
}

/// <summary>A record as the source system sent it: native field names and raw text values.</summary>
public sealed record NativeRecord(string File, int Line, IReadOnlyDictionary<string, string?> Values)
    : SourceItem(File, Line);

/// <summary>A row the reader could not parse (bad quoting, wrong number of fields). It is
/// quarantined with its raw text; the rows around it are still read.</summary>
public sealed record UnreadableRow(string File, int Line, string Reason, string Raw)
    : SourceItem(File, Line);

/// <summary>Reads a source's records as a stream, so a file of a million rows never sits in memory.</summary>
public interface ISourceReader
{
    IAsyncEnumerable<SourceItem> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>Thrown when an input is not of the expected format at all (not CSV, not JSON);
/// the whole input is refused and the message names the file and why.</summary>
public sealed class SourceFormatException(string message) : Exception(message);
