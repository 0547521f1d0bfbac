using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data;

namespace Handoff.Connectors;

/// <summary>Builds the target connectors of a workspace's systems (today: the sandbox twins; the real
/// LDAP/AD, SCIM, HTTP and mail connectors join here).</summary>
public static class TargetConnectors
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static ITargetConnectorSource For(WorkspaceDefinition workspace, DatabaseOptions database, TimeProvider clock) =>
        new Combined(new SandboxConnectors(workspace, database, clock),
            workspace.Systems.Where(s => s.Connector == "http").ToDictionary(s => s.Id, ITargetConnector (s) => new Http.HttpConnector(s, Http, clock)));

    private sealed class Combined(ITargetConnectorSource sandbox, IReadOnlyDictionary<string, ITargetConnector> others) : ITargetConnectorSource
    {
        public ITargetConnector? Find(string systemId) => others.GetValueOrDefault(systemId) ?? sandbox.Find(systemId);
    }
}
