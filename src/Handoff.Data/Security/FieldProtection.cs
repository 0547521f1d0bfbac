using Handoff.Core.Dictionary;
using Handoff.Core.People;
using Handoff.Core.Security;
using Handoff.Core.Workspace;
using Handoff.Data.People;

namespace Handoff.Data.Security;

/// <summary>The installation's key material for data at rest, opened once per process.</summary>
public sealed record KeyMaterial(FieldCipher Cipher, BlindIndex Blind)
{
    public static KeyMaterial From(KeyRing ring) => new(new FieldCipher(ring), new BlindIndex(ring));

    /// <summary>The keyed hash of a record's canonical content (see <see cref="Core.Sources.RecordMapper.KeyedHash"/>).</summary>
    public string ContentHash(string canonical) => Blind.HashExact("source_records.hash", canonical);
}

/// <summary>
/// Values of fields classified <c>sensitive</c> are encrypted at the storage boundary: in memory the
/// engine works with cleartext (conflict rules compare values, not ciphertexts), and every column that
/// stores field values — people, source records, future-dated changes, held review records, quarantined
/// native rows — gets them as AES-256-GCM ciphertexts whose associated data is the field name (or the
/// native column name). Correlation keys built from sensitive fields are blind indexes.
/// </summary>
public sealed class FieldProtection(DictionaryDefinition dictionary, KeyMaterial keys)
{
    private readonly HashSet<string> _sensitive = dictionary.Fields
        .Where(f => f.Classification == Classification.Sensitive).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

    public KeyMaterial Keys => keys;

    public bool IsSensitive(string field) => _sensitive.Contains(field);

    public string? Protect(string field, string? value) =>
        value is null || !_sensitive.Contains(field) || FieldCipher.IsEncrypted(value) ? value : keys.Cipher.Encrypt(value, field);

    public string? Reveal(string field, string? value) =>
        value is not null && FieldCipher.IsEncrypted(value) ? keys.Cipher.Decrypt(value, field) : value;

    /// <summary>Canonical values (field → value) as stored JSON.</summary>
    public string SerializeValues(IReadOnlyDictionary<string, string?> values)
    {
        if (_sensitive.Count == 0 || !values.Keys.Any(_sensitive.Contains))
            return JsonDefaults.Serialize(values);
        return JsonDefaults.Serialize(values.ToDictionary(p => p.Key, p => Protect(p.Key, p.Value), StringComparer.Ordinal));
    }

    public Dictionary<string, string?> DeserializeValues(string json)
    {
        var values = JsonDefaults.Deserialize<Dictionary<string, string?>>(json);
        foreach (var key in values.Keys.Where(k => FieldCipher.IsEncrypted(values[k])).ToList())
            values[key] = Reveal(key, values[key]);
        return values;
    }

    /// <summary>A person's resolved values with provenance as stored JSON.</summary>
    public string SerializeResolved(IReadOnlyDictionary<string, ResolvedValue> values)
    {
        if (_sensitive.Count == 0 || !values.Keys.Any(_sensitive.Contains))
            return JsonDefaults.Serialize(values);
        return JsonDefaults.Serialize(values.ToDictionary(p => p.Key, p => _sensitive.Contains(p.Key) ? p.Value with { Value = Protect(p.Key, p.Value.Value)! } : p.Value));
    }

    public Dictionary<string, ResolvedValue> DeserializeResolved(string json)
    {
        var values = JsonDefaults.Deserialize<Dictionary<string, ResolvedValue>>(json);
        foreach (var key in values.Keys.Where(k => FieldCipher.IsEncrypted(values[k].Value)).ToList())
            values[key] = values[key] with { Value = Reveal(key, values[key].Value)! };
        return values;
    }

    public string SerializeHeld(HeldRecord record) =>
        JsonDefaults.Serialize(record with { Values = record.Values.ToDictionary(p => p.Key, p => Protect(p.Key, p.Value), StringComparer.Ordinal) });

    public HeldRecord DeserializeHeld(string json)
    {
        var held = JsonDefaults.Deserialize<HeldRecord>(json);
        return held with { Values = held.Values.ToDictionary(p => p.Key, p => Reveal(p.Key, p.Value), StringComparer.Ordinal) };
    }

    /// <summary>A native row for the quarantine: columns bound to sensitive fields are encrypted under
    /// their native column name, the rest stays readable so the row can be fixed.</summary>
    public string SerializeNative(SystemDefinition system, IReadOnlyDictionary<string, string?> native)
    {
        var sensitiveColumns = dictionary.Fields.Where(f => _sensitive.Contains(f.Name))
            .Select(f => f.BindingFor(system.Id)?.Native).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return JsonDefaults.Serialize(native.ToDictionary(p => p.Key,
            p => p.Value is not null && sensitiveColumns.Contains(p.Key) ? keys.Cipher.Encrypt(p.Value, p.Key) : p.Value, StringComparer.Ordinal));
    }

    public Dictionary<string, string?> DeserializeNative(string json)
    {
        var values = JsonDefaults.Deserialize<Dictionary<string, string?>>(json);
        foreach (var key in values.Keys.Where(k => FieldCipher.IsEncrypted(values[k])).ToList())
            values[key] = keys.Cipher.Decrypt(values[key]!, key);
        return values;
    }

    /// <summary>The values correlation sees: sensitive fields as blind indexes, so a key on a national
    /// id is stored and looked up without the id itself.</summary>
    public IReadOnlyDictionary<string, string?> ForCorrelation(IReadOnlyDictionary<string, string?> values)
    {
        if (_sensitive.Count == 0 || !values.Keys.Any(_sensitive.Contains))
            return values;
        return values.ToDictionary(p => p.Key, p => p.Value is not null && _sensitive.Contains(p.Key) ? keys.Blind.Hash(p.Key, p.Value) : p.Value, StringComparer.Ordinal);
    }
}
