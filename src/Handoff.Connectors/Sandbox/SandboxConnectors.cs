using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data;

namespace Handoff.Connectors.Sandbox;

/// <summary>The connectors of every <c>connector: sandbox</c> system of a workspace, all stored in
/// Handoff's own database. Built once per workspace version; a system with an unknown
/// <c>config.kind</c> is refused when it is built, naming the system and the kinds there are.</summary>
public sealed class SandboxConnectors : ITargetConnectorSource
{
    private readonly Dictionary<string, SandboxConnector> _connectors;

    public SandboxConnectors(WorkspaceDefinition workspace, DatabaseOptions database, TimeProvider? clock = null)
        : this(workspace, database.CreateContext, clock)
    {
    }

    public SandboxConnectors(WorkspaceDefinition workspace, Func<HandoffDbContext> contexts, TimeProvider? clock = null)
    {
        _connectors = workspace.Systems
            .Where(s => s.Connector == ConnectorName)
            .ToDictionary(s => s.Id, s => new SandboxConnector(s.Id, SandboxSettings.From(s), contexts, clock));
    }

    /// <summary>The connector type name in systems.yaml.</summary>
    public const string ConnectorName = "sandbox";

    public IReadOnlyCollection<SandboxConnector> All => _connectors.Values;

    public ITargetConnector? Find(string systemId) => _connectors.GetValueOrDefault(systemId);
}
