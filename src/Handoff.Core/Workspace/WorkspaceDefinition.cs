using Handoff.Core.Dictionary;

namespace Handoff.Core.Workspace;

/// <summary>Where a definition came from, so errors can name the file, line and column.</summary>
public sealed record SourceSpan(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>
/// A whole workspace as written in YAML: the connected systems, the data dictionary (fields,
/// correlation and lifecycle rules) and the charter. Loaded by <see cref="WorkspaceLoader"/>,
/// written back by <see cref="WorkspaceWriter"/>; the round trip is lossless.
/// </summary>
public sealed record WorkspaceDefinition(
    IReadOnlyList<SystemDefinition> Systems,
    DictionaryDefinition Dictionary,
    Charter Charter)
{
    public SystemDefinition? FindSystem(string id) => Systems.FirstOrDefault(s => s.Id == id);
}

public enum SystemKind { Ats, Hris, Payroll, Directory, App, Ticketing, Mail, Other }

public enum SystemOwner { Hr, It }

/// <summary>A connected system. <see cref="Config"/> holds the connector's settings (keys checked
/// against <see cref="ConnectorCatalog"/>); secrets are never written here, only the name of the
/// environment variable that holds them.</summary>
public sealed record SystemDefinition(
    string Id,
    string Name,
    SystemKind Kind,
    string Connector,
    SystemOwner Owner,
    IReadOnlyDictionary<string, string> Config)
{
    public SourceSpan? At { get; init; }

    public string? Setting(string key) => Config.TryGetValue(key, out var v) ? v : null;

    /// <summary>Whether a record that matches no one creates a person: identity sources (ATS, HRIS)
    /// do by default; others (payroll, apps) only enrich people that exist.</summary>
    public bool CreatesPeople => Setting("creates_people") is { } v
        ? v.Equals("true", StringComparison.OrdinalIgnoreCase)
        : Kind is SystemKind.Ats or SystemKind.Hris;
}

/// <summary>Who is on which side and which changes need whose sign-off.</summary>
public sealed record Charter(
    string HrOwner,
    string ItOwner,
    IReadOnlyList<CharterMember> Members)
{
    public CharterMember? FindMember(string id) => Members.FirstOrDefault(m => m.Id == id);

    public static Charter Empty { get; } = new("hr", "it", []);

    /// <summary>Executive sponsors (HR and IT), or null when the charter names none.</summary>
    public CharterPair? Sponsors { get; init; }

    /// <summary>Project leads (HR and IT), or null when the charter names none.</summary>
    public CharterPair? Leads { get; init; }

    /// <summary>Who may change workflow logic and who must approve what (see <see cref="CharterChangeRules"/>).</summary>
    public CharterChangeRules Changes { get; init; } = CharterChangeRules.Default;

    /// <summary>The success metrics agreed up front (KPI ids and targets).</summary>
    public IReadOnlyList<CharterMetric> SuccessMetrics { get; init; } = [];

    /// <summary>The escalation path, in order: who takes over a breached item and when.</summary>
    public IReadOnlyList<EscalationStep> Escalation { get; init; } = [];

    /// <summary>Feedback routing and SLAs.</summary>
    public FeedbackRules Feedback { get; init; } = FeedbackRules.Default;
}

public sealed record CharterMember(string Id, string Name, SystemOwner Side, IReadOnlyList<string> Roles, bool Approver)
{
    public SourceSpan? At { get; init; }

    /// <summary>Where reminders and escalations reach this member, when the charter gives it.</summary>
    public string? Email { get; init; }
}
