using Handoff.Core.Dictionary;

namespace Handoff.Core.Workspace;

/// <summary>One problem found while loading a workspace, with the file (relative to the workspace
/// directory), the 1-based line and column of the offending node, and what was expected.</summary>
public sealed record WorkspaceError(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>The outcome of <see cref="WorkspaceLoader.Load"/>: either a workspace or every error found.</summary>
public sealed record WorkspaceLoadResult(WorkspaceDefinition? Workspace, IReadOnlyList<WorkspaceError> Errors)
{
    /// <summary>True when the workspace loaded without any error.</summary>
    public bool Succeeded => Workspace is not null && Errors.Count == 0;
}

/// <summary>The outcome of parsing a dictionary on its own (e.g. a stored dictionary version).</summary>
public sealed record DictionaryLoadResult(DictionaryDefinition? Dictionary, IReadOnlyList<WorkspaceError> Errors)
{
    /// <summary>True when the dictionary parsed without any error.</summary>
    public bool Succeeded => Dictionary is not null && Errors.Count == 0;
}
