using System.Text.Json;
using System.Text.Json.Nodes;
using Handoff.Core.Security;

namespace Handoff.Data.Security;

/// <summary>
/// Finds ciphertexts anywhere in a JSON column: every string value that starts with <c>enc:v1:</c>,
/// at any depth. A value's context (its associated data) is the name of a property that encloses it —
/// the field name: <c>{"national_id": "enc:…"}</c> in source records, <c>{"national_id": {"v": "enc:…"}}</c>
/// on people — so the names are tried from the innermost outwards and the one that authenticates is the
/// one the value was made with. Rotation keeps that context; it never moves a value to another one.
/// </summary>
internal static class EncryptedJson
{
    /// <summary>Counts ciphertexts per key id.</summary>
    public static void CountKeys(string json, Dictionary<string, long> counts)
    {
        if (JsonNode.Parse(json) is not { } root)
            return;
        Walk(root, [], (value, _) =>
        {
            var keyId = FieldCipher.KeyIdOf(value) ?? "?";
            counts[keyId] = counts.GetValueOrDefault(keyId) + 1;
            return null;
        });
    }

    /// <summary>The JSON with every ciphertext not under the current key re-encrypted under it (same
    /// context), or null when there was none. <paramref name="where"/> names the row in errors.</summary>
    public static string? ReEncrypt(string json, FieldCipher cipher, string where, out int changed)
    {
        changed = 0;
        if (JsonNode.Parse(json) is not { } root)
            return null;
        var current = cipher.Ring.CurrentKeyId;
        var count = 0;
        Walk(root, [], (value, names) =>
        {
            if (FieldCipher.KeyIdOf(value) == current)
                return null;
            FieldDecryptionException? failure = null;
            for (var i = names.Count - 1; i >= 0; i--)
            {
                if (cipher.TryDecrypt(value, names[i], out var plaintext, out failure))
                {
                    count++;
                    return cipher.Encrypt(plaintext, names[i]);
                }
                if (failure?.KeyId is { } id && !cipher.Ring.Contains(id))
                    break;
            }
            throw new KeyRotationException($"{where} at /{string.Join('/', names)}: {failure?.Message ?? "a ciphertext outside any property"}");
        });
        changed = count;
        return count == 0 ? null : root.ToJsonString(JsonDefaults.Options);
    }

    /// <summary>Calls <paramref name="visit"/> for each ciphertext with the enclosing property names
    /// (outermost first); a non-null result replaces the value.</summary>
    private static void Walk(JsonNode node, List<string> names, Func<string, List<string>, string?> visit)
    {
        switch (node)
        {
            case JsonObject obj:
                List<(string, string)>? replaced = null;
                foreach (var (name, child) in obj)
                {
                    if (child is null)
                        continue;
                    names.Add(name);
                    if (Ciphertext(child) is { } text)
                    {
                        if (visit(text, names) is { } replacement)
                            (replaced ??= []).Add((name, replacement));
                    }
                    else
                    {
                        Walk(child, names, visit);
                    }
                    names.RemoveAt(names.Count - 1);
                }
                foreach (var (name, replacement) in replaced ?? [])
                    obj[name] = replacement;
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is not { } child)
                        continue;
                    if (Ciphertext(child) is { } text)
                    {
                        if (visit(text, names) is { } replacement)
                            array[i] = replacement;
                    }
                    else
                    {
                        Walk(child, names, visit);
                    }
                }
                break;
        }
    }

    private static string? Ciphertext(JsonNode node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.TryGetValue<string>(out var s) && FieldCipher.IsEncrypted(s) ? s : null;
}

/// <summary>Rotation stopped at a value it could not re-encrypt; the message names the row and path.
/// Everything committed before it stays; run the rotation again after fixing the cause.</summary>
public sealed class KeyRotationException(string message) : Exception(message);
