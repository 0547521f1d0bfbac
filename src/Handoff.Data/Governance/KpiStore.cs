using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Governance;
using Handoff.Data.Audit;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Governance;

/// <summary>
/// A KPI figure kept for good: a frozen 30/60/90-day actual after a go-live, an entered baseline, or a
/// manual observation (day-one tickets counted by the service desk, a recorded incident, a custom KPI's
/// reading). <see cref="Scope"/> is <c>workspace</c> or <c>workflow:ID</c>.
/// </summary>
public sealed class KpiSnapshotRow
{
    public const string Observation = "observation";
    public const string Baseline = "baseline";
    public const string WorkspaceScope = "workspace";

    public long Id { get; set; }
    public string Kpi { get; set; } = "";
    public string Scope { get; set; } = WorkspaceScope;
    /// <summary><c>30</c>, <c>60</c>, <c>90</c>, <see cref="Baseline"/> or <see cref="Observation"/>.</summary>
    public string Checkpoint { get; set; } = "";
    /// <summary>The day the figure is for: the checkpoint's end, or the observation's date.</summary>
    public DateTimeOffset At { get; set; }
    public decimal Value { get; set; }
    public string? Note { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
    public string ComputedBy { get; set; } = "";
}

/// <summary>One KPI as the page, the dashboard and the CLI show it.</summary>
public sealed record KpiOverview(KpiDefinition Kpi, decimal? Baseline, string BaselineSource, IReadOnlyDictionary<int, decimal?> Checkpoints,
    decimal? Current, KpiStatus Status, IReadOnlyList<(DateOnly Month, decimal? Value)> Trend);

/// <summary>
/// Baselines, targets, the frozen 30/60/90-day snapshots and custom KPIs (kept as a workspace document,
/// so adding one needs no schema change). Every write is audited in the same transaction.
/// </summary>
public sealed class KpiStore(DatabaseOptions database, TimeProvider clock, AuditLog audit, KpiCalculator calculator)
{
    /// <summary>The workspace document holding custom KPI definitions (JSON).</summary>
    public const string CustomDocument = "governance.kpi.custom";

    public async Task<IReadOnlyList<KpiDefinition>> DefinitionsAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return [.. Kpis.BuiltIn, .. await CustomAsync(db, ct)];
    }

    public async Task<KpiDefinition?> FindAsync(string id, CancellationToken ct) => (await DefinitionsAsync(ct)).FirstOrDefault(k => k.Id == id);

    private static async Task<List<KpiDefinition>> CustomAsync(HandoffDbContext db, CancellationToken ct)
    {
        var json = await db.WorkspaceDocuments.AsNoTracking().Where(d => d.Key == CustomDocument).Select(d => d.Content).FirstOrDefaultAsync(ct);
        return json is null ? [] : JsonDefaults.Deserialize<List<KpiDefinition>>(json);
    }

    /// <summary>Adds a custom KPI judged on manual observations.</summary>
    /// <exception cref="ArgumentException">A bad id, an empty name or unit, or an id already taken.</exception>
    public async Task<KpiDefinition> AddCustomAsync(string id, string name, string unit, KpiDirection direction, KpiTarget target, string actor, CancellationToken ct)
    {
        if (!Kpis.IsValidId(id))
            throw new ArgumentException($"KPI id \"{id}\": use 2–60 lower-case letters, digits and underscores, starting with a letter", nameof(id));
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(unit))
            throw new ArgumentException($"KPI {id}: a name and a unit are required", nameof(name));
        var kpi = new KpiDefinition(id, name.Trim(), unit.Trim(), direction, target, Custom: true);
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var custom = await CustomAsync(db, ct);
        if (Kpis.Find(id) is not null || custom.Any(c => c.Id == id))
            throw new ArgumentException($"KPI {id} already exists", nameof(id));
        custom.Add(kpi);
        var doc = await db.WorkspaceDocuments.FindAsync([CustomDocument], ct);
        if (doc is null)
            db.WorkspaceDocuments.Add(doc = new WorkspaceDocumentRow { Key = CustomDocument });
        doc.Content = JsonDefaults.Serialize(custom);
        doc.UpdatedAt = now;
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "kpi.custom_added", "kpi", id,
            [new("name", null, kpi.Name), new("unit", null, kpi.Unit), new("target", null, target.ToString())], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return kpi;
    }

    /// <summary>Records a manual observation (or, with <paramref name="baseline"/>, an entered baseline) for a KPI.</summary>
    /// <exception cref="ArgumentException">Unknown KPI, a negative value, or an observation of a KPI that is computed from data.</exception>
    public async Task<KpiSnapshotRow> ObserveAsync(string kpiId, decimal value, DateOnly date, string? note, string actor, CancellationToken ct, bool baseline = false)
    {
        var kpi = await FindAsync(kpiId, ct) ?? throw new ArgumentException($"KPI {kpiId} does not exist (handoff kpi list)", nameof(kpiId));
        if (value < 0m)
            throw new ArgumentException($"KPI {kpiId}: value {value.ToString(CultureInfo.InvariantCulture)} is negative", nameof(value));
        string[] observable = [Kpis.DayOneTickets, Kpis.SecurityIncidents];
        if (!baseline && !kpi.Custom && !observable.Contains(kpi.Id))
            throw new ArgumentException($"KPI {kpiId} is computed from the database; only day_one_tickets, security_incidents and custom KPIs take observations (or set a baseline)", nameof(kpiId));
        var now = clock.GetUtcNow();
        var row = new KpiSnapshotRow
        {
            Kpi = kpi.Id,
            Checkpoint = baseline ? KpiSnapshotRow.Baseline : KpiSnapshotRow.Observation,
            At = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
            Value = value,
            Note = note,
            ComputedAt = now,
            ComputedBy = actor,
        };
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.KpiSnapshots.Add(row);
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", baseline ? "kpi.baseline_set" : "kpi.observed", "kpi", kpi.Id,
            [new("value", null, value.ToString(CultureInfo.InvariantCulture)), new("date", null, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>
    /// Freezes every 30/60/90-day checkpoint that has been reached and not yet stored, for the workspace
    /// (from the first activation of any workflow) and for each workflow (from its first activation).
    /// A stored checkpoint is never recomputed, so a 90-day figure stays what it was on day 90.
    /// </summary>
    public async Task<IReadOnlyList<KpiSnapshotRow>> SnapshotAsync(string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        var goLives = (await db.WorkflowVersions.AsNoTracking().Where(v => v.ActivatedAt != null)
            .Select(v => new { v.WorkflowId, v.ActivatedAt }).ToListAsync(ct))
            .GroupBy(v => v.WorkflowId).Select(g => (Scope: "workflow:" + g.Key, Workflow: (string?)g.Key, GoLive: g.Min(v => v.ActivatedAt!.Value))).ToList();
        if (goLives.Count > 0)
            goLives.Insert(0, (KpiSnapshotRow.WorkspaceScope, null, goLives.Min(g => g.GoLive)));
        var existing = (await db.KpiSnapshots.AsNoTracking().Where(s => s.Checkpoint != KpiSnapshotRow.Observation && s.Checkpoint != KpiSnapshotRow.Baseline)
            .Select(s => new { s.Kpi, s.Scope, s.Checkpoint }).ToListAsync(ct)).Select(s => (s.Kpi, s.Scope, s.Checkpoint)).ToHashSet();
        var added = new List<KpiSnapshotRow>();
        foreach (var (scope, workflow, goLive) in goLives)
        {
            foreach (var days in KpiCheckpoints.Days)
            {
                var end = goLive.AddDays(days);
                var checkpoint = days.ToString(CultureInfo.InvariantCulture);
                if (end > now || Kpis.BuiltIn.All(k => existing.Contains((k.Id, scope, checkpoint))))
                    continue;
                // The window is the 30 days up to the checkpoint, so 30/60/90 compare like with like.
                foreach (var v in await calculator.ComputeAsync(end.AddDays(-30), end, workflow, ct))
                {
                    if (v.Value is null || existing.Contains((v.Kpi, scope, checkpoint)))
                        continue;
                    added.Add(new KpiSnapshotRow { Kpi = v.Kpi, Scope = scope, Checkpoint = checkpoint, At = end, Value = Math.Round(v.Value.Value, 6), Note = v.Basis, ComputedAt = now, ComputedBy = actor });
                }
            }
        }
        if (added.Count == 0)
            return added;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.KpiSnapshots.AddRange(added);
        await audit.AppendAsync(db, added.GroupBy(a => (a.Scope, a.Checkpoint)).Select(g => new AuditDraft(actor.Contains(':', StringComparison.Ordinal) ? actor : $"user:{actor}",
            "kpi.snapshot", "kpi_snapshot", $"{g.Key.Scope}/{g.Key.Checkpoint}",
            [.. g.Select(a => new AuditFieldChange(a.Kpi, null, a.Value.ToString(CultureInfo.InvariantCulture)))], null, null, now)), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return added;
    }

    /// <summary>The baseline of a KPI: the latest entered one, else (HR hours) the process audit's cost model.</summary>
    public async Task<(decimal? Value, string Source)> BaselineAsync(string kpiId, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var entered = await db.KpiSnapshots.AsNoTracking().Where(s => s.Kpi == kpiId && s.Checkpoint == KpiSnapshotRow.Baseline)
            .OrderByDescending(s => s.Id).Select(s => (decimal?)s.Value).FirstOrDefaultAsync(ct);
        if (entered is not null)
            return (entered, "entered");
        if (kpiId != Kpis.HrHoursPerWeek)
            return (null, "none");
        var rateText = await db.WorkspaceDocuments.AsNoTracking().Where(d => d.Key == ProcessAuditStore.RateDocument).Select(d => d.Content).FirstOrDefaultAsync(ct);
        var settings = rateText is not null && decimal.TryParse(rateText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) ? new ProcessCostSettings(rate) : ProcessCostSettings.Default;
        var maps = (await db.ProcessMaps.AsNoTracking().Select(p => p.Yaml).ToListAsync(ct)).Select(y => ProcessAuditYaml.Load(y, "stored process").Map).OfType<ProcessMap>().ToList();
        return maps.Count == 0 ? (null, "none") : (Math.Round(Kpis.BaselineHoursPerWeek(maps.Select(m => ProcessAuditCost.Compute(m, settings))), 2), "process audit");
    }

    /// <summary>Every KPI with its baseline, workspace 30/60/90 actuals, the last 30 days and a monthly trend (0 months: none, for the dashboard).</summary>
    public async Task<IReadOnlyList<KpiOverview>> OverviewAsync(CancellationToken ct, int trendMonths = 6)
    {
        var now = clock.GetUtcNow();
        var definitions = await DefinitionsAsync(ct);
        List<KpiSnapshotRow> rows;
        await using (var db = database.CreateContext())
            rows = await db.KpiSnapshots.AsNoTracking().ToListAsync(ct);
        var current = (await calculator.ComputeAsync(now.AddDays(-30), now, null, ct)).ToDictionary(v => v.Kpi, v => v.Value);
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var trend = new List<(DateOnly Month, IReadOnlyList<KpiValue> Values)>();
        for (var i = trendMonths - 1; i >= 0; i--)
        {
            var m = monthStart.AddMonths(-i);
            trend.Add((DateOnly.FromDateTime(m.UtcDateTime), await calculator.ComputeAsync(m, i == 0 ? now.AddTicks(1) : m.AddMonths(1), null, ct)));
        }
        var result = new List<KpiOverview>();
        foreach (var kpi in definitions)
        {
            var (baseline, source) = await BaselineAsync(kpi.Id, ct);
            var checkpoints = KpiCheckpoints.Days.ToDictionary(d => d, d => rows.Where(r => r.Kpi == kpi.Id && r.Scope == KpiSnapshotRow.WorkspaceScope && r.Checkpoint == d.ToString(CultureInfo.InvariantCulture)).Select(r => (decimal?)r.Value).FirstOrDefault());
            var observations = rows.Where(r => r.Kpi == kpi.Id && r.Checkpoint == KpiSnapshotRow.Observation).ToList();
            var value = kpi.Custom ? observations.OrderByDescending(o => o.At).Select(o => (decimal?)o.Value).FirstOrDefault() : current.GetValueOrDefault(kpi.Id);
            var series = kpi.Custom
                ? trend.Select(t => (t.Month, observations.Where(o => DateOnly.FromDateTime(o.At.UtcDateTime) >= t.Month && DateOnly.FromDateTime(o.At.UtcDateTime) < t.Month.AddMonths(1)).Select(o => (decimal?)o.Value).LastOrDefault())).ToList()
                : trend.Select(t => (t.Month, t.Values.First(v => v.Kpi == kpi.Id).Value)).ToList();
            // The status judges the latest frozen checkpoint; before day 30 it judges the last 30 days.
            var judged = checkpoints.OrderByDescending(c => c.Key).Select(c => c.Value).FirstOrDefault(v => v is not null) ?? value;
            result.Add(new KpiOverview(kpi, baseline, source, checkpoints, value, Kpis.Evaluate(kpi.Target, judged, baseline), series));
        }
        return result;
    }
}
