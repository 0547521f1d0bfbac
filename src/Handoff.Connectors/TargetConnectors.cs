using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data;

namespace Handoff.Connectors;

/// <summary>Builds the target connectors of a workspace's systems (today: the sandbox twins; the real
/// LDAP/AD, SCIM, HTTP and mail connectors join here).</summary>
public static class TargetConnectors
{
    public static ITargetConnectorSource For(WorkspaceDefinition workspace, DatabaseOptions database, TimeProvider clock) =>
        new SandboxConnectors(workspace, database, clock);
}
