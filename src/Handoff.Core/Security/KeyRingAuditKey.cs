using System.Security.Cryptography;
using System.Text;
using Handoff.Core.Audit;

namespace Handoff.Core.Security;

/// <summary>
/// The audit log's checkpoint key, derived from the key ring's blind-index key (HMAC-SHA256 with a
/// fixed label): one secret to keep and back up, and — because the blind-index key is not rotated with
/// the data keys — checkpoints signed years ago still verify after any number of key rotations.
/// </summary>
public sealed class KeyRingAuditKey(KeyRing ring) : IAuditSigningKey
{
    public string KeyId => "ring-audit-v1";

    public byte[] Key { get; } = HMACSHA256.HashData(ring.BlindIndexKey, Encoding.UTF8.GetBytes("handoff/audit-checkpoints/v1"));
}
