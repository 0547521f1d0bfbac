using Handoff.Core.Connectors;
using Handoff.Data.Sources;
using Handoff.Data.Systems;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>Each connected system with its status: last sync and quarantine for a source, the error
/// rate of the run steps that wrote to it over 24 hours for a target, and the actions the user may take.</summary>
[Authorize(Policy = Capabilities.SystemsRead)]
public sealed class SystemsIndexModel(HandoffRuntime runtime) : PageModel
{
    public IReadOnlyList<SystemStatus> Systems { get; private set; } = [];
    public IReadOnlyDictionary<string, TargetWrites> Writes24h { get; private set; } = new Dictionary<string, TargetWrites>();
    /// <summary>Systems the engine writes to (a target connector exists for them).</summary>
    public IReadOnlySet<string> Targets { get; private set; } = new HashSet<string>();
    public bool CanSync { get; private set; }
    public bool CanTest { get; private set; }
    /// <summary>Open system findings (drift, health, quarantine) by system, newest first.</summary>
    public ILookup<string, SystemFindingRow> Findings { get; private set; } = Array.Empty<SystemFindingRow>().ToLookup(f => f.System);
    /// <summary>Quarantined systems with their reason.</summary>
    public IReadOnlyDictionary<string, SystemStateRow> Quarantined { get; private set; } = new Dictionary<string, SystemStateRow>();

    public async Task OnGetAsync(CancellationToken ct)
    {
        Systems = await new SourceOverview(runtime.Database).SystemsAsync(ct);
        Writes24h = await new SystemHealth(runtime.Database).WritesSinceAsync(runtime.Clock.GetUtcNow().AddHours(-24), ct);
        Targets = await TargetsAsync(runtime, ct);
        CanSync = User.HasCapability(Capabilities.SystemsSync);
        CanTest = User.HasCapability(Capabilities.SystemsTest);
        var (monitor, quarantine, _) = Cli.DriftServices.For(runtime);
        Findings = (await monitor.OpenAsync(null, ct)).ToLookup(f => f.System);
        Quarantined = (await quarantine.QuarantinedAsync(ct)).ToDictionary(q => q.System);
    }

    public static async Task<IReadOnlySet<string>> TargetsAsync(HandoffRuntime runtime, CancellationToken ct)
    {
        try
        {
            var workspace = (await runtime.Workspace.LoadActiveAsync(ct)).Definition;
            var connectors = runtime.Connectors(workspace);
            return workspace.Systems.Where(s => connectors.Find(s.Id) is not null).Select(s => s.Id).ToHashSet();
        }
        catch (Data.Workspace.WorkspaceStateException)
        {
            return new HashSet<string>();
        }
    }

    /// <summary>A target's connector, or null (a source, or unknown).</summary>
    public static async Task<ITargetConnector?> ConnectorAsync(HandoffRuntime runtime, string system, CancellationToken ct)
    {
        var workspace = (await runtime.Workspace.LoadActiveAsync(ct)).Definition;
        return runtime.Connectors(workspace).Find(system);
    }
}
