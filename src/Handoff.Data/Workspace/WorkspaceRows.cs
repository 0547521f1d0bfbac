namespace Handoff.Data.Workspace;

/// <summary>A connected system as applied from the workspace (config without secrets).</summary>
public sealed class SystemRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Connector { get; set; } = "";
    public string Owner { get; set; } = "";
    public string ConfigJson { get; set; } = "{}";
    public int Position { get; set; }
}

/// <summary>A version of the data dictionary (YAML text). Proposed versions take effect only once
/// an HR and an IT approver signed them.</summary>
public sealed class DictionaryVersionRow
{
    public int Id { get; set; }
    public string Yaml { get; set; } = "";
    public string Status { get; set; } = "proposed";
    public string Author { get; set; } = "";
    public string? Comment { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ActivatedAt { get; set; }
    public List<DictionaryApprovalRow> Approvals { get; set; } = [];
}

public sealed class DictionaryApprovalRow
{
    public long Id { get; set; }
    public int VersionId { get; set; }
    public string Approver { get; set; } = "";
    public string Side { get; set; } = "";
    public DateTimeOffset At { get; set; }
}

/// <summary>The workspace's non-versioned documents (charter) and settings, by key.</summary>
public sealed class WorkspaceDocumentRow
{
    public string Key { get; set; } = "";
    public string Content { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
}
