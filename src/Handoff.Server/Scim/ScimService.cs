using System.Globalization;
using System.Text.Json.Nodes;
using Handoff.Core.Audit;
using Handoff.Core.Dictionary;
using Handoff.Core.Filters;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;
using Handoff.Data.Scim;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Scim;

/// <summary>Who calls and where: the token's source system, its active workspace, the base URL for locations.</summary>
public sealed class ScimCaller
{
    public ScimCaller(WorkspaceDefinition workspace, SystemDefinition system, string baseUrl, Func<string, string> contentHash)
    {
        Workspace = workspace;
        System = system;
        BaseUrl = baseUrl.TrimEnd('/');
        Mapper = new RecordMapper(workspace.Dictionary, system) { KeyedHash = contentHash };
        BoundNative = [.. workspace.Dictionary.Fields.Select(f => f.BindingFor(system.Id)?.Native).OfType<string>()];
        Encrypted = workspace.Dictionary.Fields.Any(f => f.Classification == Classification.Sensitive && f.BindingFor(system.Id) is not null);
        var termination = workspace.Dictionary.FindField(workspace.Dictionary.Lifecycle.TerminationDate);
        LifecycleOwner = termination?.SystemOfRecord is { } owner && owner != system.Id ? owner : null;
        TerminationField = termination?.Name ?? workspace.Dictionary.Lifecycle.TerminationDate;
    }

    public WorkspaceDefinition Workspace { get; }
    public SystemDefinition System { get; }
    public string BaseUrl { get; }
    public RecordMapper Mapper { get; }

    /// <summary>The native (flattened SCIM) names the dictionary binds for this system.</summary>
    public IReadOnlyList<string> BoundNative { get; }

    /// <summary>The system carries a sensitive field: its stored resources are encrypted at rest.</summary>
    public bool Encrypted { get; }

    /// <summary>The system that owns the lifecycle — the system of record of the dictionary's lifecycle
    /// termination-date field — when it is another one than the caller's; null when the caller owns it or
    /// nobody does. Such a caller ends only people that owner does not know.</summary>
    public string? LifecycleOwner { get; }

    /// <summary>The dictionary's lifecycle termination-date field (for messages).</summary>
    public string TerminationField { get; }
}

/// <summary>A resource as stored plus its rendering inputs.</summary>
public sealed record ScimStored(ScimResourceRow Row, JsonObject Resource);

/// <summary>
/// The writes of one request (a single call or a whole /Bulk), taken through the source pipeline
/// together at the end: one sync, one transaction per batch of records, whatever the number of operations.
/// </summary>
public sealed class ScimWriteBatch
{
    internal List<(ScimResourceRow Row, JsonObject Resource, string Pointer)> Users { get; } = [];
    internal List<(Dictionary<string, string?> Native, string Pointer)> Rejected { get; } = [];
    internal List<AuditDraft> GroupAudit { get; } = [];
}

/// <summary>
/// The SCIM server's resources for one source system. A User is a source record: every write is
/// stored as the client sent it (so GET returns it) and taken through <see cref="Data.Sources.SourceSync"/> —
/// dictionary mapping, correlation, conflict rules, quarantine, audit, outbox events — like a CSV row or
/// a webhook record. A value the dictionary cannot convert is refused with <c>invalidValue</c> naming
/// the SCIM attribute, and is also quarantined so HR sees it. DELETE is "the source no longer has this
/// worker": the resource becomes a tombstone and the person is terminated (as of today, unless the
/// client already sent an earlier termination date) — never erased. Only where the caller owns the
/// person's lifecycle, though: when another system is the system of record of the termination date and
/// has a record of the person, a DELETE is refused (<c>409 mutability</c>, naming the owner) while the
/// person is not terminated, and ends nothing once they are.
/// </summary>
public sealed class ScimService(HandoffRuntime runtime)
{
    public const int MaxResults = 1000;

    // ---------- reads ----------

    public async Task<ScimStored> GetAsync(ScimCaller caller, ScimResourceType type, string id, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        var row = await FindAsync(db, caller, type, id, ct) ?? throw ScimException.NotFound($"{type.Name} {id} not found");
        return new ScimStored(row, Open(caller, row));
    }

    private static async Task<ScimResourceRow?> FindAsync(Data.HandoffDbContext db, ScimCaller caller, ScimResourceType type, string id, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var guid))
            return null;
        return await db.ScimResources.FirstOrDefaultAsync(r => r.Id == guid && r.System == caller.System.Id && r.ResourceType == type.Name && r.DeletedAt == null, ct);
    }

    public sealed record ListQuery(string? Filter, string? SortBy, string? SortOrder, int StartIndex, int? Count);

    public sealed record ListResult(int Total, int StartIndex, IReadOnlyList<ScimStored> Page);

    public async Task<ListResult> ListAsync(ScimCaller caller, ScimResourceType type, ListQuery query, CancellationToken ct)
    {
        FilterExpression? filter = null;
        if (!string.IsNullOrWhiteSpace(query.Filter))
        {
            if (!ScimFilter.TryParse(query.Filter, out filter, out var error))
                throw ScimException.InvalidFilter($"filter: {error.Message}");
            var problems = ScimFilter.Validate(filter, p => ScimSchemas.FilterTypeOf(type, p));
            if (problems.Count > 0)
                throw ScimException.InvalidFilter("filter: " + string.Join("; ", problems));
        }
        var startIndex = Math.Max(1, query.StartIndex);
        var count = Math.Clamp(query.Count ?? MaxResults, 0, MaxResults);
        var descending = string.Equals(query.SortOrder, "descending", StringComparison.OrdinalIgnoreCase);
        if (query.SortOrder is not null && !descending && !string.Equals(query.SortOrder, "ascending", StringComparison.OrdinalIgnoreCase))
            throw ScimException.InvalidValue($"sortOrder must be ascending or descending, not \"{query.SortOrder}\"");
        AttributePath? sortPath = null;
        if (!string.IsNullOrWhiteSpace(query.SortBy))
        {
            sortPath = ScimJson.ParsePath(query.SortBy);
            if (type.Resolve(sortPath) is null)
                throw ScimException.InvalidValue($"sortBy: no attribute \"{query.SortBy}\" in the {type.Name} schema");
        }

        await using var db = runtime.Database.CreateContext();
        var rows = db.ScimResources.AsNoTracking().Where(r => r.System == caller.System.Id && r.ResourceType == type.Name && r.DeletedAt == null);
        var translation = filter is null ? null : ScimFilterQuery.Translate(filter, type);
        if (translation is not null)
            rows = rows.Where(translation.Predicate);
        var sqlSort = SqlSortColumn(sortPath, type);
        if ((filter is null || translation is { Exact: true }) && (sortPath is null || sqlSort is not null))
        {
            var total = await rows.CountAsync(ct);
            if (filter is not null && total <= MaxResults)
            {
                // A selective filter: fetch its few rows unordered and sort here. Asked to sort, the
                // database may walk the userName index over every row to avoid sorting a handful.
                var hits = await rows.ToListAsync(ct);
                Func<ScimResourceRow, string?> key = sqlSort switch
                {
                    "externalId" => r => r.ExternalId,
                    "id" => r => r.Id.ToString(),
                    _ => r => r.NameKey,
                };
                var inOrder = descending && sortPath is not null
                    ? hits.OrderByDescending(key, StringComparer.Ordinal).ThenBy(r => r.Id)
                    : hits.OrderBy(key, StringComparer.Ordinal).ThenBy(r => r.Id);
                return new ListResult(total, startIndex, [.. inOrder.Skip(startIndex - 1).Take(count).Select(r => new ScimStored(r, Open(caller, r)))]);
            }
            var ordered = sqlSort switch
            {
                "name" => descending ? rows.OrderByDescending(r => r.NameKey).ThenBy(r => r.Id) : rows.OrderBy(r => r.NameKey).ThenBy(r => r.Id),
                "externalId" => descending ? rows.OrderByDescending(r => r.ExternalId).ThenBy(r => r.Id) : rows.OrderBy(r => r.ExternalId).ThenBy(r => r.Id),
                "id" when sortPath is not null => descending ? rows.OrderByDescending(r => r.Id) : rows.OrderBy(r => r.Id),
                // Without sortBy: by userName (a group's displayName), a stable order the unique index serves.
                _ => rows.OrderBy(r => r.NameKey).ThenBy(r => r.Id),
            };
            var page = count == 0 ? [] : await ordered.Skip(startIndex - 1).Take(count).ToListAsync(ct);
            return new ListResult(total, startIndex, [.. page.Select(r => new ScimStored(r, Open(caller, r)))]);
        }

        // The database narrowed what it could; the shared evaluator decides the rest.
        var matched = new List<(ScimStored Stored, IReadOnlyDictionary<string, object?> Values)>();
        await foreach (var row in rows.OrderBy(r => r.NameKey).ThenBy(r => r.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            var resource = Open(caller, row);
            var full = Render(caller, type, row, resource, null);
            var values = ScimJson.ToFilterValues(full);
            if (filter is null || filter.Matches(new DictionaryFilterSubject(values)))
                matched.Add((new ScimStored(row, resource), values));
        }
        IEnumerable<(ScimStored Stored, IReadOnlyDictionary<string, object?> Values)> sorted = matched;
        if (sortPath is not null)
        {
            var caseExact = type.Resolve(sortPath)?.CaseExact ?? false;
            var comparer = Comparer<object?>.Create((a, b) => CompareSortValues(a, b, caseExact));
            sorted = descending
                ? matched.OrderByDescending(m => SortValue(m.Values, sortPath), comparer)
                : matched.OrderBy(m => SortValue(m.Values, sortPath), comparer);
        }
        return new ListResult(matched.Count, startIndex, [.. sorted.Skip(startIndex - 1).Take(count).Select(m => m.Stored)]);
    }

    private static string? SqlSortColumn(AttributePath? path, ScimResourceType type)
    {
        if (path is null)
            return "default";
        if (path.SubAttribute is not null || (path.Schema is not null && !string.Equals(path.Schema, type.Core.Id, StringComparison.OrdinalIgnoreCase)))
            return null;
        if (string.Equals(path.Name, type == ScimSchemas.Users ? "userName" : "displayName", StringComparison.OrdinalIgnoreCase))
            return "name";
        if (string.Equals(path.Name, "externalId", StringComparison.OrdinalIgnoreCase))
            return "externalId";
        return string.Equals(path.Name, "id", StringComparison.OrdinalIgnoreCase) ? "id" : null;
    }

    private static object? SortValue(IReadOnlyDictionary<string, object?> values, AttributePath path)
    {
        if (!new DictionaryFilterSubject(values).TryGet(path, out var value))
            return null;
        // A multi-valued attribute sorts by its primary value, else its first (RFC 7644 §3.4.2.3).
        if (value is IList<object?> list)
        {
            if (path.SubAttribute is not null && new DictionaryFilterSubject(values).TryGet(path.Parent, out var parent) && parent is IList<object?> elements)
            {
                var primary = elements.OfType<IReadOnlyDictionary<string, object?>>().FirstOrDefault(e => e.TryGetValue("primary", out var p) && p is true);
                if (primary is not null && primary.TryGetValue(path.SubAttribute, out var pv))
                    return pv;
            }
            return list.FirstOrDefault();
        }
        return value;
    }

    private static int CompareSortValues(object? a, object? b, bool caseExact)
    {
        // Values that are absent sort last in ascending order.
        if (a is null || b is null)
            return a is null ? (b is null ? 0 : 1) : -1;
        if (a is string sa && b is string sb)
            return caseExact ? string.CompareOrdinal(sa, sb) : string.Compare(sa, sb, StringComparison.OrdinalIgnoreCase);
        if (a is decimal da && b is decimal db)
            return da.CompareTo(db);
        if (a is bool ba && b is bool bb)
            return ba.CompareTo(bb);
        return string.CompareOrdinal(a.ToString(), b.ToString());
    }

    // ---------- writes ----------

    public async Task<ScimStored> CreateAsync(ScimCaller caller, ScimResourceType type, JsonNode? body, ScimWriteBatch batch, string pointer, CancellationToken ct)
    {
        var resource = ScimJson.Normalize(body, type);
        var name = RequiredName(type, resource);
        var id = Guid.CreateVersion7(runtime.Clock.GetUtcNow());
        await using var db = runtime.Database.CreateContext();
        if (type == ScimSchemas.Users)
            Validate(caller, type, resource, id, batch, pointer);
        else
            await CheckMembersAsync(db, caller, resource, ct);
        await CheckUniqueAsync(db, caller, type, name, null, ct);
        var now = runtime.Clock.GetUtcNow();
        var row = new ScimResourceRow
        {
            Id = id,
            System = caller.System.Id,
            ResourceType = type.Name,
            CreatedAt = now,
            Version = 1,
        };
        Fill(caller, row, resource, name, now);
        db.ScimResources.Add(row);
        await SaveAsync(db, type, name, ct);
        await AfterWriteAsync(db, caller, type, row, resource, batch, pointer, "created", ct);
        return new ScimStored(row, resource);
    }

    public async Task<ScimStored> ReplaceAsync(ScimCaller caller, ScimResourceType type, string id, JsonNode? body, string? ifMatch, ScimWriteBatch batch, string pointer, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        var row = await FindAsync(db, caller, type, id, ct) ?? throw ScimException.NotFound($"{type.Name} {id} not found");
        CheckVersion(row, ifMatch);
        if (body is JsonObject o && o.FirstOrDefault(p => string.Equals(p.Key, "id", StringComparison.OrdinalIgnoreCase)).Value is JsonValue sentId
            && !string.Equals(sentId.ToString(), row.Id.ToString(), StringComparison.OrdinalIgnoreCase))
            throw ScimException.Mutability($"\"id\" is immutable: the body says {sentId}, the resource is {row.Id}");
        var resource = ScimJson.Normalize(body, type);
        return await WriteAsync(db, caller, type, row, resource, batch, pointer, ct);
    }

    public async Task<ScimStored> PatchAsync(ScimCaller caller, ScimResourceType type, string id, JsonNode? body, string? ifMatch, ScimWriteBatch batch, string pointer, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        var row = await FindAsync(db, caller, type, id, ct) ?? throw ScimException.NotFound($"{type.Name} {id} not found");
        CheckVersion(row, ifMatch);
        var resource = ScimPatch.Apply(Open(caller, row), type, body);
        return await WriteAsync(db, caller, type, row, resource, batch, pointer, ct);
    }

    private async Task<ScimStored> WriteAsync(Data.HandoffDbContext db, ScimCaller caller, ScimResourceType type, ScimResourceRow row, JsonObject resource,
        ScimWriteBatch batch, string pointer, CancellationToken ct)
    {
        var name = RequiredName(type, resource);
        if (type == ScimSchemas.Users)
            Validate(caller, type, resource, row.Id, batch, pointer);
        else
            await CheckMembersAsync(db, caller, resource, ct);
        if (!string.Equals(name.ToLowerInvariant(), row.NameKey, StringComparison.Ordinal))
            await CheckUniqueAsync(db, caller, type, name, row.Id, ct);
        var now = runtime.Clock.GetUtcNow();
        Fill(caller, row, resource, name, now);
        row.Version++;
        await SaveAsync(db, type, name, ct);
        await AfterWriteAsync(db, caller, type, row, resource, batch, pointer, "updated", ct);
        return new ScimStored(row, resource);
    }

    public async Task DeleteAsync(ScimCaller caller, ScimResourceType type, string id, string? ifMatch, ScimWriteBatch batch, string pointer, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        var row = await FindAsync(db, caller, type, id, ct) ?? throw ScimException.NotFound($"{type.Name} {id} not found");
        CheckVersion(row, ifMatch);
        if (type == ScimSchemas.Users && caller.LifecycleOwner is { } owner)
        {
            var owned = await OwnedElsewhereAsync(db, caller, await LinkedPeopleAsync(db, caller, [(row, Open(caller, row))], ct), ct);
            if (owned.TryGetValue(row.Id, out var person) && person.State is not ("terminated" or "purged"))
                throw ScimException.LifecycleOwned($"User {id} is linked to a worker whose lifecycle {owner} owns ({owner} is the system of record "
                    + $"of {caller.TerminationField} and has a record of them) and who is not terminated: a DELETE from {caller.System.Id} would terminate "
                    + $"them, so nothing was changed. End the worker in {owner}; once {owner} has terminated them, this DELETE succeeds");
        }
        var now = runtime.Clock.GetUtcNow();
        row.DeletedAt = now;
        row.UpdatedAt = now;
        row.Version++;
        row.SyncPending = type == ScimSchemas.Users;
        await db.ScimMembers.Where(m => m.GroupId == row.Id).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        await AfterWriteAsync(db, caller, type, row, Open(caller, row), batch, pointer, "deleted", ct);
    }

    private static string RequiredName(ScimResourceType type, JsonObject resource)
    {
        var attribute = type == ScimSchemas.Users ? "userName" : "displayName";
        if (resource[attribute] is not JsonValue v || v.ToString() is not { Length: > 0 } name || string.IsNullOrWhiteSpace(name))
            throw ScimException.InvalidValue($"attribute \"{attribute}\" is required");
        if (name.Length > 400)
            throw ScimException.InvalidValue($"attribute \"{attribute}\" is longer than 400 characters");
        return name;
    }

    private static void CheckVersion(ScimResourceRow row, string? ifMatch)
    {
        if (string.IsNullOrWhiteSpace(ifMatch) || ifMatch.Trim() == "*")
            return;
        var current = ETag(row);
        var tags = ifMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        // Weak comparison (RFC 7232 §2.3.2): W/"3" and "3" name the same version.
        static string Opaque(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
        if (!tags.Any(t => Opaque(t) == Opaque(current)))
            throw ScimException.PreconditionFailed($"If-Match {ifMatch} does not match the current version {current}");
    }

    public static string ETag(ScimResourceRow row) => $"W/\"{row.Version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The resource as a source record would map; a value the dictionary refuses is an invalidValue naming the attribute.</summary>
    private static void Validate(ScimCaller caller, ScimResourceType type, JsonObject resource, Guid id, ScimWriteBatch batch, string pointer)
    {
        var native = Native(caller, type, resource, id);
        var record = new NativeRecord("scim", 1, native) { Pointer = pointer };
        if (!caller.Mapper.TryMap(record, out _, out var problem))
        {
            // Quarantined too (with its pointer), so HR sees what the HR system tried to send.
            batch.Rejected.Add((native, pointer));
            throw ScimException.InvalidValue($"attribute \"{problem!.Field}\": {problem.Reason}");
        }
    }

    /// <summary>The native record of a user: its flattened attributes, and every bound attribute it does
    /// not hold as empty — a SCIM resource is the client's whole record of the worker, so a removed
    /// attribute clears the value.</summary>
    private static Dictionary<string, string?> Native(ScimCaller caller, ScimResourceType type, JsonObject resource, Guid id)
    {
        var native = ScimJson.Flatten(resource, type, id);
        foreach (var bound in caller.BoundNative)
            native.TryAdd(bound, null);
        return native;
    }

    private async Task CheckMembersAsync(Data.HandoffDbContext db, ScimCaller caller, JsonObject resource, CancellationToken ct)
    {
        if (resource["members"] is not JsonArray members)
            return;
        var ids = new List<Guid>();
        foreach (var member in members.OfType<JsonObject>())
        {
            var value = member["value"]?.ToString();
            if (!Guid.TryParse(value, out var memberId))
                throw ScimException.InvalidValue($"attribute \"members.value\": \"{value}\" is not the id of a User or Group of this server");
            ids.Add(memberId);
        }
        var found = new Dictionary<Guid, (string Type, string Name)>();
        foreach (var chunk in ids.Distinct().Chunk(500))
        {
            foreach (var r in await db.ScimResources.AsNoTracking().Where(r => r.System == caller.System.Id && r.DeletedAt == null && chunk.Contains(r.Id))
                .Select(r => new { r.Id, r.ResourceType, r.Name }).ToListAsync(ct))
                found[r.Id] = (r.ResourceType, r.Name);
        }
        foreach (var member in members.OfType<JsonObject>())
        {
            var memberId = Guid.Parse(member["value"]!.ToString());
            if (!found.TryGetValue(memberId, out var known))
                throw ScimException.InvalidValue($"attribute \"members.value\": no User or Group {memberId}");
            member["value"] = memberId.ToString();
            member["type"] = known.Type;
            member["display"] = known.Name;
        }
        // The same member twice is one membership.
        var distinct = members.OfType<JsonObject>().GroupBy(m => m["value"]!.ToString()).Select(g => g.Last().DeepClone()).ToArray();
        resource["members"] = new JsonArray(distinct);
    }

    /// <summary>userName of a User and displayName of a Group are unique per source system (case-insensitively):
    /// the store keys both by name, so a Group's name behaves as Entra's and Okta's group names do.</summary>
    private static async Task CheckUniqueAsync(Data.HandoffDbContext db, ScimCaller caller, ScimResourceType type, string name, Guid? self, CancellationToken ct)
    {
        var key = name.ToLowerInvariant();
        if (await db.ScimResources.AnyAsync(r => r.System == caller.System.Id && r.ResourceType == type.Name && r.NameKey == key && r.DeletedAt == null && r.Id != self, ct))
            throw ScimException.Uniqueness($"{NameAttribute(type)} \"{name}\" is already taken");
    }

    private static string NameAttribute(ScimResourceType type) => type == ScimSchemas.Users ? "userName" : "displayName";

    private static async Task SaveAsync(Data.HandoffDbContext db, ScimResourceType type, string name, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw ScimException.PreconditionFailed("the resource changed while this request was processed; read it again");
        }
        catch (DbUpdateException)
        {
            // Two requests for the same name at once: the unique index let one through.
            throw ScimException.Uniqueness($"{NameAttribute(type)} \"{name}\" is already taken");
        }
    }

    private void Fill(ScimCaller caller, ScimResourceRow row, JsonObject resource, string name, DateTimeOffset now)
    {
        row.Name = name;
        row.NameKey = name.ToLowerInvariant();
        row.ExternalId = resource["externalId"]?.ToString();
        var json = resource.ToJsonString();
        row.Json = caller.Encrypted ? runtime.Keys.Cipher.Encrypt(json, Context(row)) : json;
        row.UpdatedAt = now;
        row.SyncPending = row.ResourceType == "User";
    }

    private static string Context(ScimResourceRow row) => $"scim:{row.System}:{row.Id}";

    public JsonObject Open(ScimCaller caller, ScimResourceRow row)
    {
        var json = Core.Security.FieldCipher.IsEncrypted(row.Json) ? runtime.Keys.Cipher.Decrypt(row.Json, Context(row)) : row.Json;
        return JsonNode.Parse(json) as JsonObject ?? [];
    }

    private async Task AfterWriteAsync(Data.HandoffDbContext db, ScimCaller caller, ScimResourceType type, ScimResourceRow row, JsonObject resource,
        ScimWriteBatch batch, string pointer, string what, CancellationToken ct)
    {
        if (type == ScimSchemas.Users)
        {
            batch.Users.Add((row, resource, pointer));
            return;
        }
        // Groups: membership rows for the users' read-only "groups", and an audit entry; no person changes.
        await db.ScimMembers.Where(m => m.GroupId == row.Id).ExecuteDeleteAsync(ct);
        if (row.DeletedAt is null && resource["members"] is JsonArray members)
        {
            foreach (var m in members.OfType<JsonObject>())
                db.ScimMembers.Add(new ScimMemberRow { GroupId = row.Id, MemberId = Guid.Parse(m["value"]!.ToString()), System = row.System, Type = m["type"]?.ToString() });
            await db.SaveChangesAsync(ct);
        }
        batch.GroupAudit.Add(new AuditDraft($"system:{row.System}", $"scim.group.{what}", "scim_group", row.Id.ToString(),
            [new("displayName", null, row.Name), new("members", null, (resource["members"] as JsonArray)?.Count.ToString(CultureInfo.InvariantCulture) ?? "0")],
            row.System, null, row.UpdatedAt));
    }

    /// <summary>Takes the batch's users through the source pipeline (with any user an earlier request
    /// stored but did not get to sync), then marks them synced; writes the groups' audit entries.</summary>
    public async Task FlushAsync(ScimCaller caller, ScimWriteBatch batch, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(runtime.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var records = new List<SourceItem>();
        var synced = new List<(Guid Id, long Version)>();
        var seen = new HashSet<Guid>();
        var line = 0;

        await using (var db = runtime.Database.CreateContext())
        {
            if (batch.GroupAudit.Count > 0)
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                await runtime.Audit.AppendAsync(db, batch.GroupAudit, ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            // A crash between an earlier store and its sync left rows pending; they go along now.
            var stale = runtime.Clock.GetUtcNow() - TimeSpan.FromMinutes(1);
            var batchIds = batch.Users.Select(u => u.Row.Id).ToHashSet();
            var leftOver = await db.ScimResources.AsNoTracking()
                .Where(r => r.System == caller.System.Id && r.ResourceType == "User" && r.SyncPending).Take(1000).ToListAsync(ct);
            foreach (var row in leftOver.Where(r => !batchIds.Contains(r.Id) && r.UpdatedAt < stale))
                batch.Users.Insert(0, (row, Open(caller, row), "/"));
        }

        // A deleted user ends a person only when the caller owns that person's lifecycle (see OwnedElsewhereAsync);
        // one that never reached a person (created and deleted in one request, or still held) ends nobody.
        var deleted = batch.Users.Where(u => u.Row.DeletedAt is not null).Select(u => (u.Row, u.Resource)).ToList();
        Dictionary<Guid, Guid> linked = [];
        Dictionary<Guid, OwnedPerson> ownedElsewhere = [];
        if (deleted.Count > 0)
        {
            await using var db = runtime.Database.CreateContext();
            linked = await LinkedPeopleAsync(db, caller, deleted, ct);
            ownedElsewhere = await OwnedElsewhereAsync(db, caller, linked, ct);
        }

        // The last write of a resource in the batch is the one that counts; earlier ones were superseded.
        foreach (var (row, resource, pointer) in Enumerable.Reverse(batch.Users))
        {
            if (!seen.Add(row.Id))
                continue;
            var native = Native(caller, ScimSchemas.Users, resource, row.Id);
            if (row.DeletedAt is not null && !linked.ContainsKey(row.Id))
            {
                synced.Add((row.Id, row.Version));
                continue;
            }
            if (row.DeletedAt is not null && !ownedElsewhere.ContainsKey(row.Id))
            {
                // The source no longer has this worker: terminated as of today unless an earlier date was sent.
                var key = ScimSchemas.HrSchema + ":terminationDate";
                if (string.IsNullOrEmpty(native.GetValueOrDefault(key)) || string.CompareOrdinal(native[key], today) > 0)
                    native[key] = today;
                native["active"] = "false";
            }
            records.Add(new NativeRecord("scim", ++line, native) { Pointer = pointer });
            synced.Add((row.Id, row.Version));
        }
        records.Reverse();
        foreach (var (native, pointer) in batch.Rejected)
            records.Add(new NativeRecord("scim", ++line, native) { Pointer = pointer });
        if (records.Count > 0)
        {
            var keys = records.OfType<NativeRecord>().Select(r => r.Values.GetValueOrDefault(caller.Mapper.KeyColumn) ?? "").ToList();
            await runtime.Sync.RunAsync(caller.Workspace, caller.System.Id, ToAsync(records), "scim", ct, onlyKeys: keys);
        }
        if (synced.Count == 0)
            return;

        await using (var db = runtime.Database.CreateContext())
        {
            foreach (var group in synced.GroupBy(s => s.Version))
            {
                var version = group.Key;
                foreach (var chunk in group.Select(g => g.Id).Chunk(500))
                    await db.ScimResources.Where(r => chunk.Contains(r.Id) && r.Version == version)
                        .ExecuteUpdateAsync(u => u.SetProperty(r => r.SyncPending, false), ct);
            }
        }
    }

    /// <summary>A person whose lifecycle another system owns.</summary>
    private sealed record OwnedPerson(Guid Id, string State);

    /// <summary>The person each user's source record is linked to (users that never reached a person are left out).</summary>
    private static async Task<Dictionary<Guid, Guid>> LinkedPeopleAsync(Data.HandoffDbContext db, ScimCaller caller,
        IReadOnlyList<(ScimResourceRow Row, JsonObject Resource)> users, CancellationToken ct)
    {
        var keyOf = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        foreach (var (row, resource) in users)
        {
            if (Native(caller, ScimSchemas.Users, resource, row.Id).GetValueOrDefault(caller.Mapper.KeyColumn)?.Trim() is { Length: > 0 } key)
                (keyOf.TryGetValue(key, out var ids) ? ids : keyOf[key] = []).Add(row.Id);
        }
        var result = new Dictionary<Guid, Guid>();
        foreach (var chunk in keyOf.Keys.Chunk(500))
        {
            var links = await db.SourceRecords.AsNoTracking().Where(s => s.System == caller.System.Id && chunk.Contains(s.NativeKey))
                .Select(s => new { s.NativeKey, s.PersonId }).ToListAsync(ct);
            foreach (var link in links)
            {
                foreach (var id in keyOf[link.NativeKey])
                    result[id] = link.PersonId;
            }
        }
        return result;
    }

    /// <summary>
    /// Of the users linked to a person (<paramref name="linked"/>: user id → person id), those whose
    /// person's lifecycle is not the caller's to end: the system of record of the lifecycle termination
    /// date (<see cref="ScimCaller.LifecycleOwner"/>) is another system and has a source record linked to
    /// that person. Another writer of the termination date may end only people the owner does not know (a
    /// worker only the SCIM client has); the correlation that joined the user to the owner's person stands,
    /// but its DELETE is no termination.
    /// </summary>
    private static async Task<Dictionary<Guid, OwnedPerson>> OwnedElsewhereAsync(Data.HandoffDbContext db, ScimCaller caller,
        Dictionary<Guid, Guid> linked, CancellationToken ct)
    {
        var result = new Dictionary<Guid, OwnedPerson>();
        if (caller.LifecycleOwner is not { } owner || linked.Count == 0)
            return result;
        var people = linked.Values.Distinct().ToList();
        var known = new Dictionary<Guid, OwnedPerson>();
        foreach (var chunk in people.Chunk(500))
        {
            var ownerKnows = db.SourceRecords.Where(s => s.System == owner && chunk.Contains(s.PersonId)).Select(s => s.PersonId);
            foreach (var p in await db.People.AsNoTracking().Where(p => ownerKnows.Contains(p.Id))
                .Select(p => new OwnedPerson(p.Id, p.State)).ToListAsync(ct))
                known[p.Id] = p;
        }
        foreach (var (user, person) in linked)
        {
            if (known.TryGetValue(person, out var p))
                result[user] = p;
        }
        return result;
    }

    private static async IAsyncEnumerable<SourceItem> ToAsync(IReadOnlyList<SourceItem> items)
    {
        foreach (var item in items)
            yield return item;
        await Task.CompletedTask;
    }

    // ---------- rendering ----------

    /// <summary>The resource as the client reads it: schemas, id, what was written, meta (and a user's groups).</summary>
    public static JsonObject Render(ScimCaller caller, ScimResourceType type, ScimResourceRow row, JsonObject resource, IReadOnlyList<(Guid Id, string Name)>? groups)
    {
        var schemas = new JsonArray(type.Core.Id);
        foreach (var extension in type.Extensions.Where(e => resource.ContainsKey(e.Id)))
            schemas.Add(extension.Id);
        var result = new JsonObject { ["schemas"] = schemas, ["id"] = row.Id.ToString() };
        foreach (var (name, value) in resource)
        {
            if (name == "members" && value is JsonArray members)
            {
                var rendered = new JsonArray();
                foreach (var m in members.OfType<JsonObject>())
                {
                    var copy = (JsonObject)m.DeepClone();
                    copy["$ref"] = $"{caller.BaseUrl}/{(m["type"]?.ToString() == "Group" ? "Groups" : "Users")}/{m["value"]}";
                    rendered.Add(copy);
                }
                result[name] = rendered;
                continue;
            }
            result[name] = value?.DeepClone();
        }
        if (groups is { Count: > 0 })
        {
            result["groups"] = new JsonArray([.. groups.Select(g => (JsonNode)new JsonObject
            {
                ["value"] = g.Id.ToString(),
                ["$ref"] = $"{caller.BaseUrl}/Groups/{g.Id}",
                ["display"] = g.Name,
                ["type"] = "direct",
            })]);
        }
        result["meta"] = new JsonObject
        {
            ["resourceType"] = type.Name,
            ["created"] = row.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["lastModified"] = row.UpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["location"] = $"{caller.BaseUrl}{type.Endpoint}/{row.Id}",
            ["version"] = ETag(row),
        };
        return result;
    }

    /// <summary>The groups each of <paramref name="userIds"/> is a direct member of.</summary>
    public async Task<Dictionary<Guid, List<(Guid Id, string Name)>>> GroupsOfAsync(ScimCaller caller, IReadOnlyCollection<Guid> userIds, CancellationToken ct)
    {
        var result = new Dictionary<Guid, List<(Guid, string)>>();
        if (userIds.Count == 0)
            return result;
        await using var db = runtime.Database.CreateContext();
        foreach (var chunk in userIds.Chunk(500))
        {
            var rows = await (from m in db.ScimMembers
                              join g in db.ScimResources on m.GroupId equals g.Id
                              where m.System == caller.System.Id && chunk.Contains(m.MemberId) && g.DeletedAt == null
                              select new { m.MemberId, g.Id, g.Name }).AsNoTracking().ToListAsync(ct);
            foreach (var r in rows)
            {
                if (!result.TryGetValue(r.MemberId, out var list))
                    result[r.MemberId] = list = [];
                list.Add((r.Id, r.Name));
            }
        }
        return result;
    }
}
