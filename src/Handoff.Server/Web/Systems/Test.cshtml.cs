using System.Diagnostics;
using System.Globalization;
using Handoff.Connectors.Csv;
using Handoff.Core.Audit;
using Handoff.Core.Connectors;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>POST only: "Test connection" for a target (its connector's TestAsync: reachability and
/// credentials) or, for a CSV source, whether its drop folder exists and what it holds. The result
/// (ok/failed, the message, the time it took) comes back as the Systems page's notice, and is audited
/// because it calls a real system with Handoff's credentials.</summary>
[Authorize(Policy = Capabilities.SystemsTest)]
public sealed class TestModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string System { get; set; } = "";

    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        WorkspaceDefinitionWithDirectory workspace;
        try
        {
            var active = await runtime.Workspace.LoadActiveAsync(ct);
            workspace = new(active.Definition, active.Directory);
        }
        catch (WorkspaceStateException e)
        {
            TempData["Error"] = e.Message;
            return Redirect("/Systems");
        }
        var system = workspace.Definition.FindSystem(System);
        if (system is null)
        {
            TempData["Error"] = $"no system '{System}' in the workspace";
            return Redirect("/Systems");
        }
        ConnectionCheck check;
        if (runtime.Connectors(workspace.Definition).Find(system.Id) is { } connector)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                check = await connector.TestAsync(ct);
            }
            catch (Exception e) when (e is ConnectorException or TimeoutException or IOException or InvalidOperationException)
            {
                check = new ConnectionCheck(false, e.Message, watch.Elapsed);
            }
        }
        else if (system.Connector == "csv")
        {
            check = DropFolder(system, workspace.Directory);
        }
        else
        {
            TempData["Error"] = $"{system.Id} ({system.Connector}) sends to Handoff; there is no connection to test";
            return Redirect($"/Systems#{system.Id}");
        }
        var ms = ((long)check.Elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        await using (var db = runtime.Database.CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await runtime.Audit.AppendAsync(db, new AuditDraft("user:" + User.Actor(), "system.tested", "system", system.Id,
                [new AuditFieldChange("result", null, check.Ok ? "ok" : "failed"), new AuditFieldChange("elapsed_ms", null, ms)], system.Id, null, runtime.Clock.GetUtcNow()), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        TempData[check.Ok ? "Message" : "Error"] = $"{system.Id}: {(check.Ok ? "ok" : "failed")} — {check.Message} ({ms} ms)";
        return Redirect($"/Systems#{system.Id}");
    }

    private static ConnectionCheck DropFolder(Core.Workspace.SystemDefinition system, string workspaceDirectory)
    {
        var watch = Stopwatch.StartNew();
        var options = CsvSourceOptions.FromSystem(system, workspaceDirectory);
        if (!Directory.Exists(options.Path))
            return new ConnectionCheck(false, $"the drop folder {options.Path} does not exist", watch.Elapsed);
        var files = Directory.GetFiles(options.Path, options.Pattern, SearchOption.TopDirectoryOnly);
        return new ConnectionCheck(true, $"the drop folder {options.Path} exists and holds {files.Length} file(s) matching {options.Pattern}", watch.Elapsed);
    }

    private sealed record WorkspaceDefinitionWithDirectory(Core.Workspace.WorkspaceDefinition Definition, string Directory);
}
