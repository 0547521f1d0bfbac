using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Handoff.Core.Governance;

/// <summary>One field of a system's schema as last observed: a CSV column (type inferred from a
/// sample of its values) or a target attribute (<c>objectClass.attribute</c>, type as announced).</summary>
/// <param name="EmptyShare">share of sampled rows where the column was empty (sources only)</param>
/// <param name="Fingerprints">keyed hashes of a few sampled values: enough to see that a renamed column
/// carries the same data as the removed one, without keeping the values themselves</param>
public sealed record SchemaField(string Name, string Type, bool Required = false, double EmptyShare = 0, IReadOnlyList<string>? Fingerprints = null);

/// <summary>A system's schema at one moment. <see cref="Hash"/> covers names, types and requiredness
/// only: a new drop with other values but the same columns is not a new snapshot.</summary>
public sealed record SchemaShape(IReadOnlyList<SchemaField> Fields)
{
    public string Hash
    {
        get
        {
            var text = string.Join("\n", Fields.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => $"{f.Name}\t{f.Type}\t{(f.Required ? 1 : 0)}"));
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        }
    }

    public SchemaField? Find(string name) => Fields.FirstOrDefault(f => f.Name == name);
}

public enum DriftChangeKind { Removed, Renamed, TypeChanged, NewRequired, Added }

public enum FindingSeverity { Info, Warning, Critical }

/// <summary>One difference between two snapshots of a system's schema.</summary>
/// <param name="Field">the field as it was (for <see cref="DriftChangeKind.Added"/> and
/// <see cref="DriftChangeKind.NewRequired"/>: the new one)</param>
/// <param name="NewName">the name it has now (renamed fields)</param>
/// <param name="Bound">whether the data dictionary maps this field: then Handoff reads or writes it</param>
public sealed record SchemaChange(DriftChangeKind Kind, string Field, string? NewName, string? From, string? To, bool Bound, FindingSeverity Severity)
{
    /// <summary>Stable while the change is the same, so an open finding is not raised twice.</summary>
    public string Key => $"{Kind.ToString().ToLowerInvariant()}:{Field}{(NewName is null ? "" : "->" + NewName)}";

    public string Describe() => Kind switch
    {
        DriftChangeKind.Removed => $"field {Field} was removed{(Bound ? " — the dictionary binds it: a delivery without it is held whole by the delivery guard, and one accepted anyway leaves that field as it was (absence is not a fact)" : "")}",
        DriftChangeKind.Renamed => $"field {Field} looks renamed to {NewName} (similar name, same values){(Bound ? " — the dictionary still binds the old name" : "")}",
        DriftChangeKind.TypeChanged => $"field {Field} changed type from {From} to {To}{(Bound ? " (bound by the dictionary)" : "")}",
        DriftChangeKind.NewRequired => $"new required field {Field}{(Bound ? "" : " — no dictionary field provides it, so writes may be refused")}",
        _ => $"new field {Field}",
    };
}

/// <summary>
/// Compares two snapshots of a system's schema (pure: the caller stores snapshots and raises findings).
/// A removed field and an added one count as a rename when their names are similar and, where both
/// sides carry sampled values, those values overlap — a column renamed by the HRIS vendor keeps its data.
/// </summary>
public static class SchemaDrift
{
    /// <summary>Names at least this similar (0..1) may be a rename.</summary>
    public const double NameThreshold = 0.6;

    /// <summary>At least this share of the smaller fingerprint set must be shared.</summary>
    public const double ValueOverlap = 0.5;

    public static IReadOnlyList<SchemaChange> Diff(SchemaShape before, SchemaShape after, Func<string, bool> isBound)
    {
        var changes = new List<SchemaChange>();
        var removed = before.Fields.Where(f => after.Find(f.Name) is null).ToList();
        var added = after.Fields.Where(f => before.Find(f.Name) is null).ToList();

        foreach (var old in removed)
        {
            var bound = isBound(old.Name);
            var rename = added
                .Select(n => (Field: n, Score: NameSimilarity(old.Name, n.Name)))
                .Where(c => c.Score >= NameThreshold && ValuesOverlap(old, c.Field))
                .OrderByDescending(c => c.Score).Select(c => c.Field).FirstOrDefault();
            if (rename is not null)
            {
                added.Remove(rename);
                changes.Add(new(DriftChangeKind.Renamed, old.Name, rename.Name, null, null, bound, bound ? FindingSeverity.Critical : FindingSeverity.Warning));
            }
            else
            {
                changes.Add(new(DriftChangeKind.Removed, old.Name, null, null, null, bound, bound ? FindingSeverity.Critical : FindingSeverity.Warning));
            }
        }

        foreach (var now in after.Fields)
        {
            if (before.Find(now.Name) is not { } was)
                continue;
            if (was.Type != now.Type && was.Type != "empty" && now.Type != "empty")
            {
                var bound = isBound(now.Name);
                changes.Add(new(DriftChangeKind.TypeChanged, now.Name, null, was.Type, now.Type, bound, bound ? FindingSeverity.Warning : FindingSeverity.Info));
            }
            if (now.Required && !was.Required)
                changes.Add(new(DriftChangeKind.NewRequired, now.Name, null, null, null, isBound(now.Name), isBound(now.Name) ? FindingSeverity.Info : FindingSeverity.Warning));
        }

        foreach (var now in added)
        {
            changes.Add(now.Required
                ? new(DriftChangeKind.NewRequired, now.Name, null, null, null, isBound(now.Name), isBound(now.Name) ? FindingSeverity.Info : FindingSeverity.Warning)
                : new(DriftChangeKind.Added, now.Name, null, null, null, isBound(now.Name), FindingSeverity.Info));
        }
        return changes;
    }

    /// <summary>When either side has no sampled values (target attributes) names alone decide, with a higher bar.</summary>
    private static bool ValuesOverlap(SchemaField a, SchemaField b)
    {
        if (a.Fingerprints is not { Count: > 0 } x || b.Fingerprints is not { Count: > 0 } y)
            return NameSimilarity(a.Name, b.Name) >= 0.8;
        var shared = x.Intersect(y, StringComparer.Ordinal).Count();
        return shared >= ValueOverlap * Math.Min(x.Count, y.Count);
    }

    /// <summary>0..1: 1 − edit distance / longer length, over names folded to lower-case letters and
    /// digits (<c>Cost_Center</c> = <c>CostCenter</c> = <c>cost-center</c>). One containing the other
    /// (<c>Dept</c> in <c>Dept_Name</c>) scores at least 0.6. The process audit's token-set ratio
    /// (<see cref="ProcessAuditFieldDiscovery.NameSimilarity"/>) is taken when higher: it sees reordered
    /// words (<c>Last_Name_Legal</c>), the edit distance sees spelling (<c>CostCentre</c>).</summary>
    public static double NameSimilarity(string a, string b)
    {
        var x = Fold(a);
        var y = Fold(b);
        if (x.Length == 0 || y.Length == 0)
            return 0;
        if (x == y)
            return 1;
        var score = 1 - (double)Levenshtein(x, y) / Math.Max(x.Length, y.Length);
        if (x.Contains(y, StringComparison.Ordinal) || y.Contains(x, StringComparison.Ordinal))
            score = Math.Max(score, 0.6);
        return Math.Max(score, ProcessAuditFieldDiscovery.NameSimilarity(a, b));
    }

    private static string Fold(string name) =>
        new(name.ToLowerInvariant().Where(char.IsLetterOrDigit).ToArray());

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>The schema of a source from its columns and a sample of its rows: each column's type is
    /// the kind most of its non-empty values have (date, number, text; <c>empty</c> when none has a value).</summary>
    /// <param name="fingerprint">keyed hash of a value (kept for rename detection instead of the value)</param>
    public static SchemaShape InferSource(IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyDictionary<string, string?>> sample,
        Func<string, string> fingerprint, int fingerprints = 20)
    {
        var fields = new List<SchemaField>(columns.Count);
        foreach (var column in columns)
        {
            var values = sample.Select(r => r.TryGetValue(column, out var v) ? v?.Trim() : null).ToList();
            var present = values.Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();
            var type = present.Count == 0 ? "empty"
                : present.GroupBy(KindOf).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
            var empty = values.Count == 0 ? 0 : Math.Round((double)(values.Count - present.Count) / values.Count, 3);
            var prints = present.Distinct(StringComparer.Ordinal).Take(fingerprints).Select(fingerprint).ToList();
            fields.Add(new SchemaField(column, type, false, empty, prints));
        }
        return new SchemaShape(fields);
    }

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "MM/dd/yyyy", "M/d/yyyy", "dd.MM.yyyy", "yyyyMMdd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ssZ"];

    /// <summary>date, number or text. Dates are checked first: 20260101 is a date, not a number.</summary>
    public static string KindOf(string value)
    {
        if (value.Length >= 8 && DateTime.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            return "date";
        if (decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _))
            return "number";
        return "text";
    }

    /// <summary>A target's schema as its connector announces it (<c>DiscoverSchemaAsync</c>): one field per
    /// object class and attribute.</summary>
    public static SchemaShape FromTarget(IEnumerable<(string ObjectClass, string Attribute, string Type, bool Required)> attributes) =>
        new(attributes.Select(a => new SchemaField($"{a.ObjectClass}.{a.Attribute}", a.Type, a.Required))
            .DistinctBy(f => f.Name).ToList());
}
