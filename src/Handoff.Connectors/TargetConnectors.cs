using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data;

namespace Handoff.Connectors;

/// <summary>Builds the target connectors of a workspace's systems.</summary>
public static class TargetConnectors
{
    public static ITargetConnectorSource For(WorkspaceDefinition workspace, DatabaseOptions database) => new Empty();

    private sealed class Empty : ITargetConnectorSource
    {
        public ITargetConnector? Find(string systemId) => null;
    }
}
