using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data;
using Handoff.Data.Sandbox;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Connectors.Sandbox;

/// <summary>
/// A sandbox twin of a target system, stored in Handoff's own database (<c>sandbox_objects</c>): the
/// same schema and constraints as the real system (<see cref="SandboxDialect"/>), fault injection
/// (<see cref="SandboxFaults"/>), and the idempotency the engine relies on — a create that finds an
/// account with its anchor, or a ticket or mail with its idempotency key, reports
/// <see cref="TargetOperationResult.AlreadyApplied"/>.
/// </summary>
/// <remarks>
/// It models an external system: every write commits in its own context and transaction, never the
/// caller's, so a step's result and the write are separate commits exactly as with a real directory.
/// Writes that lose a race (the same username from two workers, the same row changed twice) are
/// re-checked against what the winner committed and end as <see cref="ConnectorFailure.Conflict"/>
/// or as already applied. Safe to call from several workers at once.
/// </remarks>
public sealed class SandboxConnector : ITargetConnector, IUniqueValueLookup, IOperationValidator
{
    private const int PageSize = 500;
    private const int Attempts = 5;
    private const string PasswordHashKey = "_passwordHash";

    private readonly Func<HandoffDbContext> _contexts;
    private readonly TimeProvider _clock;

    /// <param name="systemId">the workspace id of the system</param>
    /// <param name="settings">its kind and settings (<see cref="SandboxSettings.From"/>)</param>
    /// <param name="contexts">opens a new context on Handoff's database for each call</param>
    /// <param name="clock">the clock of expiries and faults (default: the system clock)</param>
    public SandboxConnector(string systemId, SandboxSettings settings, Func<HandoffDbContext> contexts, TimeProvider? clock = null)
    {
        SystemId = systemId;
        Settings = settings;
        Dialect = SandboxDialect.Find(settings.Kind)
            ?? throw new ArgumentException($"unknown sandbox kind \"{settings.Kind}\"; expected one of {string.Join(", ", SandboxDialect.Kinds)}", nameof(settings));
        _contexts = contexts;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The connector of a workspace system with <c>connector: sandbox</c>.</summary>
    public static SandboxConnector For(SystemDefinition system, DatabaseOptions database, TimeProvider? clock = null) =>
        new(system.Id, SandboxSettings.From(system), database.CreateContext, clock);

    public string SystemId { get; }

    public SandboxSettings Settings { get; }

    public SandboxDialect Dialect { get; }

    // ----------------------------------------------------------------------------------------------
    // test, schema, read
    // ----------------------------------------------------------------------------------------------

    public async Task<ConnectionCheck> TestAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await using var db = _contexts();
        if (await SandboxFaults.DownAsync(db, SystemId, _clock.GetUtcNow(), ct) is { } down)
            return new ConnectionCheck(false, $"{SystemId} is down (injected fault{Describe(down)})", Stopwatch.GetElapsedTime(started));
        var count = await db.SandboxObjects.CountAsync(o => o.SystemId == SystemId, ct);
        return new ConnectionCheck(true, $"sandbox {Dialect.Kind}: {count} object(s)", Stopwatch.GetElapsedTime(started));
    }

    public async Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct)
    {
        await ThrowIfDownAsync(ct);
        return Dialect.Schema();
    }

    /// <summary>Streams the objects of a class in pages of 500 (keyset paging, a short query per
    /// page): never the whole table in memory. Account systems also have the class <c>group</c>.</summary>
    public async IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, [EnumeratorCancellation] CancellationToken ct)
    {
        await ThrowIfDownAsync(ct);
        await InjectAsync(SandboxFaults.ReadOperation, ct);
        if (objectClass == "group" && Dialect is AccountDialect)
        {
            await foreach (var group in ReadGroupsAsync(ct))
                yield return group;
            yield break;
        }
        if (objectClass != Dialect.ObjectClass)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"no object class \"{objectClass}\" in a {Dialect.Kind} system (it has {Dialect.ObjectClass})");
        var after = 0L;
        while (true)
        {
            List<SandboxObjectRow> page;
            await using (var db = _contexts())
            {
                page = await db.SandboxObjects.AsNoTracking()
                    .Where(o => o.SystemId == SystemId && o.ObjectClass == objectClass && o.Id > after)
                    .OrderBy(o => o.Id).Take(PageSize).ToListAsync(ct);
            }
            foreach (var row in page)
                yield return ToTargetObject(row);
            if (page.Count < PageSize)
                yield break;
            after = page[^1].Id;
        }
    }

    private async IAsyncEnumerable<TargetObject> ReadGroupsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        List<string> names;
        await using (var db = _contexts())
            names = await db.SandboxGroups.AsNoTracking().Where(g => g.SystemId == SystemId).OrderBy(g => g.Id).Select(g => g.Name).ToListAsync(ct);
        foreach (var name in names.Concat(Settings.Groups.Except(names)))
            yield return new TargetObject("group", name, null, new Dictionary<string, object?> { ["name"] = name });
    }

    // ----------------------------------------------------------------------------------------------
    // apply, validate, lookups
    // ----------------------------------------------------------------------------------------------

    public async Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
    {
        if (Unsupported(operation) is { } unsupported)
            throw Failure([unsupported]);
        await InjectAsync(SandboxFaults.OperationName(operation.Kind), ct);
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                await using var db = _contexts();
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var problems = new List<SandboxProblem>();
                var result = await PlanAsync(db, operation, problems, write: true, ct);
                if (problems.Count > 0 || result is null)
                    throw Failure(problems);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return result;
            }
            catch (DbUpdateConcurrencyException)
            {
                // another writer changed the object first: plan again on what it committed
            }
            catch (DbUpdateException e) when (IsUniqueViolation(e))
            {
                // another writer took the username / native id / group first: the next attempt sees
                // its row and reports a conflict, or recognises our own earlier write
            }
        }
        throw new ConnectorException(SystemId, ConnectorFailure.Conflict, $"{Describe(operation)} kept colliding with concurrent writes; gave up after {Attempts} attempts");
    }

    /// <summary>Every constraint the operation would break, without writing (empty when it would
    /// succeed or was already applied). Throws <see cref="ConnectorException"/> when the system is down.</summary>
    public async Task<IReadOnlyList<string>> ValidateAsync(TargetOperation operation, CancellationToken ct)
    {
        if (Unsupported(operation) is { } unsupported)
            return [unsupported.Message];
        await ThrowIfDownAsync(ct);
        await using var db = _contexts();
        var problems = new List<SandboxProblem>();
        await PlanAsync(db, operation, problems, write: false, ct);
        return [.. problems.Select(p => p.Message)];
    }

    /// <summary>Whether a value is taken: the username (compared without case, as the real systems
    /// do) or any other stored attribute.</summary>
    public async ValueTask<bool> IsTakenAsync(string objectClass, string attribute, string value, CancellationToken ct)
    {
        await ThrowIfDownAsync(ct);
        await using var db = _contexts();
        if (IsUsername(attribute))
        {
            var key = UniqueKey(value);
            return await db.SandboxObjects.AnyAsync(o => o.SystemId == SystemId && o.ObjectClass == objectClass && o.UniqueValue == key, ct);
        }
        var native = (Dialect as AccountDialect)?.NativeNameOf(attribute) ?? attribute;
        var candidates = db.SandboxObjects.AsNoTracking()
            .Where(o => o.SystemId == SystemId && o.ObjectClass == objectClass && o.AttributesJson.Contains(value))
            .Select(o => o.AttributesJson).AsAsyncEnumerable();
        await foreach (var json in candidates.WithCancellation(ct))
        {
            var attrs = Attributes(json);
            if (attrs.TryGetPropertyValue(native, out var node) && node is not null && string.Equals(node.ToString(), value, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    public int? MaxLength(string objectClass, string attribute)
    {
        if (objectClass != Dialect.ObjectClass)
            return null;
        if (IsUsername(attribute))
            return (Dialect as AccountDialect)?.UsernameMaxLength;
        return Dialect.Attribute((Dialect as AccountDialect)?.NativeNameOf(attribute) ?? attribute)?.MaxLength;
    }

    private bool IsUsername(string attribute) =>
        attribute == AccountAttributes.Username
        || (Dialect is AccountDialect d && string.Equals(attribute, d.UsernameAttribute, StringComparison.OrdinalIgnoreCase));

    // ----------------------------------------------------------------------------------------------
    // planning: checks every constraint, then changes the tracked rows (saved only by ApplyAsync)
    // ----------------------------------------------------------------------------------------------

    private SandboxProblem? Unsupported(TargetOperation op)
    {
        if (!Dialect.Operations.Contains(op.Kind))
        {
            return new(ConnectorFailure.SchemaViolation,
                $"a {Dialect.Kind} system does not support {SandboxFaults.OperationName(op.Kind)} (it supports {string.Join(", ", Dialect.Operations.Select(SandboxFaults.OperationName))})");
        }
        if (op.ObjectClass != Dialect.ObjectClass)
            return new(ConnectorFailure.SchemaViolation, $"a {Dialect.Kind} system holds {Dialect.ObjectClass} objects, not {op.ObjectClass}");
        return null;
    }

    private Task<TargetOperationResult?> PlanAsync(HandoffDbContext db, TargetOperation op, List<SandboxProblem> problems, bool write, CancellationToken ct) =>
        Dialect switch
        {
            AccountDialect d when op.Kind == TargetOperationKind.Create => PlanCreateAccountAsync(db, d, op, problems, ct),
            AccountDialect d => PlanAccountChangeAsync(db, d, op, problems, ct),
            TicketingDialect => op.Kind == TargetOperationKind.CreateTicket ? PlanCreateTicketAsync(db, op, problems, write, ct) : PlanTicketChangeAsync(db, op, problems, ct),
            MailDialect => PlanSendMailAsync(db, op, problems, ct),
            _ => throw new InvalidOperationException($"no plan for {Dialect.Kind}"),
        };

    private async Task<TargetOperationResult?> PlanCreateAccountAsync(HandoffDbContext db, AccountDialect d, TargetOperation op, List<SandboxProblem> problems, CancellationToken ct)
    {
        // An add that finds its own entry (same anchor, or the same idempotency key) counts as done.
        if (op.Anchor is { } anchor && await db.SandboxObjects.AsNoTracking().Where(o => o.SystemId == SystemId && o.ObjectClass == ObjectClasses.Account && o.Anchor == anchor)
                .OrderBy(o => o.Id).FirstOrDefaultAsync(ct) is { } mine)
            return Already(mine);
        if (await FindByKeyAsync(db, op.IdempotencyKey, ct) is { } earlier)
            return Already(earlier);

        var account = new SandboxAccount { Anchor = op.Anchor };
        d.SetEnabled(account, true);
        ApplyAttributes(d, account, op.Attributes, problems);
        if (account.Username is null)
            problems.Add(new(ConnectorFailure.SchemaViolation, $"{AccountAttributes.Username} ({d.UsernameAttribute}) is required to create an account"));
        var nativeId = await CheckAccountAsync(db, d, account, null, problems, ct);
        if (problems.Count > 0)
            return null;

        var now = _clock.GetUtcNow();
        var row = new SandboxObjectRow
        {
            SystemId = SystemId,
            ObjectClass = ObjectClasses.Account,
            Anchor = op.Anchor,
            IdempotencyKey = op.IdempotencyKey,
            CreatedAt = now,
        };
        Store(account, nativeId, row, now);
        db.SandboxObjects.Add(row);
        return TargetOperationResult.Done(row.NativeId, Outputs(row));
    }

    private async Task<TargetOperationResult?> PlanAccountChangeAsync(HandoffDbContext db, AccountDialect d, TargetOperation op, List<SandboxProblem> problems, CancellationToken ct)
    {
        var row = await FindAsync(db, op, problems, ct);
        if (row is null)
            return null;
        if (op.Kind == TargetOperationKind.Delete)
        {
            db.SandboxObjects.Remove(row);
            return TargetOperationResult.Done(row.NativeId);
        }

        var account = Load(d, row);
        var before = Fingerprint(row);
        switch (op.Kind)
        {
            case TargetOperationKind.Update:
                ApplyAttributes(d, account, op.Attributes, problems);
                break;
            case TargetOperationKind.Enable:
                d.SetEnabled(account, true);
                break;
            case TargetOperationKind.Disable:
                d.SetEnabled(account, false);
                break;
            case TargetOperationKind.SetExpiry:
                try
                {
                    d.SetExpires(account, SandboxValues.Date(op[AccountAttributes.Expires]));
                }
                catch (FormatException e)
                {
                    problems.Add(new(ConnectorFailure.SchemaViolation, $"{AccountAttributes.Expires}: {e.Message}"));
                }
                break;
            case TargetOperationKind.Move:
                if (SandboxValues.Text(op[AccountAttributes.Container]) is not { Length: > 0 } container)
                    problems.Add(new(ConnectorFailure.SchemaViolation, $"{AccountAttributes.Container} is required to move an account"));
                else
                    SetContainer(d, account, container, problems);
                break;
            case TargetOperationKind.AddToGroups:
                account.Groups.UnionWith(GroupsOf(op, problems));
                break;
            case TargetOperationKind.RemoveFromGroups:
                // No list: leave every group (a leaver or a mover starting over), as the contract says.
                if (SandboxValues.List(op[AccountAttributes.Groups]).Count == 0)
                    account.Groups.Clear();
                else
                    account.Groups.ExceptWith(GroupsOf(op, problems));
                break;
            case TargetOperationKind.SetPassword:
                if (SandboxValues.Text(op[AccountAttributes.Password]) is not { Length: > 0 } password)
                    problems.Add(new(ConnectorFailure.SchemaViolation, $"{AccountAttributes.Password} is required to set a password"));
                else
                    SetPassword(d, account, password, problems);
                break;
        }
        var nativeId = await CheckAccountAsync(db, d, account, row, problems, ct);
        if (problems.Count > 0)
            return null;

        Store(account, nativeId, row, _clock.GetUtcNow());
        // Enable on an enabled account, a group it is already in …: nothing to write, same outcome.
        // A password is never "already set": the same key sets it again.
        if (op.Kind != TargetOperationKind.SetPassword && Fingerprint(row) == before)
        {
            db.Entry(row).State = EntityState.Unchanged;
            return new TargetOperationResult(row.NativeId, true, Outputs(row));
        }
        row.Version++;
        return TargetOperationResult.Done(row.NativeId, op.Kind == TargetOperationKind.SetPassword ? null : Outputs(row));
    }

    /// <summary>Completes the account (derived attributes) and checks required attributes, the
    /// username's rules, uniqueness and groups. Returns the native id it will have.</summary>
    private async Task<string> CheckAccountAsync(HandoffDbContext db, AccountDialect d, SandboxAccount account, SandboxObjectRow? self, List<SandboxProblem> problems, CancellationToken ct)
    {
        d.Complete(account, Settings);
        if (account.Username is { } username)
        {
            problems.AddRange(d.UsernameProblems(username).Select(m => new SandboxProblem(ConnectorFailure.SchemaViolation, m)));
        }
        var nativeId = d.NativeId(account, Settings, self?.NativeId);
        foreach (var required in d.Attributes.Where(a => a.Required && account.Text(a.Name) is null))
        {
            if (required.Name != d.UsernameAttribute || account.Username is not null)
                problems.Add(new(ConnectorFailure.SchemaViolation, d.MissingMessage(required.Name)));
        }
        var selfId = self?.Id ?? 0;
        if (account.Username is { } user)
        {
            var key = UniqueKey(user);
            if (await db.SandboxObjects.AsNoTracking().Where(o => o.SystemId == SystemId && o.ObjectClass == ObjectClasses.Account && o.UniqueValue == key && o.Id != selfId)
                    .Select(o => o.NativeId).FirstOrDefaultAsync(ct) is { } holder)
                problems.Add(new(ConnectorFailure.Conflict, $"{d.UsernameAttribute} \"{user}\" is already taken by {holder}"));
        }
        if (await db.SandboxObjects.AnyAsync(o => o.SystemId == SystemId && o.NativeId == nativeId && o.Id != selfId, ct))
            problems.Add(new(ConnectorFailure.Conflict, $"an object {nativeId} already exists"));
        await CheckGroupsAsync(db, account.Groups, problems, ct);
        return nativeId;
    }

    /// <summary>Groups that do not exist yet are created (the sandbox's default) or refused when the
    /// system's config says <c>groups_must_exist: true</c>.</summary>
    private async Task CheckGroupsAsync(HandoffDbContext db, IReadOnlyCollection<string> groups, List<SandboxProblem> problems, CancellationToken ct)
    {
        if (groups.Count == 0)
            return;
        var names = groups.ToList();
        var existing = await db.SandboxGroups.Where(g => g.SystemId == SystemId && names.Contains(g.Name)).Select(g => g.Name).ToListAsync(ct);
        foreach (var name in names.Except(existing))
        {
            if (name.Length > 256)
                problems.Add(new(ConnectorFailure.SchemaViolation, $"group name \"{name[..40]}…\" is longer than 256 characters"));
            else if (Settings.GroupsMustExist && !Settings.Groups.Contains(name))
                problems.Add(new(ConnectorFailure.SchemaViolation, $"group \"{name}\" does not exist in {SystemId}"));
            else if (!db.SandboxGroups.Local.Any(g => g.SystemId == SystemId && g.Name == name))
                db.SandboxGroups.Add(new SandboxGroupRow { SystemId = SystemId, Name = name, CreatedAt = _clock.GetUtcNow() });
        }
    }

    private void ApplyAttributes(AccountDialect d, SandboxAccount account, IReadOnlyDictionary<string, object?> attributes, List<SandboxProblem> problems)
    {
        void Refuse(string message) => problems.Add(new(ConnectorFailure.SchemaViolation, message));

        foreach (var (key, value) in attributes)
        {
            try
            {
                switch (key)
                {
                    case AccountAttributes.Username:
                        SetUsername(d, account, SandboxValues.Text(value), problems);
                        continue;
                    case AccountAttributes.Enabled:
                        d.SetEnabled(account, SandboxValues.Bool(value) ?? true);
                        continue;
                    case AccountAttributes.Expires:
                        d.SetExpires(account, SandboxValues.Date(value));
                        continue;
                    case AccountAttributes.Container:
                        if (SandboxValues.Text(value) is { Length: > 0 } container)
                            SetContainer(d, account, container, problems);
                        else
                            account.Container = null;
                        continue;
                    case AccountAttributes.Groups:
                        account.Groups.Clear();
                        account.Groups.UnionWith(SandboxValues.List(value));
                        continue;
                    case AccountAttributes.Password:
                        if (SandboxValues.Text(value) is { Length: > 0 } password)
                            SetPassword(d, account, password, problems);
                        continue;
                }
                var native = d.NativeNameOf(key) ?? key;
                var attribute = d.Attribute(native);
                var name = attribute?.Name ?? native;
                if (name == d.UsernameAttribute)
                {
                    SetUsername(d, account, SandboxValues.Text(value), problems);
                    continue;
                }
                var messages = new List<string>();
                if (d.TryApplySpecial(account, name, value, messages))
                {
                    messages.ForEach(Refuse);
                    continue;
                }
                if (d.SystemAttributes.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    Refuse($"{name} is set by the {d.Kind} system itself and cannot be written");
                    continue;
                }
                if (attribute is null && !d.AcceptsAttribute(name))
                {
                    Refuse($"{d.Kind} has no attribute \"{key}\"");
                    continue;
                }
                var stored = value is string or null || attribute is { MultiValued: false } ? (object?)SandboxValues.Text(value) : SandboxValues.List(value);
                if (attribute?.MaxLength is { } max && stored is string s && s.Length > max)
                {
                    Refuse($"{name} is {s.Length} characters; {d.Kind} allows at most {max}");
                    continue;
                }
                account.Set(name, stored is "" ? null : stored);
            }
            catch (FormatException e)
            {
                Refuse($"{key}: {e.Message}");
            }
        }
    }

    private static void SetUsername(AccountDialect d, SandboxAccount account, string? username, List<SandboxProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(username))
        {
            problems.Add(new(ConnectorFailure.SchemaViolation, $"{d.UsernameAttribute} must not be empty"));
            return;
        }
        account.Username = username;
        account.Set(d.UsernameAttribute, username);
    }

    private static void SetContainer(AccountDialect d, SandboxAccount account, string container, List<SandboxProblem> problems)
    {
        if (!d.HasContainers)
        {
            problems.Add(new(ConnectorFailure.SchemaViolation, $"a {d.Kind} system has no containers to move an account to"));
            return;
        }
        var parts = container.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Split('=', 2) is not [var type, { Length: > 0 }] || type.Trim().ToLowerInvariant() is not ("ou" or "cn")))
        {
            problems.Add(new(ConnectorFailure.SchemaViolation, $"container \"{container}\" is not an OU path such as OU=Sales,OU=People"));
            return;
        }
        account.Container = string.Join(",", parts);
    }

    private void SetPassword(AccountDialect d, SandboxAccount account, string password, List<SandboxProblem> problems)
    {
        var refused = d.PasswordProblems(password, account).ToList();
        if (refused.Count > 0)
        {
            problems.AddRange(refused.Select(m => new SandboxProblem(ConnectorFailure.SchemaViolation, m)));
            return;
        }
        // Only a salted hash is kept (as a directory would), never the password itself.
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, 100_000, HashAlgorithmName.SHA256, 32);
        account.Set(PasswordHashKey, $"pbkdf2-sha256$100000${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
        if (d is ActiveDirectoryDialect)
            account.Set("pwdLastSet", _clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
    }

    private static List<string> GroupsOf(TargetOperation op, List<SandboxProblem> problems)
    {
        var groups = SandboxValues.List(op[AccountAttributes.Groups]);
        if (groups.Count == 0)
            problems.Add(new(ConnectorFailure.SchemaViolation, $"{AccountAttributes.Groups} is required (one or more group names)"));
        return groups;
    }

    private async Task<TargetOperationResult?> PlanCreateTicketAsync(HandoffDbContext db, TargetOperation op, List<SandboxProblem> problems, bool write, CancellationToken ct)
    {
        if (await FindByKeyAsync(db, op.IdempotencyKey, ct) is { } earlier)
            return Already(earlier);
        var attributes = TicketAttributes(op, problems, creating: true);
        if (problems.Count > 0 || !write)
            return null;
        var number = TicketingDialect.Number(await NextAsync(db, "ticket", ct));
        attributes["number"] = number;
        var now = _clock.GetUtcNow();
        var row = new SandboxObjectRow
        {
            SystemId = SystemId,
            ObjectClass = ObjectClasses.Ticket,
            NativeId = number,
            UniqueValue = number,
            Anchor = op.Anchor,
            IdempotencyKey = op.IdempotencyKey,
            AttributesJson = attributes.ToJsonString(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.SandboxObjects.Add(row);
        return TargetOperationResult.Done(number, Outputs(row));
    }

    private async Task<TargetOperationResult?> PlanTicketChangeAsync(HandoffDbContext db, TargetOperation op, List<SandboxProblem> problems, CancellationToken ct)
    {
        var row = await FindAsync(db, op, problems, ct);
        if (row is null)
            return null;
        if (op.Kind == TargetOperationKind.Delete)
        {
            db.SandboxObjects.Remove(row);
            return TargetOperationResult.Done(row.NativeId);
        }
        var attributes = Attributes(row.AttributesJson);
        foreach (var (key, value) in TicketAttributes(op, problems, creating: false))
            attributes[key] = value?.DeepClone();
        if (problems.Count > 0)
            return null;
        var json = attributes.ToJsonString();
        if (json == row.AttributesJson)
            return new TargetOperationResult(row.NativeId, true, Outputs(row));
        row.AttributesJson = json;
        row.UpdatedAt = _clock.GetUtcNow();
        row.Version++;
        return TargetOperationResult.Done(row.NativeId, Outputs(row));
    }

    private static JsonObject TicketAttributes(TargetOperation op, List<SandboxProblem> problems, bool creating)
    {
        var json = new JsonObject();
        foreach (var (key, value) in op.Attributes)
        {
            if (key == "number")
                continue;
            try
            {
                json[key] = key == MessageAttributes.Due
                    ? SandboxValues.Node(SandboxValues.Date(value)?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                    : SandboxValues.Node(value is string or null ? SandboxValues.Text(value) : value is IEnumerable<string> ? SandboxValues.List(value) : SandboxValues.Text(value));
            }
            catch (FormatException e)
            {
                problems.Add(new(ConnectorFailure.SchemaViolation, $"{key}: {e.Message}"));
            }
        }
        var title = SandboxValues.Text(op[MessageAttributes.Title]);
        if ((creating || op.Attributes.ContainsKey(MessageAttributes.Title)) && string.IsNullOrWhiteSpace(title))
            problems.Add(new(ConnectorFailure.SchemaViolation, "a ticket needs a title"));
        else if (title is { Length: > TicketingDialect.TitleMaxLength })
            problems.Add(new(ConnectorFailure.SchemaViolation, $"the title is {title.Length} characters; at most {TicketingDialect.TitleMaxLength}"));
        if (creating)
        {
            json[MessageAttributes.Queue] ??= "IT";
            json["status"] ??= "open";
        }
        return json;
    }

    private async Task<TargetOperationResult?> PlanSendMailAsync(HandoffDbContext db, TargetOperation op, List<SandboxProblem> problems, CancellationToken ct)
    {
        if (await FindByKeyAsync(db, op.IdempotencyKey, ct) is { } earlier)
            return Already(earlier);
        var to = SandboxValues.List(op[MessageAttributes.To]);
        if (to.Count == 0)
            problems.Add(new(ConnectorFailure.SchemaViolation, "a message needs a recipient (to)"));
        foreach (var address in to.Where(a => !MailDialect.LooksLikeAddress(a)))
            problems.Add(new(ConnectorFailure.SchemaViolation, $"\"{address}\" is not a mail address"));
        if (string.IsNullOrWhiteSpace(SandboxValues.Text(op[MessageAttributes.Subject])) && string.IsNullOrWhiteSpace(SandboxValues.Text(op[MessageAttributes.Template])))
            problems.Add(new(ConnectorFailure.SchemaViolation, "a message needs a subject or a template"));
        if (problems.Count > 0)
            return null;
        var json = new JsonObject();
        foreach (var (key, value) in op.Attributes)
            json[key] = SandboxValues.Node(value is string or null ? SandboxValues.Text(value) : value is IEnumerable<string> ? SandboxValues.List(value)
                : value is IReadOnlyDictionary<string, string> map ? map : SandboxValues.Text(value));
        json[MessageAttributes.To] = SandboxValues.Node(to);
        var id = $"<{Guid.NewGuid():N}@{Settings.Domain}>";
        json["message_id"] = id;
        var now = _clock.GetUtcNow();
        var row = new SandboxObjectRow
        {
            SystemId = SystemId,
            ObjectClass = ObjectClasses.Message,
            NativeId = id,
            Anchor = op.Anchor,
            IdempotencyKey = op.IdempotencyKey,
            AttributesJson = json.ToJsonString(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.SandboxObjects.Add(row);
        return TargetOperationResult.Done(id, Outputs(row));
    }

    // ----------------------------------------------------------------------------------------------
    // store
    // ----------------------------------------------------------------------------------------------

    private async Task<SandboxObjectRow?> FindAsync(HandoffDbContext db, TargetOperation op, List<SandboxProblem> problems, CancellationToken ct)
    {
        var row = op.NativeId is { } id
            ? await db.SandboxObjects.FirstOrDefaultAsync(o => o.SystemId == SystemId && o.ObjectClass == op.ObjectClass && o.NativeId == id, ct)
            : null;
        if (row is null)
            problems.Add(new(ConnectorFailure.NotFound, op.NativeId is null ? $"{SandboxFaults.OperationName(op.Kind)} needs the native id of the {op.ObjectClass}" : $"no {op.ObjectClass} {op.NativeId} in {SystemId}"));
        return row;
    }

    private Task<SandboxObjectRow?> FindByKeyAsync(HandoffDbContext db, string key, CancellationToken ct) =>
        db.SandboxObjects.AsNoTracking().FirstOrDefaultAsync(o => o.SystemId == SystemId && o.IdempotencyKey == key, ct);

    private async Task<long> NextAsync(HandoffDbContext db, string name, CancellationToken ct)
    {
        // The update takes the row's lock, so concurrent writers get consecutive numbers.
        var updated = await db.SandboxSequences.Where(s => s.SystemId == SystemId && s.Name == name)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Last, x => x.Last + 1), ct);
        if (updated == 0)
        {
            db.SandboxSequences.Add(new SandboxSequenceRow { SystemId = SystemId, Name = name, Last = 1 });
            await db.SaveChangesAsync(ct);
            return 1;
        }
        return await db.SandboxSequences.Where(s => s.SystemId == SystemId && s.Name == name).Select(s => s.Last).SingleAsync(ct);
    }

    private static SandboxAccount Load(AccountDialect d, SandboxObjectRow row)
    {
        var account = new SandboxAccount
        {
            Anchor = row.Anchor,
            Enabled = row.Enabled,
            Expires = row.Expires,
            Container = row.Container,
        };
        foreach (var (k, v) in Attributes(row.AttributesJson))
            account.Native[k] = v?.DeepClone();
        account.Groups.UnionWith(Data.JsonDefaults.Deserialize<List<string>>(row.GroupsJson));
        account.Username = account.Text(d.UsernameAttribute);
        return account;
    }

    private void Store(SandboxAccount account, string nativeId, SandboxObjectRow row, DateTimeOffset now)
    {
        var d = (AccountDialect)Dialect;
        account.Username = account.Text(d.UsernameAttribute);
        row.NativeId = nativeId;
        row.UniqueValue = account.Username is null ? null : UniqueKey(account.Username);
        var json = new JsonObject();
        foreach (var (k, v) in account.Native.OrderBy(p => p.Key, StringComparer.Ordinal))
            json[k] = v?.DeepClone();
        var attributesJson = json.ToJsonString();
        var groupsJson = Data.JsonDefaults.Serialize(account.Groups.ToList());
        if (row.AttributesJson != attributesJson || row.GroupsJson != groupsJson || row.Enabled != account.Enabled || row.Expires != account.Expires || row.Container != account.Container)
            row.UpdatedAt = now;
        row.AttributesJson = attributesJson;
        row.GroupsJson = groupsJson;
        row.Enabled = account.Enabled;
        row.Expires = account.Expires;
        row.Container = account.Container;
    }

    private static string Fingerprint(SandboxObjectRow row) =>
        string.Join("\u001f", row.NativeId, row.UniqueValue, row.AttributesJson, row.GroupsJson, row.Enabled, row.Expires, row.Container);

    private static JsonObject Attributes(string json) =>
        JsonNode.Parse(json, new JsonNodeOptions { PropertyNameCaseInsensitive = true }) as JsonObject ?? new JsonObject(new JsonNodeOptions { PropertyNameCaseInsensitive = true });

    private static string UniqueKey(string value) => value.Trim().ToLowerInvariant();

    private static TargetOperationResult Already(SandboxObjectRow row) => new(row.NativeId, true, Outputs(row));

    /// <summary>What later steps may use: the username finally written, the UPN, the ticket number …</summary>
    private static Dictionary<string, object?> Outputs(SandboxObjectRow row)
    {
        var attributes = Attributes(row.AttributesJson);
        var outputs = new Dictionary<string, object?> { ["native_id"] = row.NativeId };
        switch (row.ObjectClass)
        {
            case ObjectClasses.Ticket:
                outputs["ticket"] = row.NativeId;
                break;
            case ObjectClasses.Message:
                outputs["message_id"] = row.NativeId;
                break;
            default:
                foreach (var name in new[] { "sAMAccountName", "uid", "userName" })
                {
                    if (attributes[name] is { } user)
                        outputs[AccountAttributes.Username] = user.ToString();
                }
                if (attributes["userPrincipalName"] is { } upn)
                    outputs["user_principal_name"] = upn.ToString();
                break;
        }
        return outputs;
    }

    private TargetObject ToTargetObject(SandboxObjectRow row)
    {
        var values = new Dictionary<string, object?>();
        foreach (var (k, v) in Attributes(row.AttributesJson))
        {
            if (!k.StartsWith('_'))
                values[k] = SandboxValues.Value(v);
        }
        if (Dialect is AccountDialect d)
        {
            foreach (var (op, native) in d.NativeNames)
            {
                if (values.TryGetValue(native, out var v))
                    values[op] = v;
            }
            values[AccountAttributes.Enabled] = row.Enabled;
            values[AccountAttributes.Expires] = row.Expires;
            values[AccountAttributes.Container] = row.Container ?? d.DefaultContainer;
            values[AccountAttributes.Groups] = Data.JsonDefaults.Deserialize<List<string>>(row.GroupsJson);
            values["password_set"] = row.AttributesJson.Contains(PasswordHashKey, StringComparison.Ordinal);
        }
        return new TargetObject(row.ObjectClass, row.NativeId, row.Anchor, values);
    }

    // ----------------------------------------------------------------------------------------------
    // faults and failures
    // ----------------------------------------------------------------------------------------------

    private async Task ThrowIfDownAsync(CancellationToken ct)
    {
        await using var db = _contexts();
        if (await SandboxFaults.DownAsync(db, SystemId, _clock.GetUtcNow(), ct) is { } down)
            throw new ConnectorException(SystemId, ConnectorFailure.Unavailable, $"the system is down (injected fault{Describe(down)})");
    }

    /// <summary>Uses up the fault that applies to this call, if any, and behaves as it says.</summary>
    private async Task InjectAsync(string operation, CancellationToken ct)
    {
        SandboxFault? fault;
        await using (var db = _contexts())
            fault = await SandboxFaults.ConsumeAsync(db, SystemId, operation, _clock.GetUtcNow(), ct);
        switch (fault?.Mode)
        {
            case null:
                return;
            case SandboxFaultMode.Slow:
                await Task.Delay(fault.Delay, _clock, ct);
                return;
            case SandboxFaultMode.Down:
                throw new ConnectorException(SystemId, ConnectorFailure.Unavailable, $"the system is down (injected fault{Describe(fault)})");
            case SandboxFaultMode.SchemaViolation:
                throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{operation} refused: object class violation (injected fault{Describe(fault)})");
            case SandboxFaultMode.Conflict:
                throw new ConnectorException(SystemId, ConnectorFailure.Conflict, $"{operation} refused: the entry already exists (injected fault{Describe(fault)})");
        }
    }

    private static string Describe(SandboxFault fault) =>
        (fault.Remaining is { } n ? $", {n} more call(s)" : "") + (fault.Until is { } until ? $", until {until:u}" : "");

    private static string Describe(TargetOperation op) =>
        $"{SandboxFaults.OperationName(op.Kind)} {op.ObjectClass} {op.NativeId ?? op.Anchor ?? op.IdempotencyKey}";

    private ConnectorException Failure(IReadOnlyList<SandboxProblem> problems)
    {
        if (problems.Count == 0)
            return new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, "the operation was refused");
        var failure = problems.Any(p => p.Failure == ConnectorFailure.NotFound) ? ConnectorFailure.NotFound
            : problems.Any(p => p.Failure == ConnectorFailure.SchemaViolation) ? ConnectorFailure.SchemaViolation
            : problems[0].Failure;
        return new ConnectorException(SystemId, failure, string.Join("; ", problems.Select(p => p.Message)));
    }

    private static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        _ => false,
    };
}
