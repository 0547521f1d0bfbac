using System.Collections.Concurrent;
using Handoff.Connectors.Ldap;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data;
using Handoff.Data.Workspace;

namespace Handoff.Connectors;

/// <summary>Builds the target connectors of a workspace's systems: the sandbox twins and the real
/// LDAP / Active Directory connector, the SCIM client for SaaS apps, HTTP custom extensions and ticketing, and SMTP mail.</summary>
public static class TargetConnectors
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>LDAP connectors live as long as the process: the engine asks for the workspace's
    /// connectors once per run, and a connector's pooled connections should outlive the run. One
    /// per system and settings, so a changed config gets a new connector.</summary>
    private static readonly ConcurrentDictionary<(string System, LdapSettings Settings), LdapConnector> Directories = new();

    public static ITargetConnectorSource For(WorkspaceDefinition workspace, DatabaseOptions database, TimeProvider clock) =>
        new WorkspaceConnectors(workspace, new SandboxConnectors(workspace, database, clock), ct => WorkspaceStore.AppliedDirectoryAsync(database, ct), clock);

    /// <summary>The connector of a <c>connector: ldap</c> system (shared with every other caller for the same settings).</summary>
    public static LdapConnector Ldap(SystemDefinition system) =>
        Directories.GetOrAdd((system.Id, LdapSettings.From(system)), key => new LdapConnector(key.System, key.Settings));

    private sealed class WorkspaceConnectors : ITargetConnectorSource
    {
        private readonly SandboxConnectors _sandbox;
        private readonly Dictionary<string, ITargetConnector> _real;

        public WorkspaceConnectors(WorkspaceDefinition workspace, SandboxConnectors sandbox, Func<CancellationToken, Task<string?>> workspaceDirectory, TimeProvider clock)
        {
            _sandbox = sandbox;
            _real = workspace.Systems.Where(s => s.Connector == "ldap").ToDictionary(s => s.Id, ITargetConnector (s) => Ldap(s));
            foreach (var system in workspace.Systems.Where(s => s.Connector == "http"))
                _real[system.Id] = system.Kind == SystemKind.Ticketing ? new Http.HttpTicketingConnector(system, Http, clock) : new Http.HttpConnector(system, Http, clock);
            foreach (var system in workspace.Systems.Where(s => s.Connector == "smtp"))
                _real[system.Id] = new Mail.SmtpConnector(system, workspaceDirectory, clock);
            foreach (var system in workspace.Systems.Where(s => s.Connector == "scim-client"))
                _real[system.Id] = Scim.ScimClientConnector.For(system, Http);
        }

        public ITargetConnector? Find(string systemId) => _real.GetValueOrDefault(systemId) ?? _sandbox.Find(systemId);
    }
}
