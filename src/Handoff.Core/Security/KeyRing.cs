using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Handoff.Core.Security;

/// <summary>
/// The keys that protect sensitive values at rest: named 256-bit data keys (<c>k1</c>, <c>k2</c>…), one of
/// them current for new ciphertexts, plus a separate key for blind indexes (keyed lookups). The ring
/// lives outside the database (<see cref="KeyRingStore"/>); the database only keeps a fingerprint of each
/// key (<c>key_checks</c>) so a different ring is refused at start-up instead of producing garbage.
/// Immutable: rotation builds a new ring.
/// </summary>
public sealed partial class KeyRing
{
    public const int KeySize = 32;
    private readonly Dictionary<string, byte[]> _keys;

    private KeyRing(Dictionary<string, byte[]> keys, string currentKeyId, byte[] blindIndexKey, DateTimeOffset createdAt)
    {
        _keys = keys;
        CurrentKeyId = currentKeyId;
        BlindIndexKey = blindIndexKey;
        CreatedAt = createdAt;
    }

    /// <summary>The key new ciphertexts are made with.</summary>
    public string CurrentKeyId { get; }

    /// <summary>Every data key id, in order (k1, k2, …).</summary>
    public IReadOnlyList<string> KeyIds => [.. _keys.Keys.OrderBy(k => k.Length).ThenBy(k => k, StringComparer.Ordinal)];

    public DateTimeOffset CreatedAt { get; }

    internal byte[] BlindIndexKey { get; }

    public bool Contains(string keyId) => _keys.ContainsKey(keyId);

    internal bool TryGetKey(string keyId, out byte[] key) => _keys.TryGetValue(keyId, out key!);

    internal bool TryGetKey(ReadOnlySpan<char> keyId, out string id, out byte[] key)
    {
        var lookup = _keys.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(keyId, out id!, out key!);
    }

    /// <summary>A new ring with one random data key (<c>k1</c>) and a random blind-index key.</summary>
    public static KeyRing Generate(TimeProvider? clock = null) =>
        new(new Dictionary<string, byte[]>(StringComparer.Ordinal) { ["k1"] = RandomNumberGenerator.GetBytes(KeySize) }, "k1",
            RandomNumberGenerator.GetBytes(KeySize), (clock ?? TimeProvider.System).GetUtcNow());

    /// <summary>This ring plus a new random key (the next <c>kN</c>) that becomes current.</summary>
    public KeyRing WithNewCurrentKey()
    {
        var next = _keys.Keys.Select(k => KeyNumber().Match(k) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0).DefaultIfEmpty(0).Max() + 1;
        var id = $"k{next}";
        var keys = new Dictionary<string, byte[]>(_keys, StringComparer.Ordinal) { [id] = RandomNumberGenerator.GetBytes(KeySize) };
        return new KeyRing(keys, id, BlindIndexKey, CreatedAt);
    }

    /// <summary>This ring without a retired key. The current key cannot be removed.</summary>
    public KeyRing WithoutKey(string keyId)
    {
        if (keyId == CurrentKeyId)
            throw new KeyRingException($"key '{keyId}' is the current key and cannot be removed");
        var keys = new Dictionary<string, byte[]>(_keys, StringComparer.Ordinal);
        keys.Remove(keyId);
        return new KeyRing(keys, CurrentKeyId, BlindIndexKey, CreatedAt);
    }

    /// <summary>A fingerprint of a key that proves which key it is without revealing it:
    /// HMAC-SHA256 of a fixed label under the key. Stored in <c>key_checks</c>.</summary>
    public string Fingerprint(string keyId)
    {
        var key = keyId == BlindIndexKeyId ? BlindIndexKey
            : _keys.TryGetValue(keyId, out var k) ? k : throw new KeyRingException($"key '{keyId}' is not in the key ring");
        return Convert.ToBase64String(HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes("handoff/key-check/v1/" + keyId)));
    }

    /// <summary>The id under which the blind-index key's fingerprint is kept.</summary>
    public const string BlindIndexKeyId = "blind-index";

    public string ToJson()
    {
        var file = new KeyRingFile
        {
            Version = 1,
            Current = CurrentKeyId,
            CreatedAt = CreatedAt,
            Keys = KeyIds.ToDictionary(k => k, k => Convert.ToBase64String(_keys[k])),
            BlindIndexKey = Convert.ToBase64String(BlindIndexKey),
        };
        return JsonSerializer.Serialize(file, FileJson);
    }

    /// <summary>Reads a ring from its JSON form; <paramref name="origin"/> names where it came from in errors.</summary>
    public static KeyRing FromJson(string json, string origin)
    {
        KeyRingFile? file;
        try
        {
            file = JsonSerializer.Deserialize<KeyRingFile>(json, FileJson);
        }
        catch (JsonException e)
        {
            throw new KeyRingException($"the key ring in {origin} is not valid JSON: {e.Message}");
        }
        if (file is null || file.Version != 1)
            throw new KeyRingException($"the key ring in {origin} has an unknown format (expected \"version\": 1)");
        if (file.Keys is null || file.Keys.Count == 0)
            throw new KeyRingException($"the key ring in {origin} holds no keys");
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, value) in file.Keys)
        {
            if (!ValidKeyId().IsMatch(id))
                throw new KeyRingException($"the key ring in {origin} has an invalid key id '{id}' (letters, digits and '-', at most 32)");
            keys[id] = DecodeKey(value, $"key '{id}'", origin);
        }
        if (file.Current is null || !keys.ContainsKey(file.Current))
            throw new KeyRingException($"the key ring in {origin} names current key '{file.Current}', which it does not hold");
        var blind = DecodeKey(file.BlindIndexKey, "blind_index_key", origin);
        return new KeyRing(keys, file.Current, blind, file.CreatedAt);
    }

    private static byte[] DecodeKey(string? value, string what, string origin)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(value ?? "");
        }
        catch (FormatException)
        {
            throw new KeyRingException($"the key ring in {origin}: {what} is not base64");
        }
        if (key.Length != KeySize)
            throw new KeyRingException($"the key ring in {origin}: {what} has {key.Length} bytes, expected {KeySize}");
        return key;
    }

    [GeneratedRegex("^[A-Za-z0-9-]{1,32}$")]
    private static partial Regex ValidKeyId();

    [GeneratedRegex("^k([0-9]+)$")]
    private static partial Regex KeyNumber();

    private static readonly JsonSerializerOptions FileJson = new() { WriteIndented = true };

    private sealed class KeyRingFile
    {
        [JsonPropertyName("version")] public int Version { get; set; }
        [JsonPropertyName("current")] public string? Current { get; set; }
        [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }
        [JsonPropertyName("keys")] public Dictionary<string, string>? Keys { get; set; }
        [JsonPropertyName("blind_index_key")] public string? BlindIndexKey { get; set; }
    }
}

/// <summary>The key ring is missing, unreadable, unsafe or not the one the data was encrypted with.
/// The message says what to do; nothing was changed.</summary>
public class KeyRingException(string message) : Exception(message);
