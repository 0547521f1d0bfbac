using Handoff.Data.Workflows;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Runs;

/// <summary>Run history with filters (status, workflow, person, day) and the CSV export.</summary>
[Authorize(Policy = Capabilities.RunsRead)]
public sealed class RunsIndexModel(HandoffRuntime runtime) : PageModel
{
    public static readonly string[] Statuses = [RunStatus.Queued, RunStatus.Running, RunStatus.Waiting, RunStatus.Completed, RunStatus.CompletedWithErrors, RunStatus.Failed, RunStatus.Canceled];

    public IReadOnlyList<RunRow> Runs { get; private set; } = [];
    public IReadOnlyDictionary<Guid, string> Names { get; private set; } = new Dictionary<Guid, string>();
    public IReadOnlyList<string> WorkflowIds { get; private set; } = [];
    public string? Status { get; private set; }
    public string? Workflow { get; private set; }
    public Guid? Person { get; private set; }
    public string? Date { get; private set; }
    public string? Problem { get; private set; }
    public bool CanExport { get; private set; }
    public string ExportUrl { get; private set; } = "/api/runs/export";

    public async Task OnGetAsync(string? status, string? workflow, Guid? person, string? date, CancellationToken ct)
    {
        (Status, Workflow, Person, Date) = (status, workflow, person, date);
        WorkflowIds = (await runtime.Workflows.ListAsync(ct)).Select(v => v.WorkflowId).Distinct().ToList();
        try
        {
            var query = RunFilters.Query(status, workflow, person, date, 500);
            Runs = RunFilters.OnDay(await runtime.Engine.ListRunsAsync(query, ct), query, date);
        }
        catch (FormatException e)
        {
            Problem = e.Message;
        }
        Names = await new WorkflowOverview(runtime.Database).PersonNamesAsync(Runs.Select(r => r.PersonId), ct);
        CanExport = User.HasCapability(Capabilities.RunsExport);
        var args = new[] { ("status", status), ("workflow", workflow), ("date", date) }.Where(a => !string.IsNullOrWhiteSpace(a.Item2))
            .Select(a => $"{a.Item1}={Uri.EscapeDataString(a.Item2!)}").ToList();
        ExportUrl = "/api/runs/export" + (args.Count > 0 ? "?" + string.Join("&", args) : "");
    }
}
