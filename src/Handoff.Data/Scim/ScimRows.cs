namespace Handoff.Data.Scim;

/// <summary>
/// A resource (User or Group) as a SCIM client wrote it to Handoff's SCIM server, for one source
/// system. <see cref="Json"/> is the resource without <c>meta</c> (encrypted as a whole when the
/// system binds a sensitive field); the columns beside it are what lists and filters need without
/// opening it. A deleted resource stays as a tombstone (<see cref="DeletedAt"/>): the person it fed is
/// terminated, never erased, and the SCIM id is never reused.
/// </summary>
public sealed class ScimResourceRow
{
    public Guid Id { get; set; }
    public string System { get; set; } = "";

    /// <summary><c>User</c> or <c>Group</c>.</summary>
    public string ResourceType { get; set; } = "";

    /// <summary>userName of a User, displayName of a Group, as written.</summary>
    public string Name { get; set; } = "";

    /// <summary><see cref="Name"/> in lower case: userName is unique per system and compared case-insensitively (RFC 7643 §4.1.1).</summary>
    public string NameKey { get; set; } = "";

    public string? ExternalId { get; set; }
    public string Json { get; set; } = "{}";

    /// <summary>Incremented on every write; the ETag is <c>W/"version"</c>.</summary>
    public long Version { get; set; }

    /// <summary>Stored but not yet taken through the source pipeline: true between the write and its
    /// sync, so a crash in between is repaired by the next write of the system (nothing lost).</summary>
    public bool SyncPending { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
}

/// <summary>One member of a SCIM group (a User or a Group id), so a user's read-only <c>groups</c>
/// attribute is one indexed query.</summary>
public sealed class ScimMemberRow
{
    public Guid GroupId { get; set; }
    public Guid MemberId { get; set; }
    public string System { get; set; } = "";
    public string? Type { get; set; }
}
