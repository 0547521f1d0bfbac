using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Handoff.Core.Security;

/// <summary>
/// A keyed hash for finding or comparing encrypted values without decrypting them: correlation on a
/// national id, the audit log's "before/after" of a sensitive field. HMAC-SHA256 under the ring's
/// blind-index key (not a data key, so it survives data-key rotation) over the context and the
/// normalized value (trimmed, Unicode NFC, lower-case invariant); the result is the 32-byte MAC as
/// base64url without padding (43 characters). Without the key it cannot be reversed by guessing, which
/// a plain hash of a national id could. Thread-safe.
/// </summary>
public sealed class BlindIndex(KeyRing ring)
{
    private const int StackLimit = 512;
    private readonly byte[] _key = ring.BlindIndexKey;

    /// <summary>The blind index of <paramref name="value"/> in <paramref name="context"/> (e.g. the
    /// field or correlation rule name: the same value in two contexts hashes differently).</summary>
    public string Hash(string context, string value)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(value);
        var normalized = Normalize(value);
        var length = Encoding.UTF8.GetByteCount(context) + 1 + Encoding.UTF8.GetByteCount(normalized);
        byte[]? rented = null;
        Span<byte> input = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(context, input);
            input[written++] = 0; // separator: ("ab", "c") and ("a", "bc") differ
            written += Encoding.UTF8.GetBytes(normalized, input[written..]);
            Span<byte> mac = stackalloc byte[32];
            HMACSHA256.HashData(_key, input[..written], mac);
            return Base64Url.EncodeToString(mac);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    internal static string Normalize(string value)
    {
        var trimmed = value.Trim();
        if (!trimmed.IsNormalized(NormalizationForm.FormC))
            trimmed = trimmed.Normalize(NormalizationForm.FormC);
        return trimmed.ToLowerInvariant();
    }
}
