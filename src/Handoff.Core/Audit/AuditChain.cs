using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Handoff.Core.Audit;

/// <summary>The hash chain: canonical serialization, entry hashes and checkpoint signatures.</summary>
public static class AuditChain
{
    /// <summary>The previous hash of entry 1.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>Entry times are kept to the microsecond: PostgreSQL stores no finer, and the hash of
    /// an entry read back must equal the hash computed when it was written.</summary>
    public static DateTimeOffset Normalize(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % 10, TimeSpan.Zero);
    }

    /// <summary>Places a draft in the chain after the entry whose hash is <paramref name="previousHash"/>.</summary>
    public static AuditEntry Seal(AuditDraft draft, long sequence, string previousHash, DateTimeOffset now)
    {
        var entry = new AuditEntry(sequence, Normalize(draft.At ?? now), draft.Actor, draft.Action, draft.System,
            draft.ObjectType, draft.ObjectId, draft.Fields ?? [], draft.CorrelationId, previousHash, "");
        return entry with { Hash = ComputeHash(entry) };
    }

    /// <summary><c>hex(SHA-256(PreviousHash + canonical))</c>, the canonical form being UTF-8 JSON.</summary>
    public static string ComputeHash(AuditEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        buffer.Write(Encoding.ASCII.GetBytes(entry.PreviousHash));
        WriteCanonical(entry, buffer);
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>The canonical serialization: JSON without white space, properties in this fixed order,
    /// invariant number formats, times as UTC round-trip (<c>O</c>) strings, nulls written out. The
    /// hashes are not part of it.</summary>
    public static string Canonical(AuditEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        WriteCanonical(entry, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteCanonical(AuditEntry e, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false, SkipValidation = false });
        w.WriteStartObject();
        WriteProperties(e, w);
        w.WriteEndObject();
    }

    /// <summary>The entry's hashed properties in canonical order; the export writes the same ones
    /// (plus the hashes), so an exported line can be re-hashed to check it.</summary>
    public static void WriteProperties(AuditEntry e, Utf8JsonWriter w)
    {
        w.WriteNumber("sequence", e.Sequence);
        w.WriteString("at", e.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        w.WriteString("actor", e.Actor);
        w.WriteString("action", e.Action);
        w.WriteString("system", e.System);
        w.WriteString("object_type", e.ObjectType);
        w.WriteString("object_id", e.ObjectId);
        w.WriteStartArray("fields");
        foreach (var f in e.Fields)
        {
            w.WriteStartObject();
            w.WriteString("field", f.Field);
            w.WriteString("before", f.Before);
            w.WriteString("after", f.After);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("correlation_id", e.CorrelationId);
    }

    public static AuditCheckpoint SignCheckpoint(long sequence, string hash, IAuditSigningKey key, DateTimeOffset at) =>
        new(sequence, hash, key.KeyId, Sign(sequence, hash, key.Key), Normalize(at));

    public static bool IsValidSignature(AuditCheckpoint checkpoint, byte[] key) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(checkpoint.Sequence, checkpoint.Hash, key)),
            Encoding.ASCII.GetBytes(checkpoint.Signature));

    private static string Sign(long sequence, string hash, byte[] key) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"handoff-audit-checkpoint\n{sequence}\n{hash}"))));
}
