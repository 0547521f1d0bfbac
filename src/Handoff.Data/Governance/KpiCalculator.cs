using System.Text.Json;
using Handoff.Core.Governance;
using Handoff.Data.Audit;
using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Governance;

/// <summary>The figures behind one KPI value, so a number on a page can be explained.</summary>
public sealed record KpiValue(string Kpi, decimal? Value, string Basis);

/// <summary>
/// Computes the six built-in KPIs for a window [from, to) from the rows the platform already keeps
/// (runs, human tasks, staged writes, review items, quarantine, findings, the audit log and the
/// process maps); nothing is estimated that is not in the database. The formulas are in docs/governance.md.
/// A <c>workflowId</c> narrows the run-based parts (hours from its human tasks and staged writes,
/// failure rate) to that workflow; the other KPIs are workspace-wide by nature.
/// </summary>
public sealed class KpiCalculator(DatabaseOptions database, AuditLog audit)
{
    /// <summary>Audit actions that are security incidents: writes the guard blocked and refused permissions.</summary>
    public static bool IsSecurityIncident(string action) =>
        action == "workflow.write_blocked" || action.EndsWith(".denied", StringComparison.Ordinal)
        || action.EndsWith(".refused", StringComparison.Ordinal) || action.Contains("security_incident", StringComparison.Ordinal);

    public async Task<IReadOnlyList<KpiValue>> ComputeAsync(DateTimeOffset from, DateTimeOffset to, string? workflowId, CancellationToken ct)
    {
        if (to <= from)
            throw new ArgumentException($"the KPI window [{from:O}, {to:O}) is empty", nameof(to));
        await using var db = database.CreateContext();

        // Person writes: by a user (a manual correction) or by the platform (an automated write of N fields).
        var personWrites = await db.AuditEntries.AsNoTracking()
            .Where(e => e.ObjectType == "person" && (e.Action == "person.created" || e.Action == "person.changed") && e.At >= from && e.At < to)
            .Select(e => new { e.Actor, e.FieldsJson }).ToListAsync(ct);
        var corrections = personWrites.Count(w => w.Actor.StartsWith("user:", StringComparison.Ordinal));
        var automatedFieldWrites = personWrites.Where(w => !w.Actor.StartsWith("user:", StringComparison.Ordinal)).Sum(w => FieldCount(w.FieldsJson));

        var tasks = db.HumanTasks.AsNoTracking().Where(t => t.DecidedAt != null && t.DecidedAt >= from && t.DecidedAt < to);
        var staged = db.StagedWrites.AsNoTracking().Where(s => s.DecidedAt != null && s.DecidedAt >= from && s.DecidedAt < to);
        if (workflowId is not null)
        {
            tasks = tasks.Where(t => t.WorkflowId == workflowId);
            staged = staged.Where(s => db.Runs.Any(r => r.Id == s.RunId && r.WorkflowId == workflowId));
        }
        var approvals = await tasks.CountAsync(ct);
        var manualFixes = await staged.CountAsync(ct);
        var reviewsResolved = await db.ReviewItems.AsNoTracking().CountAsync(r => r.ResolvedAt != null && r.ResolvedAt >= from && r.ResolvedAt < to, ct);
        var quarantineResolved = await db.Quarantine.AsNoTracking().CountAsync(q => q.ClosedAt != null && q.ClosedAt >= from && q.ClosedAt < to, ct);
        var maps = (await db.ProcessMaps.AsNoTracking().Select(p => p.Yaml).ToListAsync(ct))
            .Select(y => ProcessAuditYaml.Load(y, "stored process").Map).OfType<ProcessMap>().ToList();
        var minutes = Kpis.MinutesPerIntervention(maps);
        var interventions = approvals + manualFixes + reviewsResolved + quarantineResolved + corrections;
        var hours = maps.Count == 0 ? (decimal?)null : Kpis.HoursPerWeek(interventions * minutes, from, to);

        var quarantined = await db.Quarantine.AsNoTracking().CountAsync(q => q.CreatedAt >= from && q.CreatedAt < to, ct);
        var conflicts = await db.Findings.AsNoTracking().CountAsync(f => f.Kind == "conflict" && f.FirstSeen >= from && f.FirstSeen < to, ct);
        var errors = quarantined + conflicts + corrections;

        var dayOne = await ObservedAsync(db, Kpis.DayOneTickets, from, to, ct);
        var (dayOneTickets, dayOneTagged) = await DayOneTicketsAsync(db, from, to, workflowId, ct);

        var runs = db.Runs.AsNoTracking().Where(r => r.FinishedAt != null && r.FinishedAt >= from && r.FinishedAt < to
            && (r.Status == RunStatus.Completed || r.Status == RunStatus.CompletedWithErrors || r.Status == RunStatus.Failed));
        if (workflowId is not null)
            runs = runs.Where(r => r.WorkflowId == workflowId);
        var finished = await runs.CountAsync(ct);
        var failed = await runs.CountAsync(r => r.Status == RunStatus.Failed, ct);

        var actions = await db.AuditEntries.AsNoTracking().Where(e => e.At >= from && e.At < to).Select(e => e.Action).Distinct().ToListAsync(ct);
        var incidentActions = actions.Where(IsSecurityIncident).ToList();
        var flagged = incidentActions.Count == 0 ? 0 : await db.AuditEntries.AsNoTracking().CountAsync(e => e.At >= from && e.At < to && incidentActions.Contains(e.Action), ct);
        var recorded = await ObservedAsync(db, Kpis.SecurityIncidents, from, to, ct);

        var completeness = await audit.CompletenessAsync(from, to, ct);

        return
        [
            new(Kpis.HrHoursPerWeek, hours, maps.Count == 0 ? "no process map: import one (handoff process import) to price an intervention"
                : $"{interventions} interventions ({approvals} approvals, {reviewsResolved} review items, {manualFixes} staged writes, {quarantineResolved} quarantine rows, {corrections} corrections) × {Math.Round(minutes, 2)} min"),
            new(Kpis.DataErrorRate, Kpis.Rate(errors, automatedFieldWrites), $"({quarantined} quarantined + {conflicts} conflicts + {corrections} corrections) / {automatedFieldWrites} automated field writes"),
            new(Kpis.DayOneTickets, dayOne.Count == 0 && !dayOneTagged ? null : dayOne.Sum + dayOneTickets,
                $"{dayOneTickets} tickets created by runs with category day_one + {dayOne.Sum} entered ({dayOne.Count} observations)"),
            new(Kpis.AutomationFailureRate, Kpis.Rate(failed, finished), $"{failed} failed / {finished} finished runs"),
            new(Kpis.SecurityIncidents, flagged + (recorded.Count == 0 ? 0m : recorded.Sum), $"{flagged} flagged audit entries + {recorded.Sum} recorded incidents"),
            new(Kpis.AuditCompleteness, completeness.Expected == 0 ? null : (decimal)completeness.Logged / completeness.Expected, $"{completeness.Logged} of {completeness.Expected} expected entries"),
        ];
    }

    /// <summary>The ticket steps that ran with <c>category: day_one</c>.</summary>
    public const string DayOneCategory = "day_one";

    /// <summary>Tickets a workflow opened with <c>category: day_one</c> (a ticketing step that completed
    /// and got a ticket id) in the window, and whether any such step ever ran — without one, and without an
    /// observation, the KPI has no source and stays "—" rather than claiming 0 tickets.</summary>
    private static async Task<(int Count, bool Tagged)> DayOneTicketsAsync(HandoffDbContext db, DateTimeOffset from, DateTimeOffset to, string? workflowId, CancellationToken ct)
    {
        var tagged = db.RunSteps.AsNoTracking().Where(s => s.Uses == "ticketing.create_ticket" && s.InputsJson.Contains(DayOneCategory));
        if (!await tagged.AnyAsync(ct))
            return (0, false);
        var window = tagged.Where(s => s.Status == "completed" && s.FinishedAt >= from && s.FinishedAt < to);
        if (workflowId is not null)
            window = window.Where(s => db.Runs.Any(r => r.Id == s.RunId && r.WorkflowId == workflowId));
        // The text match only narrows the rows; the category itself is read from the JSON.
        var rows = await window.Select(s => new { s.InputsJson, s.OutputsJson }).ToListAsync(ct);
        return (rows.Count(r => Property(r.InputsJson, "category") == DayOneCategory && Property(r.OutputsJson, "ticket") is { Length: > 0 }), true);
    }

    private static string? Property(string json, string name)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;
    }

    private static async Task<(int Count, decimal Sum)> ObservedAsync(HandoffDbContext db, string kpi, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var values = await db.KpiSnapshots.AsNoTracking()
            .Where(s => s.Kpi == kpi && s.Checkpoint == KpiSnapshotRow.Observation && s.At >= from && s.At < to).Select(s => s.Value).ToListAsync(ct);
        return (values.Count, values.Sum());
    }

    private static int FieldCount(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.GetArrayLength() : 0;
    }
}
