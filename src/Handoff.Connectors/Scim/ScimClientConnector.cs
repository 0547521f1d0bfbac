using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Polly;
using Polly.Retry;

namespace Handoff.Connectors.Scim;

/// <summary>
/// Writes accounts into a SaaS app over SCIM 2.0 (RFC 7643/7644): the <c>app.*</c> steps of a
/// <c>connector: scim-client</c> system. A create POSTs <c>/Users</c> with <c>externalId</c> = the
/// anchor (employee id); updates are PATCH replace operations, or GET + PUT of the whole user where
/// the app wants <c>update: put</c>; enable/disable set <c>active</c>; group membership is a PATCH of
/// the group found by <c>displayName eq</c>.
/// </summary>
/// <remarks>
/// <para>Idempotency: a create first looks for a user with <c>externalId eq</c> the anchor, and a create
/// answered <c>409</c> looks again — finding its own user it reports
/// <see cref="TargetOperationResult.AlreadyApplied"/> with that id, so a step repeated after a crash
/// (or an in-process retry of a POST whose answer was lost) never makes a second account. Delete
/// answered 404 is done; enable/disable and group changes compare with the user first.</para>
/// <para>Failures: 429 (honouring <c>Retry-After</c>, seconds or an HTTP date, up to
/// <see cref="ScimClientSettings.MaxWait"/>), 5xx and network errors are retried a few times in-process
/// with Polly, then surface as <see cref="ConnectorFailure.Unavailable"/> so the engine's durable retry
/// takes over. Other 4xx answers are permanent and carry the app's SCIM error <c>detail</c>.</para>
/// </remarks>
public sealed class ScimClientConnector : ITargetConnector, IUniqueValueLookup
{
    private const string ScimJson = "application/scim+json";
    private readonly ScimClientSettings _settings;
    private readonly HttpClient _client;
    private readonly TimeProvider _clock;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ScimOAuthTokens? _oauth;

    /// <param name="wallClock">real time for back-off delays and Retry-After dates — never the engine's
    /// (possibly pinned) business clock, or a pinned clock would make a delay last forever</param>
    public ScimClientConnector(string systemId, ScimClientSettings settings, HttpClient client, TimeProvider? wallClock = null)
    {
        SystemId = systemId;
        _settings = settings;
        _client = client;
        _clock = wallClock ?? TimeProvider.System;
        _oauth = settings.OAuth is { } oauth ? new ScimOAuthTokens(systemId, oauth, client, _clock) : null;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _clock };
        if (settings.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = settings.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException } => true,
                    { Exception: TaskCanceledException } => !args.Context.CancellationToken.IsCancellationRequested,
                    { Result: { } r } => IsBusy(r) && (RetryAfter(r) is not { } wait || wait <= _settings.MaxWait),
                    _ => false,
                }),
                // the app's Retry-After when it gave one; otherwise Polly's exponential back-off
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? RetryAfter(r) : null),
            });
        }
        _pipeline = builder.Build();
    }

    public static ScimClientConnector For(SystemDefinition system, HttpClient client) =>
        new(system.Id, ScimClientSettings.From(system), client);

    public string SystemId { get; }

    public ScimClientSettings Settings => _settings;

    // ----------------------------------------------------------------------------------------------
    // test, schema, read
    // ----------------------------------------------------------------------------------------------

    /// <summary>GET /ServiceProviderConfig (is it a SCIM service?) and GET /Users?count=1 (does the
    /// token work? — many apps answer the configuration without one).</summary>
    public async Task<ConnectionCheck> TestAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var config = await SendAsync(HttpMethod.Get, "ServiceProviderConfig", null, ct);
            if (!config.Ok)
                return new ConnectionCheck(false, Describe(config), watch.Elapsed);
            var users = await SendAsync(HttpMethod.Get, "Users?count=1&attributes=id", null, ct);
            if (!users.Ok)
                return new ConnectionCheck(false, Describe(users), watch.Elapsed);
            var patch = config.Object is { } c && ScimPaths.Child(c, "patch") is JsonObject p && ScimPaths.Child(p, "supported")?.GetValueKind() == JsonValueKind.True;
            var total = users.Object is { } u ? ScimPaths.Child(u, "totalResults")?.ToString() : null;
            return new ConnectionCheck(true, $"{_settings.BaseUrl}: SCIM 2.0, PATCH {(patch ? "supported" : "not supported")}, {total ?? "?"} users", watch.Elapsed);
        }
        catch (ConnectorException e)
        {
            return new ConnectionCheck(false, e.Message, watch.Elapsed);
        }
    }

    /// <summary>GET /Schemas: the User schema and its extensions become the <c>account</c> class with
    /// flattened paths (<c>name.givenName</c>, <c>urn:…:enterprise:2.0:User:department</c>), the
    /// Group schema the <c>group</c> class.</summary>
    public async Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct)
    {
        var answer = Expect(await SendAsync(HttpMethod.Get, "Schemas", null, ct), "read the schemas");
        var account = new List<TargetAttribute>();
        var group = new List<TargetAttribute>();
        foreach (var schema in Resources(answer.Object!))
        {
            var id = ScimPaths.Child(schema, "id")?.ToString() ?? "";
            var attributes = ScimPaths.Child(schema, "attributes") as JsonArray ?? [];
            if (string.Equals(id, ScimPaths.GroupSchema, StringComparison.OrdinalIgnoreCase))
                group.AddRange(Flatten(attributes, ""));
            else if (string.Equals(id, ScimPaths.UserSchema, StringComparison.OrdinalIgnoreCase))
                account.AddRange(Flatten(attributes, ""));
            else if (id.EndsWith(":User", StringComparison.OrdinalIgnoreCase))
                account.AddRange(Flatten(attributes, id + ":"));
        }
        return new TargetSchema([new TargetObjectClass(ObjectClasses.Account, account), new TargetObjectClass("group", group)]);

        static IEnumerable<TargetAttribute> Flatten(JsonArray attributes, string prefix)
        {
            foreach (var a in attributes.OfType<JsonObject>())
            {
                var name = prefix + ScimPaths.Child(a, "name");
                var multi = ScimPaths.Child(a, "multiValued")?.GetValueKind() == JsonValueKind.True;
                var uniqueness = ScimPaths.Child(a, "uniqueness")?.ToString();
                var type = ScimPaths.Child(a, "type")?.ToString() ?? "string";
                yield return new TargetAttribute(name, type == "boolean" ? "bool" : type, ScimPaths.Child(a, "required")?.GetValueKind() == JsonValueKind.True,
                    multi, uniqueness is "server" or "global", null);
                if (!multi && ScimPaths.Child(a, "subAttributes") is JsonArray subs)
                {
                    foreach (var sub in Flatten(subs, name + "."))
                        yield return sub;
                }
            }
        }
    }

    /// <summary>Every user (or group) of the app, page by page (<c>startIndex</c>/<c>count</c>), one page in memory.</summary>
    public async IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, [EnumeratorCancellation] CancellationToken ct)
    {
        var endpoint = objectClass switch
        {
            ObjectClasses.Account => "Users",
            "group" => "Groups",
            _ => throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"no object class \"{objectClass}\" in a SCIM app (it has account and group)"),
        };
        var start = 1;
        while (true)
        {
            var page = Expect(await SendAsync(HttpMethod.Get, $"{endpoint}?startIndex={start}&count={_settings.PageSize}", null, ct), $"read {endpoint}").Object!;
            var resources = Resources(page).ToList();
            foreach (var r in resources)
                yield return objectClass == "group" ? ToGroup(r) : ToAccount(r);
            var total = ScimPaths.Child(page, "totalResults")?.GetValue<int>() ?? 0;
            start += resources.Count;
            // an app that ignores count (or answers fewer than asked) is still read to the end; an empty page ends it
            if (resources.Count == 0 || start > total)
                yield break;
        }
    }

    private TargetObject ToAccount(JsonObject user)
    {
        // native names are the SCIM paths a step or a dictionary binding uses: title, name.givenName,
        // urn:…:enterprise:2.0:User:department, urn:…:User:manager.value, emails[type eq "work"].value
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, node) in user)
        {
            var extension = name.StartsWith("urn:", StringComparison.OrdinalIgnoreCase);
            if (node is JsonValue v)
                values[name] = SandboxValues.Value(v);
            else if (node is JsonObject o)
            {
                foreach (var (sub, subNode) in o)
                {
                    var path = extension ? $"{name}:{sub}" : $"{name}.{sub}";
                    if (subNode is JsonValue sv)
                        values[path] = SandboxValues.Value(sv);
                    else if (extension && subNode is JsonObject so)
                    {
                        foreach (var (leaf, leafNode) in so)
                        {
                            if (leafNode is JsonValue lv)
                                values[$"{path}.{leaf}"] = SandboxValues.Value(lv);
                        }
                    }
                }
            }
        }
        foreach (var (op, path) in ScimPaths.NativeNames)
            values[op] = values[path] = SandboxValues.Value(ScimPaths.Get(user, path) as JsonValue);
        values[AccountAttributes.Email] ??= PrimaryEmail(user);
        values[AccountAttributes.Enabled] = ScimPaths.Child(user, "active")?.GetValueKind() != JsonValueKind.False;
        values[AccountAttributes.Groups] = GroupsOf(user)?.Select(g => g.Display).ToList() ?? [];
        return new TargetObject(ObjectClasses.Account, Id(user), ScimPaths.Child(user, "externalId")?.ToString(), values);
    }

    private TargetObject ToGroup(JsonObject group) => new("group", Id(group), ScimPaths.Child(group, "externalId")?.ToString(),
        new Dictionary<string, object?>
        {
            ["name"] = ScimPaths.Child(group, "displayName")?.ToString(),
            ["members"] = (ScimPaths.Child(group, "members") as JsonArray)?.OfType<JsonObject>().Select(m => ScimPaths.Child(m, "value")?.ToString() ?? "").ToList() ?? [],
        });

    // ----------------------------------------------------------------------------------------------
    // lookups
    // ----------------------------------------------------------------------------------------------

    /// <summary>Whether a userName (or mail address, or any SCIM path) is taken: <c>GET /Users?filter=… eq "…"</c>.</summary>
    public async ValueTask<bool> IsTakenAsync(string objectClass, string attribute, string value, CancellationToken ct)
    {
        var path = attribute == AccountAttributes.Email ? "emails.value" : ScimPaths.NativeNames.GetValueOrDefault(attribute) ?? attribute;
        return await FindUserAsync(path, value, ct) is not null;
    }

    /// <summary>SCIM sets no length limits of its own.</summary>
    public int? MaxLength(string objectClass, string attribute) => null;

    /// <summary>The first user whose <paramref name="path"/> equals <paramref name="value"/>, or null.</summary>
    public async Task<JsonObject?> FindUserAsync(string path, string value, CancellationToken ct)
    {
        var filter = Uri.EscapeDataString(ScimPaths.Equal(path, value));
        var answer = Expect(await SendAsync(HttpMethod.Get, $"Users?filter={filter}&count=2", null, ct), $"look up users with {path} = \"{value}\"");
        return Resources(answer.Object!).FirstOrDefault();
    }

    /// <summary>The group with this displayName, or null.</summary>
    public async Task<JsonObject?> FindGroupAsync(string displayName, CancellationToken ct)
    {
        var filter = Uri.EscapeDataString(ScimPaths.Equal("displayName", displayName));
        var answer = Expect(await SendAsync(HttpMethod.Get, $"Groups?filter={filter}&attributes=id,displayName", null, ct), $"look up group \"{displayName}\"");
        return Resources(answer.Object!).FirstOrDefault(g => string.Equals(ScimPaths.Child(g, "displayName")?.ToString(), displayName, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>GET /Users/{id}; null when the app answers 404.</summary>
    public async Task<(JsonObject User, string? ETag)?> GetUserAsync(string id, CancellationToken ct)
    {
        var answer = await SendAsync(HttpMethod.Get, UserPath(id), null, ct);
        if (answer.Status == HttpStatusCode.NotFound)
            return null;
        return (Expect(answer, $"read user {id}").Object!, answer.ETag);
    }

    // ----------------------------------------------------------------------------------------------
    // writes
    // ----------------------------------------------------------------------------------------------

    public Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
    {
        if (operation.ObjectClass != ObjectClasses.Account)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"a SCIM app holds accounts, not {operation.ObjectClass}");
        if (operation.Kind != TargetOperationKind.Create && string.IsNullOrEmpty(operation.NativeId))
            throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"{operation.Kind} needs the account's SCIM id (no account is linked)");
        return operation.Kind switch
        {
            TargetOperationKind.Create => CreateAsync(operation, ct),
            TargetOperationKind.Update => UpdateAsync(operation.NativeId!, Changes(operation), ct),
            TargetOperationKind.Enable => SetActiveAsync(operation.NativeId!, true, ct),
            TargetOperationKind.Disable => SetActiveAsync(operation.NativeId!, false, ct),
            TargetOperationKind.SetPassword => UpdateAsync(operation.NativeId!,
                [("password", JsonValue.Create(SandboxValues.Text(operation[AccountAttributes.Password])
                    ?? throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, "set password: no password given")))], ct),
            TargetOperationKind.AddToGroups => AddToGroupsAsync(operation.NativeId!, SandboxValues.List(operation[AccountAttributes.Groups]), ct),
            TargetOperationKind.RemoveFromGroups => RemoveFromGroupsAsync(operation.NativeId!, SandboxValues.List(operation[AccountAttributes.Groups]), ct),
            TargetOperationKind.Delete => DeleteAsync(operation.NativeId!, ct),
            TargetOperationKind.SetExpiry or TargetOperationKind.Move => throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation,
                $"SCIM has no {(operation.Kind == TargetOperationKind.Move ? "containers to move between" : "account expiry")}; use app.disable / app.delete on the day instead"),
            _ => throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"a SCIM app takes account operations, not {operation.Kind}"),
        };
    }

    private async Task<TargetOperationResult> CreateAsync(TargetOperation op, CancellationToken ct)
    {
        var username = SandboxValues.Text(op[AccountAttributes.Username]);
        if (string.IsNullOrWhiteSpace(username))
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, "create: username (SCIM userName) is required");
        var groups = SandboxValues.List(op[AccountAttributes.Groups]);
        // Our own earlier create (the process died before the step's commit): done, with that user.
        if (op.Anchor is { } anchor && await FindUserAsync("externalId", anchor, ct) is { } earlier)
            return await MineAsync(earlier, groups, ct);

        var body = new JsonObject { ["schemas"] = new JsonArray(ScimPaths.UserSchema) };
        foreach (var (path, value) in Changes(op))
        {
            if (value is not null)
                Write(body, path, value);
        }
        ScimPaths.Set(body, "userName", username);
        if (op.Anchor is not null)
            ScimPaths.Set(body, "externalId", op.Anchor);
        if (ScimPaths.Get(body, "displayName") is null && $"{op[AccountAttributes.GivenName]} {op[AccountAttributes.Surname]}".Trim() is { Length: > 0 } display)
            ScimPaths.Set(body, "displayName", display);
        if (ScimPaths.Get(body, "active") is null)
            ScimPaths.Set(body, "active", false); // like a directory account: created disabled unless the step says otherwise

        var answer = await SendAsync(HttpMethod.Post, "Users", body, ct);
        if (answer.Status == HttpStatusCode.Conflict && op.Anchor is { } a)
        {
            // lost a race with our own retry (or the answer to an earlier POST was lost): ours if it has the anchor
            if (await FindUserAsync("externalId", a, ct) is { } winner)
                return await MineAsync(winner, groups, ct);
        }
        var created = Expect(answer, $"create user \"{username}\"").Object!;
        var id = Id(created);
        if (groups.Count > 0)
            await AddToGroupsAsync(id, groups, ct);
        return TargetOperationResult.Done(id, Outputs(created));
    }

    /// <summary>An existing user with our anchor: the create is done; the groups it asked for are made sure of
    /// (the crash may have come between the POST and the group PATCHes).</summary>
    private async Task<TargetOperationResult> MineAsync(JsonObject user, List<string> groups, CancellationToken ct)
    {
        var id = Id(user);
        if (groups.Count > 0)
            await AddToGroupsAsync(id, groups, ct);
        return new TargetOperationResult(id, true, Outputs(user));
    }

    private async Task<TargetOperationResult> UpdateAsync(string id, List<(string Path, JsonNode? Value)> changes, CancellationToken ct)
    {
        if (changes.Count == 0)
            return new TargetOperationResult(id, true, new Dictionary<string, object?> { ["native_id"] = id });
        if (_settings.Update == ScimUpdateMode.Patch)
        {
            var operations = new JsonArray();
            foreach (var (path, value) in changes)
            {
                operations.Add(value is null
                    ? new JsonObject { ["op"] = "remove", ["path"] = path }
                    : new JsonObject { ["op"] = "replace", ["path"] = path, ["value"] = value });
            }
            var patch = new JsonObject { ["schemas"] = new JsonArray(ScimPaths.PatchOp), ["Operations"] = operations };
            var answer = await SendAsync(HttpMethod.Patch, UserPath(id), patch, ct);
            // 204 (no body) is as good as 200 with the user
            var user = Expect(answer, $"update user {id}").Object;
            return TargetOperationResult.Done(id, user is null ? new Dictionary<string, object?> { ["native_id"] = id } : Outputs(user));
        }

        // PUT replaces the whole user: read it, change what the step names, send it back with If-Match
        // so a change made by someone else in between is not overwritten (412 → read again).
        for (var attempt = 1; ; attempt++)
        {
            var (user, etag) = await GetUserAsync(id, ct) ?? throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"user {id} does not exist");
            foreach (var (path, value) in changes)
                Write(user, path, value);
            foreach (var readOnly in new[] { "meta", "groups" })
            {
                if (user.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, readOnly, StringComparison.OrdinalIgnoreCase)) is { } key)
                    user.Remove(key);
            }
            var answer = await SendAsync(HttpMethod.Put, UserPath(id), user, ct, etag);
            if (answer.Status == HttpStatusCode.PreconditionFailed && attempt < 3)
                continue;
            var written = Expect(answer, $"replace user {id}").Object;
            return TargetOperationResult.Done(id, written is null ? new Dictionary<string, object?> { ["native_id"] = id } : Outputs(written));
        }
    }

    private async Task<TargetOperationResult> SetActiveAsync(string id, bool active, CancellationToken ct)
    {
        var (user, _) = await GetUserAsync(id, ct) ?? throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"user {id} does not exist");
        var now = ScimPaths.Child(user, "active")?.GetValueKind() != JsonValueKind.False;
        if (now == active)
            return new TargetOperationResult(id, true, Outputs(user));
        return await UpdateAsync(id, [("active", JsonValue.Create(active))], ct);
    }

    private async Task<TargetOperationResult> DeleteAsync(string id, CancellationToken ct)
    {
        var answer = await SendAsync(HttpMethod.Delete, UserPath(id), null, ct);
        if (answer.Status == HttpStatusCode.NotFound)
            return new TargetOperationResult(id, true, new Dictionary<string, object?> { ["native_id"] = id });
        Expect(answer, $"delete user {id}");
        return TargetOperationResult.Done(id, new Dictionary<string, object?> { ["native_id"] = id });
    }

    private async Task<TargetOperationResult> AddToGroupsAsync(string id, List<string> groups, CancellationToken ct)
    {
        var (user, _) = await GetUserAsync(id, ct) ?? throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"user {id} does not exist");
        // apps that list a user's groups (RFC 7643 §4.1.2, read-only) let a repeat write nothing
        var current = GroupsOf(user);
        var wrote = false;
        foreach (var name in groups.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (current?.Any(g => string.Equals(g.Display, name, StringComparison.OrdinalIgnoreCase)) == true)
                continue;
            var group = await FindGroupAsync(name, ct) ?? throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"group \"{name}\" does not exist in the app");
            if (current?.Any(g => g.Id == Id(group)) == true)
                continue;
            var patch = MembersPatch(new JsonObject { ["op"] = "add", ["path"] = "members", ["value"] = new JsonArray(new JsonObject { ["value"] = id }) });
            Expect(await SendAsync(HttpMethod.Patch, "Groups/" + Uri.EscapeDataString(Id(group)), patch, ct), $"add user {id} to group \"{name}\"");
            wrote = true;
        }
        return new TargetOperationResult(id, !wrote, Outputs(user));
    }

    private async Task<TargetOperationResult> RemoveFromGroupsAsync(string id, List<string> groups, CancellationToken ct)
    {
        var (user, _) = await GetUserAsync(id, ct) ?? throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"user {id} does not exist");
        // RFC 7643 omits an empty multi-valued attribute, so a user without "groups" may be in none, or
        // the app may not list them: then the groups are asked for by member.
        var current = GroupsOf(user);
        List<(string Id, string Name)> leave = [];
        if (groups.Count == 0)
        {
            leave.AddRange(current is not null ? current.Select(g => (g.Id, g.Display)) : await GroupsWithMemberAsync(id, ct));
        }
        else
        {
            foreach (var name in groups.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var known = current?.FindIndex(g => string.Equals(g.Display, name, StringComparison.OrdinalIgnoreCase)) ?? -1;
                if (known >= 0)
                    leave.Add(current![known]);
                else if (current is null && await FindGroupAsync(name, ct) is { } group)
                    leave.Add((Id(group), name));
                // a group the user is not in (or that does not exist) is left already
            }
        }
        var wrote = false;
        foreach (var (groupId, name) in leave)
        {
            var patch = MembersPatch(new JsonObject { ["op"] = "remove", ["path"] = $"members[{ScimPaths.Equal("value", id)}]" });
            var answer = await SendAsync(HttpMethod.Patch, "Groups/" + Uri.EscapeDataString(groupId), patch, ct);
            // a group deleted meanwhile (404), or one the user was not in (400 noTarget), holds the user no more
            if (answer.Status == HttpStatusCode.NotFound || (answer.Status == HttpStatusCode.BadRequest && ScimType(answer) == "noTarget"))
                continue;
            Expect(answer, $"remove user {id} from group \"{name}\"");
            wrote = true;
        }
        return new TargetOperationResult(id, !wrote, Outputs(user));
    }

    /// <summary>The groups that list the user as a member: <c>GET /Groups?filter=members[value eq "id"]</c>.</summary>
    private async Task<List<(string Id, string Name)>> GroupsWithMemberAsync(string id, CancellationToken ct)
    {
        var filter = Uri.EscapeDataString($"members[{ScimPaths.Equal("value", id)}]");
        var answer = Expect(await SendAsync(HttpMethod.Get, $"Groups?filter={filter}&attributes=id,displayName&count={_settings.PageSize}", null, ct),
            $"look up the groups of user {id}");
        return [.. Resources(answer.Object!).Select(g => (Id(g), ScimPaths.Child(g, "displayName")?.ToString() ?? ""))];
    }

    private static string? ScimType(Answer answer) => answer.Object is { } o ? ScimPaths.Child(o, "scimType")?.ToString() : null;

    private static JsonObject MembersPatch(JsonObject operation) =>
        new() { ["schemas"] = new JsonArray(ScimPaths.PatchOp), ["Operations"] = new JsonArray(operation) };

    /// <summary>The operation's attributes as (SCIM path, JSON value) pairs; null values are removals.</summary>
    private List<(string Path, JsonNode? Value)> Changes(TargetOperation op)
    {
        var changes = new List<(string, JsonNode?)>();
        foreach (var (name, value) in op.Attributes)
        {
            switch (name)
            {
                case AccountAttributes.Groups:
                    continue; // written through the groups, not the user
                case AccountAttributes.Container or AccountAttributes.Expires:
                    if (value is null || SandboxValues.Text(value) is { Length: 0 })
                        continue;
                    throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{name}: a SCIM app has no {(name == AccountAttributes.Container ? "containers" : "account expiry")}");
            }
            var path = ScimPaths.NativeNames.GetValueOrDefault(name) ?? name;
            if (op.Kind == TargetOperationKind.Create && name == AccountAttributes.Username)
                continue; // set by CreateAsync
            JsonNode? json;
            try
            {
                json = path == "active" ? (SandboxValues.Bool(value) is { } b ? JsonValue.Create(b) : null) : SandboxValues.Node(value);
            }
            catch (FormatException e)
            {
                throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{name}: {e.Message}");
            }
            changes.Add((path, json is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0 ? null : json));
        }
        return changes;
    }

    private void Write(JsonObject resource, string path, JsonNode? value)
    {
        try
        {
            ScimPaths.Set(resource, path, value);
        }
        catch (FormatException e)
        {
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, e.Message);
        }
    }

    // ----------------------------------------------------------------------------------------------
    // HTTP
    // ----------------------------------------------------------------------------------------------

    /// <summary>An answer of the app: its status, its JSON object (if any), its ETag.</summary>
    private sealed record Answer(string Request, HttpStatusCode Status, JsonObject? Object, string? ETag, string Text, TimeSpan? RetryAfter)
    {
        public bool Ok => (int)Status is >= 200 and < 300;
    }

    private static string UserPath(string id) => "Users/" + Uri.EscapeDataString(id);

    /// <summary>Sends one request. With OAuth client credentials, a 401 means the cached token was revoked
    /// or rotated: it is dropped and the request is sent once more with a fresh one (never more: a client
    /// whose fresh token is refused too has lost its access, which the 401 then says).</summary>
    private async Task<Answer> SendAsync(HttpMethod method, string relative, JsonNode? body, CancellationToken ct, string? ifMatch = null)
    {
        var token = _oauth is null ? Token() : await _oauth.GetAsync(ct);
        var answer = await SendOnceAsync(method, relative, body, token, ct, ifMatch);
        if (_oauth is null || answer.Status != HttpStatusCode.Unauthorized)
            return answer;
        await _oauth.InvalidateAsync(token!, ct);
        return await SendOnceAsync(method, relative, body, await _oauth.GetAsync(ct), ct, ifMatch);
    }

    /// <summary>Sends one request (re-built for every attempt), retrying 429, 5xx, network failures and
    /// timeouts in-process; what is still busy after the retries is thrown as Unavailable.</summary>
    private async Task<Answer> SendOnceAsync(HttpMethod method, string relative, JsonNode? body, string? token, CancellationToken ct, string? ifMatch)
    {
        var uri = new Uri(_settings.BaseUrl, relative);
        var what = $"{method} {uri.GetLeftPart(UriPartial.Path)}";
        var payload = body?.ToJsonString();
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(async attemptCt =>
            {
                using var request = new HttpRequestMessage(method, uri);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ScimJson));
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json", 0.9));
                if (token is not null)
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                if (ifMatch is not null)
                    request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
                if (payload is not null)
                    request.Content = new StringContent(payload, Encoding.UTF8, ScimJson);
                var r = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, attemptCt);
                return r;
            }, ct);
        }
        catch (Exception e) when (Http.HttpConnector.Transport(SystemId, what, e, _client.Timeout, ct, $" (after {_settings.Retries} retries)") is { } failure)
        {
            throw failure;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonObject? json = null;
            if (text.Length > 0)
            {
                try
                {
                    json = JsonNode.Parse(text) as JsonObject;
                }
                catch (JsonException)
                {
                    // an HTML error page from a proxy: the status says enough
                }
            }
            var etag = response.Headers.ETag?.ToString();
            var answer = new Answer(what, response.StatusCode, json, etag, text, RetryAfter(response));
            if (IsBusy(response))
            {
                var wait = answer.RetryAfter is { } w ? $"; Retry-After {w.TotalSeconds:0} s" : "";
                throw new ConnectorException(SystemId, ConnectorFailure.Unavailable, $"{Describe(answer)} (after {_settings.Retries} retries{wait})");
            }
            return answer;
        }
    }

    private string? Token()
    {
        if (_settings.TokenEnv is not { } name)
            return null;
        return Environment.GetEnvironmentVariable(name) is { Length: > 0 } token ? token
            : throw new ConnectorException(SystemId, ConnectorFailure.Denied, $"the environment variable {name} (config.token_env) holding the app's bearer token is not set");
    }

    private static bool IsBusy(HttpResponseMessage r) => Http.HttpConnector.IsBusy(r);

    private TimeSpan? RetryAfter(HttpResponseMessage r) => Http.HttpConnector.RetryAfter(r, _clock);

    /// <summary>A successful answer, or the failure it stands for, with the app's SCIM error detail.</summary>
    private Answer Expect(Answer answer, string doing)
    {
        if (answer.Ok)
            return answer;
        var failure = answer.Status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ConnectorFailure.Denied,
            HttpStatusCode.NotFound => ConnectorFailure.NotFound,
            HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed => ConnectorFailure.Conflict,
            _ => ConnectorFailure.SchemaViolation,
        };
        throw new ConnectorException(SystemId, failure, $"{doing}: {Describe(answer)}");
    }

    private static string Describe(Answer answer)
    {
        var status = (int)answer.Status;
        if (answer.Object is { } error && ScimPaths.Child(error, "detail")?.ToString() is { } detail)
        {
            var type = ScimPaths.Child(error, "scimType")?.ToString() is { } t ? $" {t}" : "";
            return $"{answer.Request} answered {status}{type}: {detail}";
        }
        var text = answer.Text.Length <= 200 ? answer.Text : answer.Text[..197] + "...";
        return $"{answer.Request} answered {status}{(text.Length > 0 ? ": " + text : "")}";
    }

    // ----------------------------------------------------------------------------------------------
    // values
    // ----------------------------------------------------------------------------------------------

    private static IEnumerable<JsonObject> Resources(JsonObject list) =>
        (ScimPaths.Child(list, "Resources") as JsonArray)?.OfType<JsonObject>() ?? [];

    private string Id(JsonObject resource) => ScimPaths.Child(resource, "id")?.ToString() is { Length: > 0 } id ? id
        : throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, "the app answered a resource without an id");

    /// <summary>The user's groups as the app lists them (read-only <c>groups</c>), or null when it does not.</summary>
    private static List<(string Id, string Display)>? GroupsOf(JsonObject user) =>
        ScimPaths.Child(user, "groups") is JsonArray groups
            ? [.. groups.OfType<JsonObject>().Select(g => (ScimPaths.Child(g, "value")?.ToString() ?? "", ScimPaths.Child(g, "display")?.ToString() ?? ""))]
            : null;

    private static string? PrimaryEmail(JsonObject user)
    {
        var emails = (ScimPaths.Child(user, "emails") as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var primary = emails.FirstOrDefault(e => ScimPaths.Child(e, "primary")?.GetValueKind() == JsonValueKind.True) ?? emails.FirstOrDefault();
        return primary is null ? null : ScimPaths.Child(primary, "value")?.ToString();
    }

    private Dictionary<string, object?> Outputs(JsonObject user)
    {
        var outputs = new Dictionary<string, object?> { ["native_id"] = Id(user) };
        if (ScimPaths.Child(user, "userName")?.ToString() is { } name)
            outputs[AccountAttributes.Username] = name;
        return outputs;
    }
}
