using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CsvHelper;
using FuzzySharp;
using Handoff.Core.Dictionary;

namespace Handoff.Core.Governance;

/// <summary>A sample extract of one system: its columns and rows, and the column that correlates
/// its records with the other extracts (an employee id, a work e-mail …).</summary>
public sealed record ExtractTable(string System, string File, string KeyColumn, IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows)
{
    /// <summary>Reads a CSV extract with a header row. A key column that is not in the header is an
    /// error naming the file and the columns it has.</summary>
    public static ExtractTable ReadCsv(string path, string keyColumn, string? system = null)
    {
        if (!global::System.IO.File.Exists(path))
            throw new FieldDiscoveryException($"{path}: no such file");
        using var csv = CsvReader.FromFile(path, CsvReaderOptions.Default with
        {
            HasHeader = true,
            DetectSeparatorHint = true,
            AllowLineBreaksInQuotes = true,
            SkipEmptyLines = true,
            MissingField = CsvMissingFieldHandling.ReturnEmpty,
            FieldCountMismatch = CsvFieldCountHandling.Skip,
            FormatProvider = CultureInfo.InvariantCulture,
        });
        string[] header;
        try
        {
            csv.ReadHeader();
            header = [.. csv.Headers.Select(h => h.Trim())];
        }
        catch (CsvFormatException e)
        {
            throw new FieldDiscoveryException($"{path}:1: the header row cannot be read ({e.Message})");
        }
        if (header.Length == 0)
            throw new FieldDiscoveryException($"{path}:1: the extract has no header row");
        if (!header.Contains(keyColumn))
            throw new FieldDiscoveryException($"{path}:1: key column \"{keyColumn}\" is not in the header; columns: {string.Join(", ", header)}");
        var rows = new List<string[]>();
        while (csv.Read())
            rows.Add([.. header.Select((_, i) => i < csv.FieldCount ? csv.GetString(i) : "")]);
        return new ExtractTable(system ?? Path.GetFileNameWithoutExtension(path), path, keyColumn, header, rows);
    }
}

/// <summary>A correlated record on which two fields hold different values.</summary>
public sealed record DisagreeingRecord(string Key, string LeftValue, string RightValue);

/// <summary>
/// "These two native fields carry the same data point": the systems and fields, how alike their
/// names are, how often their values agree on records that correlate, a confidence 0..1 and the
/// records that disagree (the data-quality work a person has to look at).
/// </summary>
public sealed record FieldMatchSuggestion(
    string LeftSystem,
    string LeftField,
    string RightSystem,
    string RightField,
    double NameSimilarity,
    int Compared,
    int Agreeing,
    int DistinctAgreeingValues,
    double Confidence,
    IReadOnlyList<DisagreeingRecord> Disagreements,
    string? LeftDatePattern,
    string? RightDatePattern)
{
    /// <summary>Share of compared records whose values agree after normalising (0 when none compared).</summary>
    public double ValueAgreement => Compared == 0 ? 0 : (double)Agreeing / Compared;

    /// <summary>Both columns hold dates (in whatever format each system writes them).</summary>
    public bool IsDate => LeftDatePattern is not null && RightDatePattern is not null;
}

public sealed record FieldDiscoveryOptions
{
    /// <summary>Suggestions below this confidence are not reported.</summary>
    public double MinConfidence { get; init; } = 0.5;

    /// <summary>Fewer correlated, non-empty value pairs than this and only the names count (at half weight).</summary>
    public int MinCompared { get; init; } = 3;

    /// <summary>Disagreeing records listed per suggestion (the count is always complete).</summary>
    public int MaxDisagreements { get; init; } = 50;
}

/// <summary>The data cannot be read as asked (missing file, key column not in the header …).</summary>
public sealed class FieldDiscoveryException(string message) : Exception(message);

/// <summary>
/// Field-mismatch discovery: which native fields of different systems carry the same data point,
/// found from sample data rather than from memory.
/// </summary>
/// <remarks>
/// For every pair of extracts, records are correlated by their key columns (trimmed, case-insensitive;
/// the first row wins when a key repeats). For every pair of non-key columns:
/// <list type="bullet">
/// <item>name similarity — the names split into lower-case tokens (camelCase, '_', '-', spaces), a few
/// abbreviations and synonyms folded (dept → department, begin → start, surname → last …), compared
/// with FuzzySharp's token-set ratio (0..1);</item>
/// <item>value agreement — on correlated records where both values are present, the share that are
/// equal once normalised: trimmed, whitespace collapsed, case ignored, dates read in ISO, US
/// (M/d/yyyy), European (d.M.yyyy) and "2 Mar 2026" forms and compared as dates, numbers compared as
/// numbers. A column with a single repeated value ("US" everywhere) proves little, so agreement is
/// scaled by min(1, distinct agreeing values ÷ 3).</item>
/// </list>
/// confidence = 0.75 × agreement + 0.25 × name similarity; with fewer than
/// <see cref="FieldDiscoveryOptions.MinCompared"/> comparable records it is 0.5 × name similarity.
/// Values decide because names are exactly what differ between systems ("Start Date",
/// "Employment_Begin_Date", "accountActivationDate").
/// </remarks>
public static partial class ProcessAuditFieldDiscovery
{
    public static IReadOnlyList<FieldMatchSuggestion> Discover(IReadOnlyList<ExtractTable> tables, FieldDiscoveryOptions? options = null)
    {
        options ??= new FieldDiscoveryOptions();
        if (tables.Count < 2)
            throw new FieldDiscoveryException("field discovery needs extracts of at least two systems");
        var duplicate = tables.GroupBy(t => t.System).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new FieldDiscoveryException($"two extracts are named \"{duplicate.Key}\"; give each file its own system name");
        var suggestions = new List<FieldMatchSuggestion>();
        for (var i = 0; i < tables.Count; i++)
        {
            for (var j = i + 1; j < tables.Count; j++)
                suggestions.AddRange(Compare(tables[i], tables[j], options));
        }
        return [.. suggestions
            .Where(s => s.Confidence >= options.MinConfidence)
            .OrderByDescending(s => s.Confidence)
            .ThenByDescending(s => s.NameSimilarity)
            .ThenBy(s => s.LeftSystem, StringComparer.Ordinal).ThenBy(s => s.LeftField, StringComparer.Ordinal)
            .ThenBy(s => s.RightSystem, StringComparer.Ordinal).ThenBy(s => s.RightField, StringComparer.Ordinal)];
    }

    private static IEnumerable<FieldMatchSuggestion> Compare(ExtractTable left, ExtractTable right, FieldDiscoveryOptions options)
    {
        var leftKey = IndexOf(left, left.KeyColumn);
        var rightKey = IndexOf(right, right.KeyColumn);
        var rightByKey = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var r = 0; r < right.Rows.Count; r++)
        {
            var key = right.Rows[r][rightKey].Trim();
            if (key.Length > 0)
                rightByKey.TryAdd(key, r);
        }
        var pairs = new List<(string Key, int Left, int Right)>();
        for (var l = 0; l < left.Rows.Count; l++)
        {
            var key = left.Rows[l][leftKey].Trim();
            if (key.Length > 0 && rightByKey.TryGetValue(key, out var other))
                pairs.Add((key, l, other));
        }

        var leftColumns = left.Columns.Select((c, i) => (c, i)).Where(x => x.i != leftKey).ToList();
        var rightColumns = right.Columns.Select((c, i) => (c, i)).Where(x => x.i != rightKey).ToList();
        var leftNorm = leftColumns.ToDictionary(x => x.i, x => left.Rows.Select(r => Normalise(r[x.i])).ToArray());
        var rightValues = rightColumns.ToDictionary(x => x.i, x => right.Rows.Select(r => Normalise(r[x.i])).ToArray());

        foreach (var (lc, li) in leftColumns)
        {
            var leftPattern = DatePatternOf(leftNorm[li]);
            foreach (var (rc, ri) in rightColumns)
            {
                var name = NameSimilarity(lc, rc);
                int compared = 0, agreeing = 0;
                var distinct = new HashSet<string>();
                var disagreements = new List<DisagreeingRecord>();
                foreach (var (key, lrow, rrow) in pairs)
                {
                    var a = leftNorm[li][lrow];
                    var b = rightValues[ri][rrow];
                    if (a.Value.Length == 0 || b.Value.Length == 0)
                        continue;
                    compared++;
                    if (a.Value == b.Value)
                    {
                        agreeing++;
                        distinct.Add(a.Value);
                    }
                    else
                    {
                        disagreements.Add(new DisagreeingRecord(key, left.Rows[lrow][li], right.Rows[rrow][ri]));
                    }
                }
                double confidence;
                if (compared >= options.MinCompared)
                {
                    var agreement = (double)agreeing / compared * Math.Min(1.0, distinct.Count / 3.0);
                    confidence = 0.75 * agreement + 0.25 * name;
                }
                else
                {
                    confidence = 0.5 * name;
                }
                // Few agreements and many disagreements of the same field are what this is for, so the
                // list is kept only for likely matches (others are noise: "birth date" vs "start date").
                yield return new FieldMatchSuggestion(left.System, lc, right.System, rc, Math.Round(name, 3), compared, agreeing, distinct.Count,
                    Math.Round(confidence, 3), disagreements.Take(options.MaxDisagreements).ToList(), leftPattern, DatePatternOf(rightValues[ri]));
            }
        }
    }

    private static int IndexOf(ExtractTable t, string column)
    {
        var i = t.Columns.ToList().IndexOf(column);
        return i >= 0 ? i : throw new FieldDiscoveryException($"{t.File}: key column \"{column}\" is not in the header; columns: {string.Join(", ", t.Columns)}");
    }

    // ---- names ----

    private static readonly Dictionary<string, string> Synonyms = new()
    {
        ["begin"] = "start",
        ["beginning"] = "start",
        ["commencement"] = "start",
        ["commence"] = "start",
        ["surname"] = "last",
        ["family"] = "last",
        ["given"] = "first",
        ["forename"] = "first",
        ["mail"] = "email",
        ["e"] = "",
        ["dept"] = "department",
        ["no"] = "number",
        ["num"] = "number",
        ["nbr"] = "number",
        ["dob"] = "birth date",
        ["birthdate"] = "birth date",
        ["mgr"] = "manager",
        ["emp"] = "employee",
        ["tel"] = "phone",
    };

    /// <summary>Lower-case tokens of a column name with abbreviations and synonyms folded:
    /// "Employment_Begin_Date" → employment start date; "accountActivationDate" → account activation date.</summary>
    public static IReadOnlyList<string> Tokens(string name)
    {
        var spaced = CamelBoundary().Replace(name, "$1 $2");
        var tokens = new List<string>();
        foreach (var raw in NonAlphanumeric().Split(spaced.ToLowerInvariant()))
        {
            if (raw.Length == 0)
                continue;
            var t = Synonyms.TryGetValue(raw, out var s) ? s : raw;
            tokens.AddRange(t.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        return tokens;
    }

    /// <summary>Name similarity 0..1 of two column names (token-set ratio over the folded tokens).</summary>
    public static double NameSimilarity(string a, string b)
    {
        var ta = string.Join(' ', Tokens(a));
        var tb = string.Join(' ', Tokens(b));
        if (ta.Length == 0 || tb.Length == 0)
            return 0;
        return Fuzz.TokenSetRatio(ta, tb) / 100.0;
    }

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex CamelBoundary();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonAlphanumeric();

    // ---- values ----

    /// <summary>A value normalised for comparison, and the date pattern it was read with (if a date).</summary>
    public readonly record struct NormalisedValue(string Value, string? DatePattern);

    private static readonly string[] DatePatterns =
    [
        // Zero-padded patterns first, so a column's reported format is the one its values are written in.
        "yyyy-MM-dd", "yyyy/MM/dd", "MM/dd/yyyy", "M/d/yyyy", "dd.MM.yyyy", "d.M.yyyy", "dd MMM yyyy", "d MMM yyyy", "MMM d, yyyy", "dd-MMM-yyyy", "d-MMM-yyyy",
    ];

    public static NormalisedValue Normalise(string raw)
    {
        var text = Whitespace().Replace(raw.Trim(), " ");
        if (text.Length == 0)
            return new("", null);
        // An ISO date-time (account activation at 09:00) carries the date as written.
        if (IsoDateTime().IsMatch(text) && DateOnly.TryParseExact(text[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var isoDate))
            return new("date:" + isoDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "yyyy-MM-ddTHH:mm:ssZ");
        foreach (var pattern in DatePatterns)
        {
            if (DateOnly.TryParseExact(text, pattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                return new("date:" + date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), pattern);
        }
        if (decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return new("number:" + (number / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture), null);
        return new(text.ToLowerInvariant(), null);
    }

    /// <summary>The date pattern most of a column's values were read with, when most non-empty values are dates.</summary>
    private static string? DatePatternOf(NormalisedValue[] values)
    {
        var present = values.Where(v => v.Value.Length > 0).ToList();
        if (present.Count == 0)
            return null;
        var dates = present.Where(v => v.DatePattern is not null).ToList();
        if (dates.Count * 2 <= present.Count)
            return null;
        return dates.GroupBy(v => v.DatePattern!).OrderByDescending(g => g.Count()).First().Key;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")]
    private static partial Regex IsoDateTime();

    // ---- accepting a suggestion ----

    /// <summary>
    /// The dictionary with an accepted suggestion folded in: when a field already binds one side, the
    /// other side's native field is bound to it too; otherwise a new field is added that binds both
    /// (system of record: the left system; classification personal until someone decides otherwise).
    /// Dates keep the format each system writes (a binding <c>format</c> unless ISO). The result is
    /// only a proposal: it takes effect after the dictionary's HR and IT sign-off.
    /// </summary>
    public static (DictionaryDefinition Dictionary, string Summary) Accept(DictionaryDefinition dictionary, FieldMatchSuggestion s)
    {
        FieldDefinition? Bound(string system, string native) =>
            dictionary.Fields.FirstOrDefault(f => f.Bindings.Any(b => b.System == system && b.Native == native));
        var left = Bound(s.LeftSystem, s.LeftField);
        var right = Bound(s.RightSystem, s.RightField);
        if (left is not null && right is not null)
        {
            if (left.Name == right.Name)
                throw new FieldDiscoveryException($"{s.LeftSystem}.{s.LeftField} and {s.RightSystem}.{s.RightField} are already both bound to the field {left.Name}; nothing to propose");
            throw new FieldDiscoveryException($"{s.LeftSystem}.{s.LeftField} is bound to {left.Name} but {s.RightSystem}.{s.RightField} to {right.Name}: merging two fields is a decision to make in the dictionary editor");
        }
        if (left is not null || right is not null)
        {
            var field = (left ?? right)!;
            var (system, native, pattern) = left is not null ? (s.RightSystem, s.RightField, s.RightDatePattern) : (s.LeftSystem, s.LeftField, s.LeftDatePattern);
            if (field.BindingFor(system) is { } existing)
                throw new FieldDiscoveryException($"the field {field.Name} already binds {system} to {existing.Native}, not {native}: change that binding in the dictionary editor");
            var binding = NewBinding(system, native, field.Type, pattern);
            var updated = field with { Bindings = [.. field.Bindings, binding] };
            return (dictionary with { Fields = [.. dictionary.Fields.Select(f => f == field ? updated : f)] },
                $"bind {system}.{native} to the field {field.Name}");
        }
        var type = s.IsDate ? FieldType.Date : FieldType.String;
        var name = Snake(s.LeftField);
        for (var n = 2; dictionary.FindField(name) is not null; n++)
            name = Snake(s.LeftField) + "_" + n.ToString(CultureInfo.InvariantCulture);
        var label = CultureInfo.InvariantCulture.TextInfo.ToTitleCase(string.Join(' ', Tokens(s.LeftField)));
        label = label.Length > 0 ? label[..1] + label[1..].ToLowerInvariant() : name;
        var added = new FieldDefinition(name, label, type, Classification.Personal, false, [], s.LeftSystem, [], ConflictRule.SystemOfRecordRule,
            [NewBinding(s.LeftSystem, s.LeftField, type, s.LeftDatePattern), NewBinding(s.RightSystem, s.RightField, type, s.RightDatePattern)]);
        return (dictionary with { Fields = [.. dictionary.Fields, added] },
            $"new field {name} = {s.LeftSystem}.{s.LeftField} = {s.RightSystem}.{s.RightField}");
    }

    private static FieldBinding NewBinding(string system, string native, FieldType type, string? pattern)
    {
        var format = type == FieldType.Date && pattern is not null && pattern != "yyyy-MM-dd" && !pattern.Contains('T') ? pattern : null;
        return new FieldBinding(system, native, format, null, new Dictionary<string, string>(), WriteStrength.Enforce);
    }

    private static string Snake(string name)
    {
        var sb = new StringBuilder();
        foreach (var token in NonAlphanumeric().Split(CamelBoundary().Replace(name, "$1 $2").ToLowerInvariant()).Where(t => t.Length > 0))
        {
            if (sb.Length > 0)
                sb.Append('_');
            sb.Append(token);
        }
        var result = sb.ToString();
        return result.Length > 0 && char.IsAsciiLetterLower(result[0]) ? result : "field_" + result;
    }
}
