using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Governance;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Governance;

/// <summary>A stored process map: its normalised YAML (the source of truth, so export gives back what
/// was imported), a version counter bumped on every change, and who changed it last.</summary>
public sealed class ProcessMapRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Yaml { get; set; } = "";
    public int Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

/// <summary>What saving a process map did.</summary>
public sealed record ProcessSaveReport(string Id, int Version, bool Created, bool Changed);

/// <summary>A stored map, parsed.</summary>
public sealed record StoredProcessMap(ProcessMapRow Row, ProcessMap Map);

/// <summary>
/// Stores the process audit: process maps (checked with <see cref="ProcessAuditYaml"/>, nothing is
/// stored when any error is found) and the hourly rate of the cost model. Every change is an audit
/// entry in the same transaction. Accepted field-match suggestions become dictionary proposals
/// through <see cref="WorkspaceStore.ProposeAsync"/>, so they still need the HR and IT sign-off.
/// </summary>
public sealed class ProcessAuditStore(DatabaseOptions database, TimeProvider clock, AuditLog audit, WorkspaceStore workspace)
{
    /// <summary>The workspace setting that holds the rate (invariant decimal text).</summary>
    public const string RateDocument = "governance.hourly_rate";

    /// <summary>Above this an "hourly rate" is a typo (a yearly salary typed in the wrong box).</summary>
    public const decimal MaxHourlyRate = 10_000m;

    /// <summary>Imports or replaces a map from YAML. The same content again changes nothing.</summary>
    /// <exception cref="WorkspaceValidationException">The YAML has errors (each with file:line:column).</exception>
    public async Task<ProcessSaveReport> SaveAsync(string yaml, string fileName, string actor, CancellationToken ct)
    {
        var loaded = ProcessAuditYaml.Load(yaml, fileName);
        if (!loaded.Succeeded)
            throw new WorkspaceValidationException(loaded.Errors);
        var map = loaded.Map!;
        var normalized = ProcessAuditYaml.ToYaml(map);
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.ProcessMaps.SingleOrDefaultAsync(p => p.Id == map.Id, ct);
        var created = row is null;
        if (row is not null && row.Yaml == normalized)
            return new ProcessSaveReport(map.Id, row.Version, false, false);
        if (row is null)
            db.ProcessMaps.Add(row = new ProcessMapRow { Id = map.Id });
        var before = created ? null : ProcessAuditYaml.Load(row.Yaml, row.Id).Map;
        row.Name = map.Name;
        row.Yaml = normalized;
        row.Version++;
        row.UpdatedAt = now;
        row.UpdatedBy = actor;
        var cost = ProcessAuditCost.Compute(map, await RateAsync(db, ct));
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", created ? "process.imported" : "process.updated", "process", map.Id,
        [
            new("version", created ? null : (row.Version - 1).ToString(CultureInfo.InvariantCulture), row.Version.ToString(CultureInfo.InvariantCulture)),
            new("steps", before?.Steps.Count.ToString(CultureInfo.InvariantCulture), map.Steps.Count.ToString(CultureInfo.InvariantCulture)),
            new("manual_hours_per_year", before is null ? null : Hours(ProcessAuditCost.Compute(before, cost.Settings)), Hours(cost)),
        ], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new ProcessSaveReport(map.Id, row.Version, created, true);
    }

    private static string Hours(ProcessCost cost) => ProcessAuditYaml.Format(Math.Round(cost.ManualHoursPerYear, 2));

    public async Task<IReadOnlyList<StoredProcessMap>> ListAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var rows = await db.ProcessMaps.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct);
        return [.. rows.Select(Parse)];
    }

    public async Task<StoredProcessMap?> FindAsync(string id, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var row = await db.ProcessMaps.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, ct);
        return row is null ? null : Parse(row);
    }

    /// <summary>Removes a map (audited). Returns false when there was none.</summary>
    public async Task<bool> DeleteAsync(string id, string actor, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.ProcessMaps.SingleOrDefaultAsync(p => p.Id == id, ct);
        if (row is null)
            return false;
        db.ProcessMaps.Remove(row);
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "process.deleted", "process", id,
            [new("version", row.Version.ToString(CultureInfo.InvariantCulture), null)], null, null, clock.GetUtcNow()), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    // A stored map was checked when saved; a map that no longer parses is a bug worth a loud error.
    private static StoredProcessMap Parse(ProcessMapRow row)
    {
        var loaded = ProcessAuditYaml.Load(row.Yaml, $"process {row.Id} v{row.Version}");
        return loaded.Succeeded
            ? new StoredProcessMap(row, loaded.Map!)
            : throw new WorkspaceStateException($"stored process {row.Id} v{row.Version} no longer reads: " + string.Join("; ", loaded.Errors));
    }

    /// <summary>The cost model's settings: the stored rate, or the default ($13.70, see <see cref="ProcessCostSettings"/>).</summary>
    public async Task<ProcessCostSettings> SettingsAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await RateAsync(db, ct);
    }

    private static async Task<ProcessCostSettings> RateAsync(HandoffDbContext db, CancellationToken ct)
    {
        var text = await db.WorkspaceDocuments.AsNoTracking().Where(d => d.Key == RateDocument).Select(d => d.Content).FirstOrDefaultAsync(ct);
        return text is not null && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate)
            ? new ProcessCostSettings(rate)
            : ProcessCostSettings.Default;
    }

    /// <summary>Sets the hourly rate (audited with the old and new value).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not above 0 and at most <see cref="MaxHourlyRate"/>.</exception>
    public async Task<ProcessCostSettings> SetRateAsync(decimal rate, string actor, CancellationToken ct)
    {
        if (rate <= 0m || rate > MaxHourlyRate)
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"the hourly rate must be above 0 and at most {MaxHourlyRate.ToString(CultureInfo.InvariantCulture)}");
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var before = await RateAsync(db, ct);
        var text = ProcessAuditYaml.Format(rate);
        var doc = await db.WorkspaceDocuments.FindAsync([RateDocument], ct);
        if (doc is null)
            db.WorkspaceDocuments.Add(new WorkspaceDocumentRow { Key = RateDocument, Content = text, UpdatedAt = now });
        else
        {
            doc.Content = text;
            doc.UpdatedAt = now;
        }
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "process.rate_changed", "setting", RateDocument,
            [new("hourly_rate", ProcessAuditYaml.Format(before.HourlyRate), text)], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new ProcessCostSettings(rate);
    }

    /// <summary>
    /// Turns an accepted field-match suggestion into a proposed dictionary version based on the
    /// latest one, authored by the person who accepted it. It takes effect only after one HR and one
    /// IT approver signed it, like any other proposal.
    /// </summary>
    public async Task<(int Version, string Summary)> ProposeFieldMatchAsync(FieldMatchSuggestion suggestion, string actor, CancellationToken ct)
    {
        var latest = (await workspace.VersionsAsync(ct)).LastOrDefault()
            ?? throw new WorkspaceStateException("no dictionary yet: run `handoff apply -f DIR` first");
        var parsed = WorkspaceLoader.ParseDictionary(latest.Yaml, $"dictionary v{latest.Id}", null);
        if (!parsed.Succeeded)
            throw new WorkspaceValidationException(parsed.Errors);
        var (dictionary, summary) = ProcessAuditFieldDiscovery.Accept(parsed.Dictionary!, suggestion);
        var comment = $"field discovery: {summary} (agreement {suggestion.Agreeing}/{suggestion.Compared}, confidence {suggestion.Confidence.ToString("0.00", CultureInfo.InvariantCulture)})";
        var version = await workspace.ProposeAsync(WorkspaceWriter.ToYaml(dictionary), "dictionary.yaml", actor, comment, ct);
        return (version, summary);
    }
}
