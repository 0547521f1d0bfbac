namespace Handoff.Core.Connectors;

/// <summary>
/// A connected IT system that Handoff writes to (a directory, a SCIM app, ticketing, mail), modelled
/// on midPoint's connector contract: test, schema, read, apply. Optional abilities are separate
/// interfaces (<see cref="IChangeFeed"/>, <see cref="IUniqueValueLookup"/>,
/// <see cref="IOperationValidator"/>) that the engine asks for with a type check.
/// </summary>
/// <remarks>
/// Implementations must be safe to call from several workers at once. Every write carries an
/// idempotency key (run id + step id) and a stable anchor (the person's employee id): a connector
/// that is asked again to apply an operation it already applied — because the process died between
/// the write and the commit of the step — recognises its own earlier write and reports
/// <see cref="TargetOperationResult.AlreadyApplied"/> instead of writing twice.
/// </remarks>
public interface ITargetConnector
{
    /// <summary>The workspace id of the system this connector talks to.</summary>
    string SystemId { get; }

    /// <summary>Checks that the system is reachable and the credentials work.</summary>
    Task<ConnectionCheck> TestAsync(CancellationToken ct);

    /// <summary>The object classes and attributes the system has, for validation and drift detection.</summary>
    Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct);

    /// <summary>Streams every object of one class (paged underneath where the system pages).</summary>
    IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, CancellationToken ct);

    /// <summary>Applies one write. Throws <see cref="ConnectorException"/> on failure, with
    /// <see cref="ConnectorException.IsTransient"/> telling the engine whether a retry can help.</summary>
    Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct);
}

/// <summary>Capability: changes since a token (incremental reads for reconciliation and drift).</summary>
public interface IChangeFeed
{
    Task<TargetChanges> GetChangesAsync(string? token, CancellationToken ct);
}

/// <summary>Capability: whether a value of a unique attribute (a username, a mail address) is already
/// taken in the system — used to pick <c>john.smith2</c> when <c>john.smith</c> exists.</summary>
public interface IUniqueValueLookup
{
    /// <param name="attribute">the operation-level attribute name, e.g. <see cref="AccountAttributes.Username"/></param>
    ValueTask<bool> IsTakenAsync(string objectClass, string attribute, string value, CancellationToken ct);

    /// <summary>Taken by someone else: a value held only by the object that carries <paramref name="anchor"/>
    /// is the person's own (an earlier create whose commit was lost when the process died) and is not
    /// taken, so the retried create asks for the same name and finds its own object instead of
    /// making a second one under the next free name. Systems without anchors answer as <see cref="IsTakenAsync"/>.</summary>
    ValueTask<bool> IsTakenByOthersAsync(string objectClass, string attribute, string value, string? anchor, CancellationToken ct) =>
        IsTakenAsync(objectClass, attribute, value, ct);

    /// <summary>The longest value the system accepts for the attribute (20 for an AD sAMAccountName), if limited.</summary>
    int? MaxLength(string objectClass, string attribute);
}

/// <summary>Capability: checks an operation against the system's constraints without writing
/// (required attributes, lengths, uniqueness). Simulation uses it to say which writes would fail.</summary>
public interface IOperationValidator
{
    Task<IReadOnlyList<string>> ValidateAsync(TargetOperation operation, CancellationToken ct);
}

/// <summary>Finds the connector for a system of the active workspace.</summary>
public interface ITargetConnectorSource
{
    /// <summary>The connector for a target system, or null when the system is not a target or is unknown.</summary>
    ITargetConnector? Find(string systemId);
}

public enum TargetOperationKind
{
    Create,
    Update,
    Enable,
    Disable,
    SetExpiry,
    Move,
    AddToGroups,
    RemoveFromGroups,
    SetPassword,
    Delete,
    CreateTicket,
    SendMail,
    /// <summary>An HTTP request to a custom extension (<see cref="HttpAttributes"/>).</summary>
    Call,
}

/// <summary>
/// One write into a target system.
/// </summary>
/// <param name="Kind">what to do</param>
/// <param name="ObjectClass">"account", "ticket" or "message" (see <see cref="ObjectClasses"/>)</param>
/// <param name="NativeId">the target's id of the existing object (from the link row), null on create</param>
/// <param name="Anchor">a stable value that identifies the person in the target (the employee id);
/// a create that finds an object with this anchor counts as already applied</param>
/// <param name="Attributes">operation-level attributes (<see cref="AccountAttributes"/>) and native
/// attribute names as the step's <c>attributes:</c> input gave them; values are strings, booleans,
/// dates (<see cref="DateOnly"/>), or lists of strings</param>
/// <param name="IdempotencyKey">run id + step id; the same key is sent again when a step is retried</param>
public sealed record TargetOperation(
    TargetOperationKind Kind,
    string ObjectClass,
    string? NativeId,
    string? Anchor,
    IReadOnlyDictionary<string, object?> Attributes,
    string IdempotencyKey)
{
    public object? this[string attribute] => Attributes.TryGetValue(attribute, out var v) ? v : null;

    /// <summary>True for writes a threshold counts (disables and deletes).</summary>
    public bool IsDestructive => Kind is TargetOperationKind.Disable or TargetOperationKind.Delete;
}

public static class ObjectClasses
{
    public const string Account = "account";
    public const string Ticket = "ticket";
    public const string Message = "message";
    public const string Request = "request";
}

/// <summary>Attributes of a <see cref="TargetOperationKind.Call"/>.</summary>
public static class HttpAttributes
{
    public const string Method = "method";
    /// <summary>Appended to the system's base URL.</summary>
    public const string Path = "path";
    /// <summary>The JSON body, as text.</summary>
    public const string Body = "body";
}

/// <summary>Operation-level attribute names every account connector understands; each dialect maps
/// them to its own (AD: sAMAccountName, userAccountControl, accountExpires, distinguishedName …).
/// Any other key is a native attribute name written as given.</summary>
public static class AccountAttributes
{
    public const string Username = "username";
    public const string DisplayName = "display_name";
    public const string GivenName = "given_name";
    public const string Surname = "surname";
    public const string Email = "email";
    public const string Enabled = "enabled";
    /// <summary>Last day the account may be used (<see cref="DateOnly"/>); null = never expires.</summary>
    public const string Expires = "expires";
    /// <summary>Where the account lives: an OU / container path such as <c>ou=Sales,ou=People</c>.</summary>
    public const string Container = "container";
    /// <summary>Group names. For <see cref="TargetOperationKind.RemoveFromGroups"/> an empty list means every group.</summary>
    public const string Groups = "groups";
    public const string Password = "password";
    public const string Manager = "manager";
}

/// <summary>Ticket and mail attribute names (ticketing and mail connectors).</summary>
public static class MessageAttributes
{
    public const string Title = "title";
    public const string Body = "body";
    public const string Queue = "queue";
    public const string Due = "due";
    public const string To = "to";
    public const string Subject = "subject";
    public const string Template = "template";
    /// <summary>Further values a mail template may use (a map of name → text).</summary>
    public const string Values = "values";
}

/// <param name="NativeId">the target's id of the object written (a DN, a SCIM id, a ticket number)</param>
/// <param name="AlreadyApplied">the connector found its own earlier write and did not write again</param>
/// <param name="Outputs">values later steps may use (e.g. the username finally chosen)</param>
public sealed record TargetOperationResult(string? NativeId, bool AlreadyApplied, IReadOnlyDictionary<string, object?> Outputs)
{
    public static TargetOperationResult Done(string? nativeId, IReadOnlyDictionary<string, object?>? outputs = null) =>
        new(nativeId, false, outputs ?? new Dictionary<string, object?>());
}

public enum ConnectorFailure
{
    /// <summary>The system cannot be reached or answered "busy": retry later.</summary>
    Unavailable,
    /// <summary>The call took too long: retry later.</summary>
    Timeout,
    /// <summary>A unique value is taken, or the object is in a state that forbids the write.</summary>
    Conflict,
    /// <summary>A required attribute is missing, a value too long or of the wrong type.</summary>
    SchemaViolation,
    /// <summary>The object the operation names does not exist.</summary>
    NotFound,
    /// <summary>The system refused the credentials or the operation.</summary>
    Denied,
}

/// <summary>A failed connector call, classified so the engine knows whether retrying can help.</summary>
public sealed class ConnectorException(string systemId, ConnectorFailure failure, string message, Exception? inner = null)
    : Exception($"{systemId}: {message}", inner)
{
    public string SystemId { get; } = systemId;

    public ConnectorFailure Failure { get; } = failure;

    public bool IsTransient => Failure is ConnectorFailure.Unavailable or ConnectorFailure.Timeout;
}

public sealed record ConnectionCheck(bool Ok, string Message, TimeSpan Elapsed);

public sealed record TargetSchema(IReadOnlyList<TargetObjectClass> ObjectClasses);

public sealed record TargetObjectClass(string Name, IReadOnlyList<TargetAttribute> Attributes);

public sealed record TargetAttribute(string Name, string Type, bool Required, bool MultiValued, bool Unique, int? MaxLength);

/// <summary>An object read from a target: its native id, its anchor (employee id) when it has one,
/// and its attributes (operation-level names where the connector maps them).</summary>
public sealed record TargetObject(string ObjectClass, string NativeId, string? Anchor, IReadOnlyDictionary<string, object?> Attributes);

public sealed record TargetChanges(IReadOnlyList<TargetObject> Changed, IReadOnlyList<string> Deleted, string NextToken);
