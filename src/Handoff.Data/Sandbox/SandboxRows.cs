namespace Handoff.Data.Sandbox;

/// <summary>One object of a sandbox target system (an account, a ticket, a sent message), stored in
/// Handoff's own database. The unique indexes on it are the target's real constraints: one username
/// per system, one native id (DN, SCIM id, ticket number) per system.</summary>
public sealed class SandboxObjectRow
{
    public long Id { get; set; }
    public string SystemId { get; set; } = "";
    /// <summary>account, ticket or message.</summary>
    public string ObjectClass { get; set; } = "";
    /// <summary>The target's id: a DN, a GUID, a ticket number, a message id.</summary>
    public string NativeId { get; set; } = "";
    /// <summary>The person's employee id (AD employeeID, LDAP employeeNumber, SCIM externalId).</summary>
    public string? Anchor { get; set; }
    /// <summary>The value unique per system and class, lower-cased where the target compares without
    /// case (usernames); the ticket number for tickets.</summary>
    public string? UniqueValue { get; set; }
    /// <summary>The native attributes (the dialect's names) as a JSON object; never a password.</summary>
    public string AttributesJson { get; set; } = "{}";
    public bool Enabled { get; set; } = true;
    /// <summary>Last day the account may be used; null = never expires.</summary>
    public DateOnly? Expires { get; set; }
    /// <summary>The OU / container path (<c>OU=People</c>), for directories.</summary>
    public string? Container { get; set; }
    /// <summary>Group names as a JSON array.</summary>
    public string GroupsJson { get; set; } = "[]";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>The idempotency key of the write that created the object (run id + step id).</summary>
    public string? IdempotencyKey { get; set; }
    /// <summary>Optimistic concurrency: two writers of one object cannot lose each other's change.</summary>
    public int Version { get; set; }
}

/// <summary>A group of a sandbox directory or app. Groups are created on first use unless the
/// system's config says <c>groups_must_exist: true</c>.</summary>
public sealed class SandboxGroupRow
{
    public long Id { get; set; }
    public string SystemId { get; set; } = "";
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A counter per system (ticket numbers), incremented inside the writing transaction.</summary>
public sealed class SandboxSequenceRow
{
    public string SystemId { get; set; } = "";
    public string Name { get; set; } = "";
    public long Last { get; set; }
}

/// <summary>A fault injected into a sandbox system: the next calls fail or slow down the way a real
/// system does, for a number of calls or until a time.</summary>
public sealed class SandboxFaultRow
{
    public long Id { get; set; }
    public string SystemId { get; set; } = "";
    /// <summary>An operation name (<c>create</c>, <c>send_mail</c>, <c>read</c>) or <c>*</c> for every write.</summary>
    public string Operation { get; set; } = "*";
    /// <summary>down, slow, schema_violation or conflict (<see cref="SandboxFaultMode"/>).</summary>
    public string Mode { get; set; } = "";
    /// <summary>How many more calls it affects; null = no limit.</summary>
    public int? Remaining { get; set; }
    /// <summary>When it stops; null = until cleared or its count runs out.</summary>
    public DateTimeOffset? Until { get; set; }
    public int DelayMs { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
