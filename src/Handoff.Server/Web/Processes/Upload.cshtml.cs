using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Processes;

/// <summary>Import or replace a process map: paste YAML or upload a file. Errors name the line and
/// column; nothing is stored then.</summary>
[Authorize(Policy = Capabilities.ProcessesEdit)]
public sealed class UploadModel(HandoffRuntime runtime) : PageModel
{
    /// <summary>Process maps are a page or two of YAML; anything much larger is not one.</summary>
    public const int MaxBytes = 256 * 1024;

    [BindProperty] public string? Yaml { get; set; }
    [BindProperty] public IFormFile? YamlFile { get; set; }
    public List<string> Errors { get; } = [];

    public async Task OnGetAsync(string? id, CancellationToken ct)
    {
        if (id is not null && await runtime.Processes.FindAsync(id, ct) is { } stored)
            Yaml = stored.Row.Yaml;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var name = "process.yaml";
        var text = Yaml;
        if (YamlFile is { Length: > 0 } file)
        {
            if (file.Length > MaxBytes)
            {
                Errors.Add($"{file.FileName}: {file.Length:N0} bytes is more than a process map needs (at most {MaxBytes:N0})");
                return Page();
            }
            name = Path.GetFileName(file.FileName);
            using var reader = new StreamReader(file.OpenReadStream());
            text = await reader.ReadToEndAsync(ct);
        }
        if (string.IsNullOrWhiteSpace(text))
        {
            Errors.Add("paste the YAML of a process map or choose a file");
            return Page();
        }
        try
        {
            var report = await runtime.Processes.SaveAsync(text, name, User.Actor(), ct);
            TempData["Message"] = report.Changed
                ? $"{report.Id} {(report.Created ? "imported" : "updated")} (v{report.Version})."
                : $"{report.Id} is unchanged (v{report.Version}).";
            return Redirect($"/Processes/Process/{report.Id}");
        }
        catch (WorkspaceValidationException e)
        {
            Errors.AddRange(e.Errors.Select(x => x.ToString()));
        }
        Yaml = text;
        return Page();
    }
}
