namespace Handoff.Data.Security;

/// <summary>A fingerprint of a key the database holds data under (HMAC of a fixed label under the
/// key), so a different key ring is refused at start-up. The key itself is never stored here.</summary>
public sealed class KeyCheckRow
{
    public string KeyId { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An API token for an inbound system (webhooks, SCIM). Only its SHA-256 is stored; the
/// token text is shown once, when it is created.</summary>
public sealed class ApiTokenRow
{
    public long Id { get; set; }
    public string System { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>Space-separated, e.g. <c>hooks:write scim:read</c>.</summary>
    public string Scopes { get; set; } = "";
    /// <summary>Lower-case hex SHA-256 of the token text.</summary>
    public string Hash { get; set; } = "";
    /// <summary>The token's first characters (<c>hoff_</c> + 8), to recognise it in lists and logs.</summary>
    public string Prefix { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}
