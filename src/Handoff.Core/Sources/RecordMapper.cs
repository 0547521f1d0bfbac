using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Handoff.Core.Dictionary;
using Handoff.Core.Workspace;

namespace Handoff.Core.Sources;

/// <summary>A native record translated into canonical field values through the dictionary.</summary>
public sealed record MappedRecord(
    string System,
    string NativeKey,
    IReadOnlyDictionary<string, string?> Values,
    DateOnly? EffectiveFrom,
    string Hash,
    string Location)
{
    /// <summary>The record's ordering fact (<see cref="RecordOrder"/>); <see cref="RecordOrder.None"/>
    /// when unknown (then it counts as observed when applied).</summary>
    public string Order { get; init; } = RecordOrder.None;
}

/// <summary>Why a record cannot be used: the field (native name) and the reason.</summary>
public sealed record RecordProblem(string? Field, string Reason);

/// <summary>
/// Translates native records of one system into canonical values: finds the native key, converts
/// every bound field with its converter, checks required fields. A record with any problem is not
/// used at all (it is quarantined whole), so a half-converted record never reaches a person.
/// </summary>
public sealed class RecordMapper
{
    private readonly SystemDefinition _system;
    private readonly string _keyColumn;
    private readonly string? _effectiveColumn;
    private readonly string? _asOfColumn;
    private readonly (FieldDefinition Field, FieldBinding Binding)[] _bound;

    public RecordMapper(DictionaryDefinition dictionary, SystemDefinition system)
    {
        _system = system;
        // A SCIM server's records are keyed by the id it assigns unless the system names another attribute.
        _keyColumn = system.Setting("key") ?? (system.Connector == "scim-server" ? "id" : throw new InvalidOperationException($"system '{system.Id}' has no key column configured"));
        _effectiveColumn = system.Setting("effective_from");
        _asOfColumn = system.Setting("as_of");
        _bound = dictionary.Fields
            .Select(f => (Field: f, Binding: f.BindingFor(system.Id)))
            .Where(p => p.Binding is not null)
            .Select(p => (p.Field, p.Binding!))
            .ToArray();
    }

    public string System => _system.Id;

    /// <summary>The native field that holds a record's key.</summary>
    public string KeyColumn => _keyColumn;

    /// <summary>A keyed hash for record content (HMAC under the installation's key): the hash is
    /// stored, and a plain hash of content holding a national id could be reversed by guessing.</summary>
    public Func<string, string>? KeyedHash { get; init; }

    /// <summary>The delivery being mapped: its sequence and as-of time order every record that has no
    /// <c>as_of</c> column value of its own.</summary>
    public DeliveryStamp? Delivery { get; set; }

    /// <summary>The native column that holds a record's as-of time, when the system names one.</summary>
    public string? AsOfColumn => _asOfColumn;

    /// <summary>The canonical fields this system carries.</summary>
    public IEnumerable<FieldDefinition> BoundFields => _bound.Select(b => b.Field);

    public bool TryMap(NativeRecord record, out MappedRecord? mapped, out RecordProblem? problem)
    {
        mapped = null;
        problem = null;
        var location = record.Location;
        // Every row of a file has the header's columns: a file without the key column is not this
        // system's export at all, and quarantining each of its rows would bury the one real problem.
        if (record.Pointer is null && !record.Values.ContainsKey(_keyColumn))
            throw new SourceFormatException($"{record.File}: there is no column '{_keyColumn}' (the key of {_system.Id}); the columns are: {string.Join(", ", record.Values.Keys)}");
        if (!record.Values.TryGetValue(_keyColumn, out var key) || string.IsNullOrWhiteSpace(key))
        {
            problem = new RecordProblem(_keyColumn, $"the key column '{_keyColumn}' is missing or empty");
            return false;
        }

        DateOnly? effectiveFrom = null;
        if (_effectiveColumn is not null && record.Values.TryGetValue(_effectiveColumn, out var eff) && !string.IsNullOrWhiteSpace(eff))
        {
            if (!TryParseEffectiveDate(eff.Trim(), out var d))
            {
                problem = new RecordProblem(_effectiveColumn, $"\"{eff}\" is not a date (expected yyyy-MM-dd or the system's date format)");
                return false;
            }
            effectiveFrom = d;
        }

        var order = RecordOrder.None;
        if (Delivery is { } delivery)
        {
            var asOf = delivery.AsOf;
            if (_asOfColumn is not null && record.Values.TryGetValue(_asOfColumn, out var asOfText) && !string.IsNullOrWhiteSpace(asOfText))
            {
                var dateFormat = _bound.Select(b => b.Binding.Format).FirstOrDefault(f => f is not null);
                if (!RecordOrder.TryParseAsOf(asOfText, dateFormat, out asOf))
                {
                    problem = new RecordProblem(_asOfColumn, $"\"{asOfText}\" is not a date or date-time (the as_of column orders this system's records; expected yyyy-MM-dd, yyyy-MM-ddTHH:mm:ssZ or the system's date format)");
                    return false;
                }
            }
            order = RecordOrder.Of(asOf, delivery.Sequence);
        }

        var values = new Dictionary<string, string?>(_bound.Length, StringComparer.Ordinal);
        foreach (var (field, binding) in _bound)
        {
            if (!record.Values.TryGetValue(binding.Native, out var raw))
            {
                // A column the source does not send at all is "not provided", not "emptied".
                continue;
            }
            if (!ValueConverter.TryToCanonical(field, binding, raw, out var canonical, out var error))
            {
                // A sensitive value never reaches a message, a log or the quarantine reason.
                if (field.Classification == Classification.Sensitive && !string.IsNullOrEmpty(raw))
                    error = error!.Replace(raw.Trim(), "(sensitive value)", StringComparison.Ordinal).Replace(raw, "(sensitive value)", StringComparison.Ordinal);
                problem = new RecordProblem(binding.Native, $"{error} (field {field.Name})");
                return false;
            }
            // An empty value is a statement only where the dictionary lets this system clear the
            // field; elsewhere it says as little as a column the delivery does not carry.
            // A SCIM resource is the client's whole record of the worker (PUT replaces it, PATCH remove
            // deletes an attribute): there an absent attribute is this source withdrawing its value,
            // which never outranks another source (only `empty: clears` on the system of record does).
            if (canonical is null && !field.EmptyClears(_system.Id) && _system.Connector != "scim-server")
                continue;
            values[field.Name] = canonical;
        }

        foreach (var (field, binding) in _bound)
        {
            // A required field is refused when the record carries it empty; a record that does not carry
            // it at all (a partial webhook) says nothing about it.
            if (field.Required && field.IsWriter(_system.Id) && record.Values.ContainsKey(binding.Native)
                && (!values.TryGetValue(field.Name, out var v) || v is null))
            {
                problem = new RecordProblem(binding.Native, $"required field {field.Name} is empty");
                return false;
            }
        }

        mapped = new MappedRecord(_system.Id, key.Trim(), values, effectiveFrom, HashOf(values, effectiveFrom, KeyedHash), location) { Order = order };
        return true;
    }

    private bool TryParseEffectiveDate(string text, out DateOnly date)
    {
        // The effective-date column uses the same format as the system's other dates when it
        // declares one (Workday exports MM/dd/yyyy everywhere); ISO always works.
        var formats = _bound.Select(b => b.Binding.Format).Where(f => f is not null).Distinct().Append("yyyy-MM-dd");
        foreach (var format in formats)
        {
            if (DateOnly.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
                return true;
        }
        date = default;
        return false;
    }

    /// <summary>A stable hash of the canonical content, so a re-sync skips unchanged records
    /// without touching the database.</summary>
    public static string HashOf(IReadOnlyDictionary<string, string?> values, DateOnly? effectiveFrom, Func<string, string>? keyedHash = null)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
            sb.Append(k).Append('\u001f').Append(v ?? "\u0000").Append('\u001e');
        sb.Append(effectiveFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return keyedHash is null
            ? Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())), 0, 16)
            : keyedHash(sb.ToString());
    }
}
