using System.Text;
using Handoff.Core.Governance;
using Handoff.Data.Governance;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Processes;

/// <summary>One process: its steps with the cost figures, the handoffs, the diagram (Mermaid, drawn
/// in the browser from the text the server writes), and YAML / CSV downloads.</summary>
[Authorize(Policy = Capabilities.ProcessesRead)]
public sealed class ProcessModel(HandoffRuntime runtime) : PageModel
{
    public StoredProcessMap Stored { get; private set; } = null!;
    public ProcessCost Cost { get; private set; } = null!;
    public string Mermaid { get; private set; } = "";
    public bool CanEdit { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, string? format, CancellationToken ct)
    {
        var stored = await runtime.Processes.FindAsync(id, ct);
        if (stored is null)
            return NotFound();
        var settings = await runtime.Processes.SettingsAsync(ct);
        switch (format)
        {
            case "yaml":
                return File(Encoding.UTF8.GetBytes(stored.Row.Yaml), "application/yaml; charset=utf-8", $"{stored.Map.Id}.yaml");
            case "csv":
                return File(Encoding.UTF8.GetBytes(ProcessAuditYaml.StepsToCsv(stored.Map, settings)), "text/csv; charset=utf-8", $"{stored.Map.Id}-steps.csv");
            case null:
                break;
            default:
                return BadRequest($"format \"{format}\" is not known; use yaml or csv");
        }
        Stored = stored;
        Cost = ProcessAuditCost.Compute(stored.Map, settings);
        Mermaid = ProcessAuditDiagram.ToMermaid(stored.Map);
        CanEdit = User.HasCapability(Capabilities.ProcessesEdit);
        // Mermaid styles its SVG inline; scripts stay 'self' only (SecurityHeaders).
        HttpContext.Items[SecurityHeaders.InlineStylesItemKey] = true;
        return Page();
    }
}
