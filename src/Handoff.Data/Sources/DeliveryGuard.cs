using System.Globalization;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;
using Handoff.Data.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Sources;

/// <summary>What a delivery would do, measured before anything of it applies, and why it is held
/// (empty: it may go ahead).</summary>
public sealed class DeliveryInspection
{
    public List<string> Columns { get; set; } = [];
    public List<string> MissingColumns { get; set; } = [];
    public List<string> NewColumns { get; set; } = [];
    /// <summary>The people this source knew before the delivery.</summary>
    public int Population { get; set; }
    public int Records { get; set; }
    public int Changed { get; set; }
    public int Cleared { get; set; }
    public int Terminated { get; set; }
    /// <summary>For a snapshot: known people the delivery does not carry.</summary>
    public int Missing { get; set; }
    /// <summary>Per canonical field: how many known people's value it would change or clear.</summary>
    public Dictionary<string, int> Fields { get; set; } = [];
    public List<string> Examples { get; set; } = [];
    public List<string> HoldReasons { get; set; } = [];
    /// <summary>Where the file was read (a held <c>sync --file</c> is accepted from there).</summary>
    public string? Path { get; set; }
}

/// <summary>
/// Looks at a whole delivery before any of it applies, the way Okta holds an import above its
/// threshold and Entra stops at its accidental-deletion threshold, but per field and before the
/// write: a delivery whose columns differ from the last accepted one (missing, renamed, new), that
/// would change or clear one field for more than <c>guard_share</c> of the people the source knows,
/// terminate more than that share, or — a snapshot — lack more than that share of them, is held
/// whole. The share rules count from <c>guard_minimum</c> known people (10) on; <c>guard: off</c>
/// turns the guard off for a system.
/// </summary>
public sealed class DeliveryGuard(DatabaseOptions database, KeyMaterial keys)
{
    public const double DefaultShare = 0.2;
    public const int DefaultMinimum = 10;
    private const int MaxExamples = 8;

    public async Task<DeliveryInspection> InspectAsync(WorkspaceDefinition workspace, SystemDefinition system, IAsyncEnumerable<SourceItem> items,
        bool snapshot, DateTimeOffset now, CancellationToken ct)
    {
        var inspection = new DeliveryInspection();
        var share = system.Setting("guard_share") is { } s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : DefaultShare;
        var minimum = system.Setting("guard_minimum") is { } m && int.TryParse(m, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultMinimum;
        var off = system.Setting("guard") is "off" or "false";

        var mapper = new RecordMapper(workspace.Dictionary, system) { KeyedHash = keys.ContentHash };
        var protection = new FieldProtection(workspace.Dictionary, keys);
        var termination = workspace.Dictionary.Lifecycle.TerminationDate;
        Dictionary<string, string> known;
        HashSet<string> current;
        List<string>? baseline;
        await using (var db = database.CreateContext())
        {
            // Leavers drop out of many exports after a while: the population a snapshot is measured
            // against is the people this source knows who have not left.
            var rows = await (from r in db.SourceRecords.AsNoTracking()
                              join p in db.People.AsNoTracking() on r.PersonId equals p.Id
                              where r.System == system.Id
                              select new { r.NativeKey, r.ValuesJson, p.State }).ToListAsync(ct);
            known = rows.ToDictionary(r => r.NativeKey, r => r.ValuesJson, StringComparer.Ordinal);
            current = rows.Where(r => r.State is not ("terminated" or "purged")).Select(r => r.NativeKey).ToHashSet(StringComparer.Ordinal);
            var last = await db.Deliveries.AsNoTracking()
                .Where(d => d.System == system.Id && d.ContentHash != "" && d.ColumnsJson != "[]" && (d.Status == "applied" || d.Status == "accepted"))
                .OrderByDescending(d => d.Id).Select(d => d.ColumnsJson).FirstOrDefaultAsync(ct);
            baseline = last is null ? null : JsonDefaults.Deserialize<List<string>>(last);
        }
        inspection.Population = current.Count;

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var changedPeople = new HashSet<string>(StringComparer.Ordinal);
        var clearedPeople = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var item in items.WithCancellation(ct))
        {
            if (item is not NativeRecord native)
                continue;
            if (inspection.Columns.Count == 0 && native.Pointer is null)
                inspection.Columns = [.. native.Values.Keys];
            if (!mapper.TryMap(native, out var record, out _) || record is null)
                continue;
            inspection.Records++;
            seen.Add(record.NativeKey);
            if (!known.TryGetValue(record.NativeKey, out var json))
                continue;
            var before = protection.DeserializeValues(json);
            foreach (var (field, value) in record.Values)
            {
                var had = before.TryGetValue(field, out var old);
                // A first termination date ends a worker as surely as a changed one.
                if (field == termination && value is not null && !had)
                {
                    inspection.Terminated++;
                    continue;
                }
                if (!had || old == value)
                    continue;
                inspection.Fields[field] = inspection.Fields.GetValueOrDefault(field) + 1;
                if (value is null)
                    clearedPeople.Add(record.NativeKey);
                else
                    changedPeople.Add(record.NativeKey);
                if (field == termination && value is not null)
                    inspection.Terminated++;
                if (inspection.Examples.Count < MaxExamples)
                {
                    var shown = protection.IsSensitive(field) ? "(sensitive)" : $"\"{old}\" → {(value is null ? "empty" : $"\"{value}\"")}";
                    inspection.Examples.Add($"{record.Location} ({record.NativeKey}): {field} {shown}");
                }
            }
        }
        inspection.Changed = changedPeople.Count;
        inspection.Cleared = clearedPeople.Count;
        if (snapshot)
            inspection.Missing = current.Count(k => !seen.Contains(k));

        if (baseline is not null && inspection.Columns.Count > 0)
        {
            inspection.MissingColumns = baseline.Where(c => !inspection.Columns.Contains(c, StringComparer.Ordinal)).ToList();
            inspection.NewColumns = inspection.Columns.Where(c => !baseline.Contains(c, StringComparer.Ordinal)).ToList();
        }
        if (off)
            return inspection;

        if (inspection.MissingColumns.Count > 0 || inspection.NewColumns.Count > 0)
        {
            var parts = new List<string>();
            if (inspection.MissingColumns.Count > 0)
                parts.Add($"column{(inspection.MissingColumns.Count > 1 ? "s" : "")} {Quote(inspection.MissingColumns)} missing");
            if (inspection.NewColumns.Count > 0)
                parts.Add($"new column{(inspection.NewColumns.Count > 1 ? "s" : "")} {Quote(inspection.NewColumns)}");
            var renamed = inspection.MissingColumns.Count > 0 && inspection.NewColumns.Count > 0 ? " (renamed?)" : "";
            inspection.HoldReasons.Add($"the columns differ from the last accepted delivery: {string.Join(", ", parts)}{renamed}");
        }
        if (inspection.Population >= minimum)
        {
            var limit = share * inspection.Population;
            foreach (var (field, count) in inspection.Fields.OrderByDescending(p => p.Value))
            {
                if (count > limit)
                    inspection.HoldReasons.Add($"{field} would change or be cleared for {count} of {inspection.Population} people ({Percent(count, inspection.Population)}, above {share * 100:0.#} %)");
            }
            if (inspection.Terminated > limit)
                inspection.HoldReasons.Add($"{inspection.Terminated} of {inspection.Population} people would get a termination date ({Percent(inspection.Terminated, inspection.Population)}, above {share * 100:0.#} %)");
            if (inspection.Missing > limit)
                inspection.HoldReasons.Add($"the snapshot lacks {inspection.Missing} of the {inspection.Population} people {system.Id} knows ({Percent(inspection.Missing, inspection.Population)}, above {share * 100:0.#} %); absence ends nobody, but a file this short is most likely cut off");
        }
        return inspection;
    }

    private static string Quote(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));

    private static string Percent(int count, int of) => (100.0 * count / of).ToString("0.#", CultureInfo.InvariantCulture) + " %";
}
