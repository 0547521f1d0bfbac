using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Handoff.Core.Security;

/// <summary>
/// Encrypts one field value with AES-256-GCM under the ring's current key. The text form records the
/// key id, so keys rotate without downtime: <c>enc:v1:&lt;keyId&gt;:&lt;base64(nonce‖ciphertext‖tag)&gt;</c>
/// (12-byte random nonce, 16-byte tag). The <c>context</c> — by convention the dictionary field name,
/// e.g. <c>national_id</c> — is authenticated as associated data: a ciphertext copied into another
/// field fails to decrypt instead of showing up there. Thread-safe; one instance per ring.
/// </summary>
public sealed class FieldCipher
{
    public const string Prefix = "enc:v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int StackLimit = 512;

    private readonly KeyRing _ring;
    // AesGcm instances are not safe to share between threads; a small pool per key avoids creating
    // one (and its native context) per value.
    private readonly ConcurrentDictionary<string, ConcurrentBag<AesGcm>> _pools = new(StringComparer.Ordinal);

    public FieldCipher(KeyRing ring) => _ring = ring;

    public KeyRing Ring => _ring;

    /// <summary>True when the value is a ciphertext of this format (any key).</summary>
    public static bool IsEncrypted(string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The key id a ciphertext was made with, or null for a value that is not one.</summary>
    public static string? KeyIdOf(string? value)
    {
        if (!IsEncrypted(value))
            return null;
        var end = value!.IndexOf(':', Prefix.Length);
        return end < 0 ? null : value[Prefix.Length..end];
    }

    /// <summary>Encrypts under the current key.</summary>
    public string Encrypt(string plaintext, string context)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(context);
        var keyId = _ring.CurrentKeyId;
        _ring.TryGetKey(keyId, out var key);

        var plainLength = Encoding.UTF8.GetByteCount(plaintext);
        var sealedLength = NonceSize + plainLength + TagSize;
        var aadLength = Encoding.UTF8.GetByteCount(context);
        byte[]? rented = null;
        var total = plainLength + sealedLength + aadLength;
        Span<byte> buffer = total <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(total));
        try
        {
            var plain = buffer[..plainLength];
            var sealedBytes = buffer.Slice(plainLength, sealedLength);
            var aad = buffer.Slice(plainLength + sealedLength, aadLength);
            Encoding.UTF8.GetBytes(plaintext, plain);
            Encoding.UTF8.GetBytes(context, aad);
            var nonce = sealedBytes[..NonceSize];
            RandomNumberGenerator.Fill(nonce);
            var aes = Rent(keyId, key);
            try
            {
                aes.Encrypt(nonce, plain, sealedBytes.Slice(NonceSize, plainLength), sealedBytes[^TagSize..], aad);
            }
            finally
            {
                Return(keyId, aes);
            }
            CryptographicOperations.ZeroMemory(plain);

            var textLength = Prefix.Length + keyId.Length + 1 + Base64.GetMaxEncodedToUtf8Length(sealedLength);
            char[]? rentedChars = null;
            Span<char> text = textLength <= StackLimit ? stackalloc char[StackLimit] : (rentedChars = ArrayPool<char>.Shared.Rent(textLength));
            Prefix.CopyTo(text);
            keyId.CopyTo(text[Prefix.Length..]);
            text[Prefix.Length + keyId.Length] = ':';
            Convert.TryToBase64Chars(sealedBytes, text[(Prefix.Length + keyId.Length + 1)..], out var base64Length);
            var result = new string(text[..(Prefix.Length + keyId.Length + 1 + base64Length)]);
            if (rentedChars is not null)
                ArrayPool<char>.Shared.Return(rentedChars);
            return result;
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    /// <summary>Decrypts a value made by <see cref="Encrypt"/> with the same context. Throws
    /// <see cref="FieldDecryptionException"/> naming the key id when the key is not in the ring or the
    /// value fails authentication (altered, moved from another field, or a different key under that id).</summary>
    public string Decrypt(string value, string context) =>
        TryDecrypt(value, context, out var plaintext, out var failure) ? plaintext : throw failure!;

    /// <summary>Cleartext values pass through; ciphertexts are decrypted. For columns where both
    /// may appear (data written before encryption was switched on).</summary>
    public string? DecryptIfEncrypted(string? value, string context) =>
        value is null || !IsEncrypted(value) ? value : Decrypt(value, context);

    /// <summary>Like <see cref="Decrypt"/> but reports failure instead of throwing.</summary>
    public bool TryDecrypt(string value, string context, out string plaintext, out FieldDecryptionException? failure)
    {
        plaintext = "";
        failure = null;
        if (!IsEncrypted(value))
        {
            failure = new FieldDecryptionException(null, context, "the value is not a Handoff ciphertext (enc:v1:…)");
            return false;
        }
        var span = value.AsSpan(Prefix.Length);
        var colon = span.IndexOf(':');
        if (colon <= 0)
        {
            failure = new FieldDecryptionException(null, context, "the ciphertext has no key id");
            return false;
        }
        var keyIdSpan = span[..colon];
        if (!_ring.TryGetKey(keyIdSpan, out var keyId, out var key))
        {
            failure = new FieldDecryptionException(keyIdSpan.ToString(), context,
                $"key '{keyIdSpan}' is not in the key ring (it holds {string.Join(", ", _ring.KeyIds)}); restore the key ring that holds it");
            return false;
        }
        var base64 = span[(colon + 1)..];
        var maxLength = base64.Length / 4 * 3;
        var aadLength = Encoding.UTF8.GetByteCount(context);
        var total = maxLength * 2 + aadLength;
        byte[]? rented = null;
        Span<byte> buffer = total <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(total));
        try
        {
            if (!Convert.TryFromBase64Chars(base64, buffer[..maxLength], out var sealedLength) || sealedLength < NonceSize + TagSize)
            {
                failure = new FieldDecryptionException(keyId, context, "the ciphertext is not valid base64 or is truncated");
                return false;
            }
            var sealedBytes = buffer[..sealedLength];
            var plainLength = sealedLength - NonceSize - TagSize;
            var plain = buffer.Slice(maxLength, plainLength);
            var aad = buffer.Slice(maxLength * 2, aadLength);
            Encoding.UTF8.GetBytes(context, aad);
            var aes = Rent(keyId, key);
            try
            {
                aes.Decrypt(sealedBytes[..NonceSize], sealedBytes.Slice(NonceSize, plainLength), sealedBytes[^TagSize..], plain, aad);
            }
            catch (AuthenticationTagMismatchException)
            {
                failure = new FieldDecryptionException(keyId, context,
                    $"the value encrypted under key '{keyId}' failed authentication for '{context}': it was altered, moved from another field, or the ring's '{keyId}' is a different key");
                return false;
            }
            finally
            {
                Return(keyId, aes);
            }
            plaintext = Encoding.UTF8.GetString(plain);
            CryptographicOperations.ZeroMemory(plain);
            return true;
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    /// <summary>The same plaintext and context under the current key (for rotation). A value already
    /// under the current key is returned as is.</summary>
    public string ReEncrypt(string value, string context) =>
        KeyIdOf(value) == _ring.CurrentKeyId ? value : Encrypt(Decrypt(value, context), context);

    private AesGcm Rent(string keyId, byte[] key) =>
        _pools.TryGetValue(keyId, out var pool) && pool.TryTake(out var aes) ? aes : new AesGcm(key, TagSize);

    private void Return(string keyId, AesGcm aes)
    {
        var pool = _pools.GetOrAdd(keyId, static _ => []);
        if (pool.Count < Environment.ProcessorCount * 2)
            pool.Add(aes);
        else
            aes.Dispose();
    }
}

/// <summary>A value could not be decrypted. Names the key id and the context, never the value.</summary>
public sealed class FieldDecryptionException(string? keyId, string context, string reason)
    : CryptographicException($"cannot decrypt {context}: {reason}")
{
    public string? KeyId { get; } = keyId;
    public string Context { get; } = context;
}
