using Handoff.Data;
using Handoff.Data.Reconciliation;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Systems;

/// <summary>One drift field of an item as the page shows it (the item's <c>drift_json</c>).</summary>
public sealed record DriftField(string Field, string Native, string? Expected, string? Actual, string Strength);

/// <summary>
/// A target's reconciliation reports (newest first) and one report's items by class, filtered by class,
/// repair status and account — what <c>handoff reconcile --list/--show</c> prints. Starting a run is the
/// POST-only <see cref="ReconciliationRunModel"/>, which needs <c>systems.reconcile</c>.
/// </summary>
[Authorize(Policy = Capabilities.SystemsRead)]
public sealed class ReconciliationModel(HandoffRuntime runtime) : PageModel
{
    /// <summary>Items shown at most, after filtering (a report of a broken target can hold 100,000).</summary>
    public const int MaxItems = 500;

    public string SystemId { get; private set; } = "";
    public string? SystemName { get; private set; }
    public IReadOnlyList<ReconciliationReportRow> Reports { get; private set; } = [];
    public ReconciliationReportRow? Report { get; private set; }
    public IReadOnlyList<ReconciliationItemRow> Items { get; private set; } = [];
    public int Matching { get; private set; }
    public IReadOnlyDictionary<string, int> ByClass { get; private set; } = new Dictionary<string, int>();
    public bool CanRun { get; private set; }
    public string? Problem { get; private set; }

    [BindProperty(SupportsGet = true, Name = "report")] public string? ReportId { get; set; }
    [BindProperty(SupportsGet = true, Name = "class")] public string? Class { get; set; }
    [BindProperty(SupportsGet = true, Name = "repair")] public string? Repair { get; set; }
    [BindProperty(SupportsGet = true, Name = "q")] public string? Query { get; set; }

    public static string[] Classes { get; } = ["in_sync", "drifted", "orphan", "unmanaged", "missing"];

    public static IReadOnlyList<string> RepairStatuses { get; } =
        [RepairStatus.Repaired, RepairStatus.AlreadyApplied, RepairStatus.Pending, RepairStatus.WouldRepair, RepairStatus.Held, RepairStatus.Failed, RepairStatus.Interrupted, RepairStatus.Relinked];

    public async Task<IActionResult> OnGetAsync(string system, CancellationToken ct)
    {
        SystemId = system;
        CanRun = User.HasCapability(Capabilities.SystemsReconcile);
        try
        {
            var workspace = (await runtime.Workspace.LoadActiveAsync(ct)).Definition;
            var definition = workspace.FindSystem(system);
            if (definition is null || !Handoff.Data.Reconciliation.Reconciler.Reconcilable(workspace).Contains(definition))
                return NotFound();
            SystemName = definition.Name;
        }
        catch (WorkspaceStateException e)
        {
            Problem = e.Message;
            return Page();
        }
        var reconciler = ReconcilerFor(runtime);
        Reports = await reconciler.ListAsync(system, 50, ct);
        ReconciliationDetail? detail = null;
        try
        {
            if (ReportId is { Length: > 0 } id)
                detail = await reconciler.GetAsync(id, ct);
            else if (Reports.Count > 0)
                detail = await reconciler.GetAsync(Reports[0].Id.ToString(), ct);
        }
        catch (ReconcileException e)
        {
            Problem = e.Message;
        }
        if (detail is not null && detail.Report.System != system)
        {
            Problem = $"report {ReportId} is of {detail.Report.System}, not {system}";
            detail = null;
        }
        if (detail is null)
            return Page();
        Report = detail.Report;
        ByClass = detail.Items.GroupBy(i => i.Class).ToDictionary(g => g.Key, g => g.Count());
        var items = detail.Items.AsEnumerable();
        if (Class is { Length: > 0 } c)
            items = items.Where(i => i.Class == c);
        if (Repair is { Length: > 0 } r)
            items = r == "none" ? items.Where(i => i.Repair is null) : items.Where(i => i.Repair == r);
        if (Query is { Length: > 0 } q)
        {
            items = items.Where(i => (i.NativeId ?? "").Contains(q, StringComparison.OrdinalIgnoreCase) || (i.Username ?? "").Contains(q, StringComparison.OrdinalIgnoreCase)
                || (i.PersonId?.ToString() ?? "").Contains(q, StringComparison.OrdinalIgnoreCase));
        }
        var matching = items.OrderBy(i => Array.IndexOf(Classes, i.Class)).ThenBy(i => i.NativeId, StringComparer.Ordinal).ToList();
        Matching = matching.Count;
        Items = [.. matching.Take(MaxItems)];
        return Page();
    }

    public static IReadOnlyList<DriftField> Drift(ReconciliationItemRow item) => JsonDefaults.Deserialize<List<DriftField>>(item.DriftJson);

    public string Link(string? report = null, string? cls = null, string? repair = null) =>
        $"/Systems/{Uri.EscapeDataString(SystemId)}/Reconciliation?report={(report ?? Report?.Id.ToString("N"))}" + (cls is null ? "" : "&class=" + cls) + (repair is null ? "" : "&repair=" + repair);

    internal static Reconciler ReconcilerFor(HandoffRuntime runtime) => runtime.NewReconciler();
}
