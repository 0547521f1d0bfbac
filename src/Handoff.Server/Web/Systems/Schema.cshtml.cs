using System.Diagnostics;
using Handoff.Core.Connectors;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>A target's object classes and attributes as its connector discovers them (the sandbox's
/// declared schema, an LDAP server's subschema, a custom extension's operations).</summary>
[Authorize(Policy = Capabilities.SystemsRead)]
public sealed class SchemaModel(HandoffRuntime runtime) : PageModel
{
    public string SystemId { get; private set; } = "";
    public string? SystemName { get; private set; }
    public TargetSchema? Schema { get; private set; }
    public string? Problem { get; private set; }
    public long ElapsedMs { get; private set; }

    public async Task<IActionResult> OnGetAsync(string system, CancellationToken ct)
    {
        SystemId = system;
        ITargetConnector? connector;
        try
        {
            var workspace = (await runtime.Workspace.LoadActiveAsync(ct)).Definition;
            SystemName = workspace.FindSystem(system)?.Name;
            connector = runtime.Connectors(workspace).Find(system);
        }
        catch (WorkspaceStateException e)
        {
            Problem = e.Message;
            return Page();
        }
        if (connector is null)
            return NotFound();
        var watch = Stopwatch.StartNew();
        try
        {
            Schema = await connector.DiscoverSchemaAsync(ct);
        }
        catch (Exception e) when (e is ConnectorException or TimeoutException or IOException or InvalidOperationException)
        {
            Problem = e.Message;
        }
        ElapsedMs = watch.ElapsedMilliseconds;
        return Page();
    }
}
