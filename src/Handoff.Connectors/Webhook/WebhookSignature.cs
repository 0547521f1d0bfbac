using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Handoff.Connectors.Webhook;

/// <summary>
/// HMAC-SHA256 webhook signatures. The sender signs <c>"{timestamp}.{idempotency key}.{raw body}"</c>
/// with the system's secret and sends <c>X-Handoff-Timestamp: &lt;unix seconds&gt;</c>,
/// <c>Idempotency-Key: &lt;key&gt;</c> (exactly the signed text; empty when a hook takes none) and
/// <c>X-Handoff-Signature: sha256=&lt;hex&gt;</c>. Signing the timestamp means an old delivery cannot be
/// replayed with a fresh timestamp; signing the key means a captured delivery cannot be resent inside
/// the five-minute window as a new one under a fresh key (the receiver keeps one delivery per key).
/// </summary>
public static class WebhookSignature
{
    public const string TimestampHeader = "X-Handoff-Timestamp";
    public const string SignatureHeader = "X-Handoff-Signature";
    public const string IdempotencyHeader = "Idempotency-Key";
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static string Sign(string secret, long timestamp, string idempotencyKey, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + idempotencyKey + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    /// <summary>Checks a delivery; returns null when it is genuine and fresh, else why not.
    /// <paramref name="idempotencyKey"/> is the <c>Idempotency-Key</c> header as received (null or empty
    /// when absent: then the sender signed <c>"{timestamp}..{body}"</c>).</summary>
    public static string? Verify(string secret, string? timestampHeader, string? signatureHeader, string? idempotencyKey, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(timestampHeader) || !long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
            return $"missing or invalid {TimestampHeader} header (unix seconds expected)";
        if (string.IsNullOrWhiteSpace(signatureHeader))
            return $"missing {SignatureHeader} header";
        var sent = DateTimeOffset.FromUnixTimeSeconds(timestamp);
        if ((now - sent).Duration() > Tolerance)
            return $"timestamp {sent:u} is more than {Tolerance.TotalMinutes:0} minutes from now: refused as a possible replay";
        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, idempotencyKey ?? "", body));
        var actual = Encoding.ASCII.GetBytes(signatureHeader.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? null
            : $"signature does not match the timestamp, {IdempotencyHeader} and body (expected sha256=HMAC-SHA256 of \"{{timestamp}}.{{{IdempotencyHeader}}}.{{body}}\")";
    }
}
