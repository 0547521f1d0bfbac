namespace Handoff.Core.Audit;

/// <summary>The key that signs audit checkpoints: <see cref="Security.KeyRingAuditKey"/>, derived from
/// the installation's key ring.</summary>
public interface IAuditSigningKey
{
    /// <summary>Stored with each checkpoint, so a checkpoint is verified with the key that signed it.</summary>
    string KeyId { get; }

    /// <summary>The HMAC-SHA256 key (32 bytes).</summary>
    byte[] Key { get; }
}
