using System.Diagnostics;
using System.DirectoryServices.Protocols;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Ldap;

/// <summary>
/// A real directory — Active Directory or OpenLDAP — over LDAP v3 (System.DirectoryServices.Protocols).
/// Same operations, names and constraints as its sandbox twin (<see cref="ActiveDirectoryDialect"/>,
/// <see cref="OpenLdapDialect"/>): AD <c>user</c> objects named <c>CN=&lt;display name&gt;</c> with
/// sAMAccountName, userPrincipalName, userAccountControl, accountExpires and employeeID as the anchor;
/// OpenLDAP <c>inetOrgPerson</c> named <c>uid=&lt;username&gt;</c> (or <c>cn=</c>) with employeeNumber as the
/// anchor, <c>groupOfNames</c> groups, the ppolicy lock for disabling and shadowExpire for expiry.
/// </summary>
/// <remarks>
/// Every value from people data is escaped for DNs (RFC 4514) and filters (RFC 4515). A create that
/// finds an entry with its anchor reports <see cref="TargetOperationResult.AlreadyApplied"/> with that
/// entry's DN — the engine relies on it after a crash between a write and its commit. Connections are
/// pooled (<c>max_concurrency</c>), so several workers have requests in flight at once; a lost server
/// gives a transient <see cref="ConnectorException"/>, and the next call reconnects.
/// </remarks>
public sealed class LdapConnector : ITargetConnector, IUniqueValueLookup, IOperationValidator, IDisposable
{
    /// <summary>userAccountControl ACCOUNTDISABLE / NORMAL_ACCOUNT.</summary>
    private const int AccountDisable = ActiveDirectoryDialect.AccountDisable, NormalAccount = ActiveDirectoryDialect.NormalAccount;

    /// <summary>accountExpires for "never" (AD also reads 0 as never).</summary>
    public const long NeverExpires = long.MaxValue;

    private readonly LdapConnectionPool _pool;
    private readonly AccountDialect _twin;

    /// <summary>Containers seen to exist, with their DN as the server spells it (a deleted OU makes the
    /// add fail with NotFound, which says so).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _containers = new();

    public LdapConnector(string systemId, LdapSettings settings)
    {
        SystemId = systemId;
        Settings = settings;
        _twin = settings.IsActiveDirectory ? ActiveDirectoryDialect.Instance : OpenLdapDialect.Instance;
        _pool = new LdapConnectionPool(settings, systemId);
    }

    /// <summary>The connector of a workspace system with <c>connector: ldap</c>.</summary>
    public static LdapConnector For(SystemDefinition system) => new(system.Id, LdapSettings.From(system));

    public string SystemId { get; }

    public LdapSettings Settings { get; }

    private bool Ad => Settings.IsActiveDirectory;

    /// <summary>The attribute that carries the anchor (the employee id).</summary>
    public string AnchorAttribute => Ad ? "employeeID" : "employeeNumber";

    public string UsernameAttribute => _twin.UsernameAttribute;

    private string AccountClass => Ad ? "user" : "inetOrgPerson";

    private string AccountFilter => Ad ? "(&(objectClass=user)(!(objectClass=computer)))" : "(objectClass=inetOrgPerson)";

    private string GroupClass => Ad ? "group" : "groupOfNames";

    public string PeopleDn => LdapText.Join(Settings.PeopleOu, Settings.BaseDn);

    public string GroupDn => LdapText.Join(Settings.GroupOu, Settings.BaseDn);

    public void Dispose() => _pool.Dispose();

    // ----------------------------------------------------------------------------------------------
    // test, schema, read
    // ----------------------------------------------------------------------------------------------

    public async Task<ConnectionCheck> TestAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var root = await RootDseAsync(ct);
            var vendor = root.First("vendorName") ?? (root.First("dnsHostName") is { } host ? $"Active Directory DC {host}" : "LDAP server");
            var found = (await SearchAsync(Settings.BaseDn, "(objectClass=*)", SearchScope.Base, ["1.1"], ct)).Count == 1;
            return new ConnectionCheck(found, found ? $"{vendor} at {Settings.Url}: bound, base {Settings.BaseDn} found"
                : $"{vendor} at {Settings.Url}: bound, but base {Settings.BaseDn} does not exist", Stopwatch.GetElapsedTime(started));
        }
        catch (ConnectorException e)
        {
            return new ConnectionCheck(false, e.Message, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Reads the subschema entry (its DN from the root DSE): the account class with every
    /// attribute it may carry (structural chain plus the auxiliary classes the dialect uses) as
    /// <c>account</c>, the group class as <c>group</c>, and each class of the chain under its own name.</summary>
    public async Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct)
    {
        var root = await RootDseAsync(ct);
        var subschema = root.First("subschemaSubentry") ?? (await SearchAsync(Settings.BaseDn, "(objectClass=*)", SearchScope.Base, ["subschemaSubentry"], ct)).FirstOrDefault()?.First("subschemaSubentry")
            ?? throw new ConnectorException(SystemId, ConnectorFailure.NotFound, "the server names no subschemaSubentry");
        var entry = (await SearchAsync(subschema, "(objectClass=subschema)", SearchScope.Base, ["objectClasses", "attributeTypes"], ct)).FirstOrDefault()
            ?? throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"subschema entry {subschema} not found");
        var schema = LdapSchema.Parse(entry.All("objectClasses"), entry.All("attributeTypes"));
        // AD's subschema does not list a class's system auxiliaries: securityPrincipal carries sAMAccountName
        string[] aux = Ad ? ["securityPrincipal", "mailRecipient"] : ["shadowAccount", "posixAccount"];
        var account = schema.ClassAttributes(AccountClass, aux, _twin);
        if (account.Count == 0)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"the server's schema has no object class {AccountClass}");
        List<TargetObjectClass> classes =
        [
            new(ObjectClasses.Account, account),
            new("group", schema.ClassAttributes(GroupClass, [], null)),
        ];
        foreach (var name in schema.Chain(AccountClass))
            classes.Add(new(name, schema.ClassAttributes(name, [], null)));
        return new TargetSchema(classes);
    }

    /// <summary>Streams the accounts under <c>people_ou</c> (or the groups under <c>group_ou</c>) with a
    /// paged search, one page in memory at a time.</summary>
    public async IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, [EnumeratorCancellation] CancellationToken ct)
    {
        if (objectClass is not (ObjectClasses.Account or "group"))
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"no object class \"{objectClass}\" in a directory (it has account and group)");
        if (objectClass == "group")
        {
            await foreach (var g in PagedSearchAsync(GroupDn, $"(objectClass={GroupClass})", ["cn", "description"], ct))
                yield return new TargetObject("group", g.Dn, null, new Dictionary<string, object?> { ["name"] = g.First("cn"), ["description"] = g.First("description") });
            yield break;
        }
        // OpenLDAP has no memberOf without an overlay: the groups are read once, before the accounts.
        Dictionary<string, List<string>>? groupsOf = null;
        if (!Ad)
        {
            groupsOf = new(StringComparer.OrdinalIgnoreCase);
            await foreach (var g in PagedSearchAsync(GroupDn, "(objectClass=groupOfNames)", ["cn", "member"], ct))
            {
                foreach (var member in g.All("member").Where(m => m.Length > 0))
                {
                    if (!groupsOf.TryGetValue(Normalize(member), out var list))
                        groupsOf[Normalize(member)] = list = [];
                    list.Add(g.First("cn") ?? LdapText.RdnValue(LdapText.SplitFirst(g.Dn).Rdn));
                }
            }
        }
        await foreach (var entry in PagedSearchAsync(PeopleDn, AccountFilter, ["*", "memberOf", "pwdAccountLockedTime"], ct))
            yield return ToTargetObject(entry, groupsOf);
    }

    private async IAsyncEnumerable<LdapEntry> PagedSearchAsync(string baseDn, string filter, string[] attributes, [EnumeratorCancellation] CancellationToken ct)
    {
        byte[] cookie = [];
        do
        {
            var request = new SearchRequest(baseDn, filter, SearchScope.Subtree, attributes);
            var paging = new PageResultRequestControl(Settings.PageSize) { Cookie = cookie };
            request.Controls.Add(paging);
            var response = await CallAsync($"search under {baseDn}", c => LdapConnectionPool.SendAsync(c, request), ct, missingIsEmpty: true);
            if (response is not SearchResponse search)
                yield break;
            foreach (SearchResultEntry e in search.Entries)
                yield return LdapEntry.From(e);
            cookie = search.Controls.OfType<PageResultResponseControl>().FirstOrDefault()?.Cookie ?? [];
        }
        while (cookie.Length > 0);
    }

    private TargetObject ToTargetObject(LdapEntry e, Dictionary<string, List<string>>? groupsOf)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, list) in e.Values)
            values[name] = list.Count == 1 ? list[0] : list;
        foreach (var (op, native) in _twin.NativeNames)
            values[op] = e.First(native);
        values[AccountAttributes.Enabled] = IsEnabled(e);
        values[AccountAttributes.Expires] = ExpiryOf(e);
        values[AccountAttributes.Container] = ContainerOf(e.Dn);
        values[AccountAttributes.Groups] = Ad
            ? e.All("memberOf").Select(m => LdapText.RdnValue(LdapText.SplitFirst(m).Rdn)).ToList()
            : groupsOf?.GetValueOrDefault(Normalize(e.Dn)) ?? [];
        return new TargetObject(ObjectClasses.Account, e.Dn, e.First(AnchorAttribute), values);
    }

    // ----------------------------------------------------------------------------------------------
    // lookups and validation
    // ----------------------------------------------------------------------------------------------

    /// <summary>Whether a value of an attribute is taken anywhere under the base DN (the username is
    /// unique in the whole domain in AD, so the search is not limited to people_ou).</summary>
    public async ValueTask<bool> IsTakenAsync(string objectClass, string attribute, string value, CancellationToken ct)
    {
        var native = attribute == AccountAttributes.Username ? UsernameAttribute : _twin.NativeNameOf(attribute) ?? attribute;
        return (await SearchAsync(Settings.BaseDn, $"(&{AccountFilter}{LdapText.Equal(native, value)})", SearchScope.Subtree, ["1.1"], ct, sizeLimit: 1)).Count > 0;
    }

    public async ValueTask<bool> IsTakenByOthersAsync(string objectClass, string attribute, string value, string? anchor, CancellationToken ct)
    {
        if (anchor is null)
            return await IsTakenAsync(objectClass, attribute, value, ct);
        var native = attribute == AccountAttributes.Username ? UsernameAttribute : _twin.NativeNameOf(attribute) ?? attribute;
        var holders = await SearchAsync(Settings.BaseDn, $"(&{AccountFilter}{LdapText.Equal(native, value)})", SearchScope.Subtree, [AnchorAttribute], ct, sizeLimit: 2);
        return holders.Any(h => !string.Equals(h.First(AnchorAttribute), anchor, StringComparison.Ordinal));
    }

    public int? MaxLength(string objectClass, string attribute)
    {
        if (objectClass != ObjectClasses.Account)
            return null;
        if (attribute == AccountAttributes.Username || attribute.Equals(UsernameAttribute, StringComparison.OrdinalIgnoreCase))
            return _twin.UsernameMaxLength;
        return _twin.Attribute(_twin.NativeNameOf(attribute) ?? attribute)?.MaxLength;
    }

    /// <summary>The constraints the operation would break, without writing: supported kind, username
    /// rules and uniqueness, lengths, required names, the entry's existence.</summary>
    public async Task<IReadOnlyList<string>> ValidateAsync(TargetOperation operation, CancellationToken ct)
    {
        var problems = new List<string>();
        if (operation.ObjectClass != ObjectClasses.Account || !_twin.Operations.Contains(operation.Kind))
            return [$"a directory does not support {operation.Kind} on {operation.ObjectClass}"];
        if (operation.Kind == TargetOperationKind.Create)
        {
            if (operation.Anchor is { } anchor && await FindByAnchorAsync(anchor, ct) is not null)
                return [];
            var plan = PlanCreate(operation, problems);
            if (plan is not null && await FindByUsernameAsync(plan.Username, ct) is { } holder)
                problems.Add($"{UsernameAttribute} \"{plan.Username}\" is already taken by {holder.Dn}");
        }
        else if (operation.NativeId is null)
        {
            problems.Add($"{operation.Kind} needs the DN of the account");
        }
        else if (await ReadEntryAsync(operation.NativeId, ["1.1"], ct) is null)
        {
            problems.Add($"no entry {operation.NativeId} in {SystemId}");
        }
        foreach (var (key, value) in operation.Attributes)
        {
            var native = _twin.NativeNameOf(key) ?? key;
            if (_twin.Attribute(native)?.MaxLength is { } max && SandboxValues.Text(value) is { } text && text.Length > max)
                problems.Add($"{native} is {text.Length} characters; {_twin.Kind} allows at most {max}");
        }
        return problems;
    }

    // ----------------------------------------------------------------------------------------------
    // apply
    // ----------------------------------------------------------------------------------------------

    public Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
    {
        if (operation.ObjectClass != ObjectClasses.Account || !_twin.Operations.Contains(operation.Kind))
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"a directory does not support {operation.Kind} on {operation.ObjectClass}");
        if (operation.Kind == TargetOperationKind.Create)
            return CreateAsync(operation, ct);
        if (operation.NativeId is not { Length: > 0 } dn)
            throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"{operation.Kind} needs the DN of the account");
        return operation.Kind switch
        {
            TargetOperationKind.Update => UpdateAsync(dn, operation, ct),
            TargetOperationKind.Enable => SetEnabledAsync(dn, true, ct),
            TargetOperationKind.Disable => SetEnabledAsync(dn, false, ct),
            TargetOperationKind.SetExpiry => SetExpiryAsync(dn, Date(operation[AccountAttributes.Expires]), ct),
            TargetOperationKind.Move => MoveAsync(dn, SandboxValues.Text(operation[AccountAttributes.Container])
                ?? throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{AccountAttributes.Container} is required to move an account"), ct),
            TargetOperationKind.AddToGroups => AddToGroupsAsync(dn, RequiredGroups(operation), ct),
            TargetOperationKind.RemoveFromGroups => RemoveFromGroupsAsync(dn, SandboxValues.List(operation[AccountAttributes.Groups]), ct),
            TargetOperationKind.SetPassword => SetPasswordAsync(dn, SandboxValues.Text(operation[AccountAttributes.Password])
                ?? throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{AccountAttributes.Password} is required to set a password"), ct),
            TargetOperationKind.Delete => DeleteAsync(dn, ct),
            _ => throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{operation.Kind} is not a directory operation"),
        };
    }

    /// <summary>The longest cn RDN value (UTF-8 bytes, escaped) sent to OpenLDAP: back-mdb keeps an entry's
    /// normalized and written RDN together in one key of at most 511 bytes, and refuses longer ones with
    /// "other (80)" (measured: 240 ASCII characters pass, 245 fail).</summary>
    public const int MaxRdnBytes = 200;

    private sealed record CreatePlan(string Username, string Dn, string Parent, Dictionary<string, List<string>> Attributes,
        string? Password, bool Enabled, List<string> Groups, string? Manager);

    /// <summary>The entry a create would add (attributes, DN), or null with the problems.</summary>
    private CreatePlan? PlanCreate(TargetOperation op, List<string> problems)
    {
        var attrs = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        void Set(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
                attrs[name] = [value];
        }

        var username = SandboxValues.Text(op[AccountAttributes.Username]);
        if (string.IsNullOrWhiteSpace(username))
        {
            problems.Add($"{AccountAttributes.Username} ({UsernameAttribute}) is required to create an account");
            return null;
        }
        problems.AddRange(_twin.UsernameProblems(username));
        // Samba compares filter values as C strings: an anchor with NUL would match other people's
        if (Ad && op.Anchor is { } anchor && anchor.Contains('\0', StringComparison.Ordinal))
            problems.Add($"{AnchorAttribute} must not contain a NUL character in Active Directory");
        var given = SandboxValues.Text(op[AccountAttributes.GivenName]);
        var surname = SandboxValues.Text(op[AccountAttributes.Surname]);
        var display = SandboxValues.Text(op[AccountAttributes.DisplayName]) is { Length: > 0 } d ? d
            : $"{given} {surname}".Trim() is { Length: > 0 } full ? full : null;
        var cn = display ?? username;
        bool enabled;
        DateOnly? expires;
        try
        {
            enabled = SandboxValues.Bool(op[AccountAttributes.Enabled]) ?? true;
            expires = SandboxValues.Date(op[AccountAttributes.Expires]);
        }
        catch (FormatException e)
        {
            problems.Add(e.Message);
            return null;
        }

        Set(UsernameAttribute, username);
        Set("cn", cn);
        Set("givenName", given);
        Set("sn", surname);
        Set("displayName", display);
        Set("mail", SandboxValues.Text(op[AccountAttributes.Email]));
        Set(AnchorAttribute, op.Anchor);
        List<string> classes;
        if (Ad)
        {
            classes = ["top", "person", "organizationalPerson", "user"];
            Set("userPrincipalName", $"{username}@{Settings.UpnDomain}");
            Set("accountExpires", FileTime(expires).ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            classes = ["top", "person", "organizationalPerson", "inetOrgPerson"];
            if (surname is null)
                problems.Add("required attribute sn (surname) is missing: inetOrgPerson needs a surname");
            if (expires is { } e)
            {
                classes.Add("shadowAccount");
                Set("shadowExpire", ShadowDays(e).ToString(CultureInfo.InvariantCulture));
            }
            if (!enabled)
                Set("pwdAccountLockedTime", OpenLdapDialect.PermanentLock);
        }

        var known = new HashSet<string>([.. typeof(AccountAttributes).GetFields().Select(f => (string)f.GetValue(null)!)], StringComparer.Ordinal);
        foreach (var (key, value) in op.Attributes.Where(a => !known.Contains(a.Key)))
        {
            if (key.Equals("objectClass", StringComparison.OrdinalIgnoreCase) || _twin.SystemAttributes.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{key} is set by the directory itself and cannot be written");
                continue;
            }
            var list = Values(value);
            if (list.Count > 0)
                attrs[key] = list;
        }
        if (!Ad && attrs.ContainsKey("uidNumber"))
        {
            // posixAccount when the step gives a uid number: gid defaults to it, home to /home/<uid>
            classes.Add("posixAccount");
            if (!attrs.ContainsKey("gidNumber"))
                attrs["gidNumber"] = [.. attrs["uidNumber"]];
            if (!attrs.ContainsKey("homeDirectory"))
                attrs["homeDirectory"] = [$"/home/{username}"];
        }
        attrs["objectClass"] = classes;

        var container = SandboxValues.Text(op[AccountAttributes.Container]) is { Length: > 0 } c ? c
            : Settings.OuBy is { } by && attrs.TryGetValue(by, out var byValue) && byValue.Count > 0 ? LdapText.Join($"ou={LdapText.EscapeDnValue(byValue[0])}", Settings.PeopleOu)
            : Settings.PeopleOu;
        var parent = LdapText.Join(container, Settings.BaseDn);
        var rdnValue = Ad || Settings.RdnAttribute == "cn" ? cn : username;
        var rdnName = Ad ? "CN" : Settings.RdnAttribute;
        if (Ad && cn.Length > 64)
            problems.Add($"the name \"{cn}\" is {cn.Length} characters; Active Directory's cn allows at most 64");
        else if (!Ad && Settings.RdnAttribute == "cn" && Encoding.UTF8.GetByteCount(LdapText.EscapeDnValue(cn)) is var bytes && bytes > MaxRdnBytes)
            problems.Add($"the name \"{cn}\" takes {bytes} bytes as the entry's RDN (rdn: cn); slapd's back-mdb refuses an RDN of about 240 bytes and more, " +
                $"so Handoff stops at {MaxRdnBytes}: shorten the name, or name entries by uid (rdn: uid)");
        var dn = LdapText.Join($"{rdnName}={LdapText.EscapeDnValue(rdnValue)}", parent);
        return problems.Count > 0 ? null : new CreatePlan(username, dn, parent, attrs, SandboxValues.Text(op[AccountAttributes.Password]),
            enabled, SandboxValues.List(op[AccountAttributes.Groups]), SandboxValues.Text(op[AccountAttributes.Manager]));
    }

    private async Task<TargetOperationResult> CreateAsync(TargetOperation op, CancellationToken ct)
    {
        // An add that finds its own entry (same anchor) counts as done: the process may have died
        // between the add and the commit of the step.
        var problems = new List<string>();
        var plan = PlanCreate(op, problems);
        if (plan is null)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, string.Join("; ", problems));
        if (plan.Manager is { } manager)
            plan.Attributes["manager"] = [await ResolveManagerAsync(manager, ct)];
        if (Ad)
        {
            // AD refuses an enabled account without a password: it is created disabled, and enabled
            // in the same add only when a password comes with it.
            var uac = NormalAccount | (plan.Enabled && plan.Password is not null ? 0 : AccountDisable);
            plan.Attributes["userAccountControl"] = [uac.ToString(CultureInfo.InvariantCulture)];
        }
        else if (plan.Password is { } pw)
        {
            plan.Attributes["userPassword"] = [Ssha(pw)];
        }

        var parentAsStored = await EnsureContainerAsync(plan.Parent, ct);
        var add = new AddRequest(plan.Dn);
        foreach (var (name, values) in plan.Attributes)
            add.Attributes.Add(new DirectoryAttribute(name, [.. values.Cast<object>()]));
        if (Ad && plan.Password is { } password)
            add.Attributes.Add(new DirectoryAttribute("unicodePwd", UnicodePwd(password)));
        try
        {
            await CallAsync($"add {plan.Dn}", c => LdapConnectionPool.SendAsync(c, add), ct);
        }
        catch (ConnectorException e) when (e.Failure == ConnectorFailure.Conflict)
        {
            // Add first, look only when the server says no: most creates are new people, and one
            // request instead of two is what lets the connector keep up with ldapadd. The server
            // refuses a DN that exists (entryAlreadyExists) and, in AD, a sAMAccountName taken anywhere
            // in the domain; then one search for both: our own earlier entry (the anchor: a retry
            // after a crash, or a race with another worker) and someone else's username.
            var filter = op.Anchor is { } anchor
                ? $"(&{AccountFilter}(|{LdapText.Equal(AnchorAttribute, anchor)}{LdapText.Equal(UsernameAttribute, plan.Username)}))"
                : $"(&{AccountFilter}{LdapText.Equal(UsernameAttribute, plan.Username)})";
            var found = await SearchAsync(Settings.BaseDn, filter, SearchScope.Subtree, [UsernameAttribute, "userPrincipalName", AnchorAttribute], ct, sizeLimit: 2);
            if (op.Anchor is not null && await MineAsync(op.Anchor, plan.Username, found, ct) is { } mine)
                return new TargetOperationResult(mine.Dn, true, Outputs(mine));
            if (found.FirstOrDefault() is { } holder)
                throw new ConnectorException(SystemId, ConnectorFailure.Conflict, $"{UsernameAttribute} \"{plan.Username}\" is already taken by {holder.Dn}", e);
            throw new ConnectorException(SystemId, ConnectorFailure.Conflict, op.Anchor is { } a
                ? $"{plan.Dn} already exists and belongs to someone else (its {AnchorAttribute} is not {a}): {e.Message}"
                : $"{plan.Dn} already exists: {e.Message}", e);
        }
        if (Ad && plan.Enabled && plan.Password is null)
            await SetEnabledAsync(plan.Dn, true, ct);
        if (plan.Groups.Count > 0)
            await AddToGroupsAsync(plan.Dn, plan.Groups, ct);
        // the DN as the server spells it (AD upper-cases attribute names, slapd re-escapes values as
        // \XX): the same string a later anchor lookup or a read returns, so the link row, a retried
        // create and reconciliation all name the entry alike
        // (slapd keeps a DN without escapes as it was sent, and AD spells it CN=<name>,<the container as
        // read once>: no need to ask unless the name needed escapes)
        // (AD escapes more than RFC 4514 asks, e.g. a '#' inside a value: its spelling is taken on trust
        // only for plain names)
        var escaped = plan.Dn.Contains('\\', StringComparison.Ordinal);
        var rdn = LdapText.SplitFirst(plan.Dn).Rdn;
        var spelled = escaped ? null : !Ad ? plan.Dn : parentAsStored is not null && IsPlain(LdapText.RdnValue(rdn)) ? $"{rdn},{parentAsStored}" : null;
        var created = spelled is null ? await ReadEntryAsync(plan.Dn, [UsernameAttribute, "userPrincipalName"], ct) : null;
        if (created is not null)
            return TargetOperationResult.Done(created.Dn, Outputs(created));
        var outputs = new Dictionary<string, object?> { ["native_id"] = spelled ?? plan.Dn, [AccountAttributes.Username] = plan.Username };
        if (plan.Attributes.TryGetValue("userPrincipalName", out var upn) && upn.Count == 1)
            outputs["user_principal_name"] = upn[0];
        return TargetOperationResult.Done(spelled ?? plan.Dn, outputs);
    }

    /// <summary>Account attributes an update handles with requests of their own (flags, groups, renames).</summary>
    private static readonly HashSet<string> Composite =
        [AccountAttributes.Enabled, AccountAttributes.Expires, AccountAttributes.Password, AccountAttributes.Groups, AccountAttributes.Container, AccountAttributes.Username];

    private Task<bool>? _preRead;

    /// <summary>Whether the server announces the pre-read control in its root DSE (read once).</summary>
    private Task<bool> SupportsPreReadAsync(CancellationToken ct) => _preRead ??= Supported(ct);

    private async Task<bool> Supported(CancellationToken ct)
    {
        try
        {
            return (await RootDseAsync(ct)).All("supportedControl").Contains(LdapPreRead.Oid);
        }
        catch (ConnectorException)
        {
            _preRead = null; // ask again next time: the server may be back
            throw;
        }
    }

    private async Task<TargetOperationResult> UpdateAsync(string dn, TargetOperation op, CancellationToken ct)
    {
        if (!Ad && op.Attributes.Count > 0 && !op.Attributes.Keys.Any(Composite.Contains) && await SupportsPreReadAsync(ct))
            return await UpdateWithPreReadAsync(dn, op, ct);
        string[] reading = [.. op.Attributes.Keys.Select(k => _twin.NativeNameOf(k) ?? k), UsernameAttribute, "userPrincipalName"];
        var entry = await RequireEntryAsync(dn, reading, ct);
        var modify = new ModifyRequest(dn);
        var wrote = false;
        string? rename = null;
        foreach (var (key, value) in op.Attributes)
        {
            switch (key)
            {
                case AccountAttributes.Enabled:
                    wrote |= !(await SetEnabledAsync(dn, SandboxValues.Bool(value) ?? true, ct)).AlreadyApplied;
                    continue;
                case AccountAttributes.Expires:
                    wrote |= !(await SetExpiryAsync(dn, Date(value), ct)).AlreadyApplied;
                    continue;
                case AccountAttributes.Password:
                    if (SandboxValues.Text(value) is { Length: > 0 } pw)
                        wrote |= !(await SetPasswordAsync(dn, pw, ct)).AlreadyApplied;
                    continue;
                case AccountAttributes.Groups:
                    var wanted = SandboxValues.List(value);
                    var current = (await GroupsOfAsync(dn, ct)).Select(g => g.First("cn") ?? "").ToList();
                    if (wanted.Except(current, StringComparer.OrdinalIgnoreCase).ToList() is { Count: > 0 } join)
                        wrote |= !(await AddToGroupsAsync(dn, join, ct)).AlreadyApplied;
                    if (current.Except(wanted, StringComparer.OrdinalIgnoreCase).ToList() is { Count: > 0 } leave)
                        wrote |= !(await RemoveFromGroupsAsync(dn, leave, ct)).AlreadyApplied;
                    continue;
                case AccountAttributes.Container:
                    if (SandboxValues.Text(value) is { Length: > 0 } container)
                        rename = container;
                    continue;
            }
            var native = _twin.NativeNameOf(key) ?? key;
            if (native.Equals("objectClass", StringComparison.OrdinalIgnoreCase) || _twin.SystemAttributes.Contains(native, StringComparer.OrdinalIgnoreCase))
                throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{native} is set by the directory itself and cannot be written");
            var values = native.Equals("manager", StringComparison.OrdinalIgnoreCase) && SandboxValues.Text(value) is { Length: > 0 } m
                ? [await ResolveManagerAsync(m, ct)] : Values(value);
            if (native.Equals(UsernameAttribute, StringComparison.OrdinalIgnoreCase))
            {
                if (values.Count != 1)
                    throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{UsernameAttribute} must not be empty");
                if (_twin.UsernameProblems(values[0]).ToList() is { Count: > 0 } bad)
                    throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, string.Join("; ", bad));
                if (!entry.Has(UsernameAttribute, values[0]) && await FindByUsernameAsync(values[0], ct) is { } holder)
                    throw new ConnectorException(SystemId, ConnectorFailure.Conflict, $"{UsernameAttribute} \"{values[0]}\" is already taken by {holder.Dn}");
                if (Ad)
                    AddChange(modify, entry, "userPrincipalName", [$"{values[0]}@{Settings.UpnDomain}"]);
            }
            AddChange(modify, entry, native, values);
        }
        if (modify.Modifications.Count > 0)
        {
            await CallAsync($"modify {dn}", c => LdapConnectionPool.SendAsync(c, modify), ct);
            wrote = true;
        }
        var newDn = dn;
        // OpenLDAP names accounts after their uid: a new username is a rename
        if (!Ad && Settings.RdnAttribute == "uid" && op[AccountAttributes.Username] is { } newUser && SandboxValues.Text(newUser) is { } u
            && !string.Equals(LdapText.RdnValue(LdapText.SplitFirst(dn).Rdn), u, StringComparison.Ordinal))
        {
            newDn = await RenameAsync(dn, $"uid={LdapText.EscapeDnValue(u)}", LdapText.SplitFirst(dn).Parent, ct);
            wrote = true;
        }
        if (rename is not null)
        {
            var moved = await MoveAsync(newDn, rename, ct);
            wrote |= !moved.AlreadyApplied;
            newDn = moved.NativeId ?? newDn;
        }
        var after = newDn == dn && !op.Attributes.ContainsKey(AccountAttributes.Username) ? entry : await ReadEntryAsync(newDn, [UsernameAttribute, "userPrincipalName"], ct);
        return new TargetOperationResult(after?.Dn ?? newDn, !wrote, after is null ? new Dictionary<string, object?>() : Outputs(after));
    }

    /// <summary>
    /// An update of plain attributes in one request: every attribute is replaced (an empty value list
    /// removes it), and the pre-read control returns what the entry held before — identical values
    /// mean the update was already applied, as the read-first path would have reported it.
    /// </summary>
    private async Task<TargetOperationResult> UpdateWithPreReadAsync(string dn, TargetOperation op, CancellationToken ct)
    {
        var modify = new ModifyRequest(dn);
        var wanted = new List<(string Native, List<string> Values)>();
        foreach (var (key, value) in op.Attributes)
        {
            var native = _twin.NativeNameOf(key) ?? key;
            if (native.Equals("objectClass", StringComparison.OrdinalIgnoreCase) || _twin.SystemAttributes.Contains(native, StringComparer.OrdinalIgnoreCase))
                throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{native} is set by the directory itself and cannot be written");
            var values = native.Equals("manager", StringComparison.OrdinalIgnoreCase) && SandboxValues.Text(value) is { Length: > 0 } m
                ? [await ResolveManagerAsync(m, ct)] : Values(value);
            wanted.Add((native, values));
            var change = new DirectoryAttributeModification { Name = native, Operation = DirectoryAttributeOperation.Replace };
            foreach (var v in values)
                change.Add(v);
            modify.Modifications.Add(change);
        }
        modify.Controls.Add(LdapPreRead.Control([.. wanted.Select(w => w.Native), UsernameAttribute]));
        DirectoryResponse? response;
        try
        {
            response = await CallAsync($"modify {dn}", c => LdapConnectionPool.SendAsync(c, modify), ct);
        }
        catch (ConnectorException e) when (e.Failure == ConnectorFailure.NotFound)
        {
            throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"no entry {dn} in {SystemId}");
        }
        var before = response is null ? null : LdapPreRead.Before(response);
        var unchanged = before is not null && wanted.All(w => Same(before.All(w.Native), w.Values));
        return new TargetOperationResult(before?.Dn ?? dn, unchanged, before is null ? new Dictionary<string, object?>() : Outputs(before));
    }

    private static bool Same(IReadOnlyList<string> current, List<string> values) =>
        current.Count == values.Count && current.Zip(values).All(p => p.First == p.Second);

    /// <summary>Adds a replace (or delete) to the request when the value differs from the entry's.</summary>
    private static void AddChange(ModifyRequest modify, LdapEntry entry, string name, List<string> values)
    {
        var current = entry.All(name);
        if (Same(current, values))
            return;
        if (values.Count == 0)
        {
            if (current.Count > 0)
                modify.Modifications.Add(new DirectoryAttributeModification { Name = name, Operation = DirectoryAttributeOperation.Delete });
            return;
        }
        var change = new DirectoryAttributeModification { Name = name, Operation = DirectoryAttributeOperation.Replace };
        foreach (var v in values)
            change.Add(v);
        modify.Modifications.Add(change);
    }

    private async Task<TargetOperationResult> SetEnabledAsync(string dn, bool enabled, CancellationToken ct)
    {
        var entry = await RequireEntryAsync(dn, ["userAccountControl", "pwdAccountLockedTime", UsernameAttribute, "userPrincipalName"], ct);
        var modify = new ModifyRequest(dn);
        if (Ad)
        {
            // only the ACCOUNTDISABLE bit changes; every other flag stays as it is
            var uac = int.TryParse(entry.First("userAccountControl"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var u) ? u : NormalAccount;
            var wanted = enabled ? uac & ~AccountDisable : uac | AccountDisable;
            if (wanted == uac)
                return new TargetOperationResult(dn, true, Outputs(entry));
            modify.Modifications.Add(Replace("userAccountControl", wanted.ToString(CultureInfo.InvariantCulture)));
        }
        else
        {
            var locked = entry.First("pwdAccountLockedTime") is not null;
            if (locked == !enabled)
                return new TargetOperationResult(dn, true, Outputs(entry));
            modify.Modifications.Add(enabled
                ? new DirectoryAttributeModification { Name = "pwdAccountLockedTime", Operation = DirectoryAttributeOperation.Delete }
                : Replace("pwdAccountLockedTime", OpenLdapDialect.PermanentLock));
        }
        await CallAsync($"{(enabled ? "enable" : "disable")} {dn}", c => LdapConnectionPool.SendAsync(c, modify), ct);
        return TargetOperationResult.Done(dn, Outputs(entry));
    }

    private async Task<TargetOperationResult> SetExpiryAsync(string dn, DateOnly? expires, CancellationToken ct)
    {
        var entry = await RequireEntryAsync(dn, ["accountExpires", "shadowExpire", "objectClass", UsernameAttribute, "userPrincipalName"], ct);
        var modify = new ModifyRequest(dn);
        if (Ad)
        {
            var wanted = FileTime(expires);
            var current = long.TryParse(entry.First("accountExpires"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var f) ? f : 0;
            if (current == wanted || (expires is null && current == 0))
                return new TargetOperationResult(dn, true, Outputs(entry));
            modify.Modifications.Add(Replace("accountExpires", wanted.ToString(CultureInfo.InvariantCulture)));
        }
        else
        {
            var current = entry.First("shadowExpire");
            var wanted = expires is { } e ? ShadowDays(e).ToString(CultureInfo.InvariantCulture) : null;
            if (current == wanted)
                return new TargetOperationResult(dn, true, Outputs(entry));
            if (wanted is null)
            {
                modify.Modifications.Add(new DirectoryAttributeModification { Name = "shadowExpire", Operation = DirectoryAttributeOperation.Delete });
            }
            else
            {
                if (!entry.Has("objectClass", "shadowAccount"))
                    modify.Modifications.Add(Modification("objectClass", DirectoryAttributeOperation.Add, "shadowAccount"));
                modify.Modifications.Add(Replace("shadowExpire", wanted));
            }
        }
        await CallAsync($"set the expiry of {dn}", c => LdapConnectionPool.SendAsync(c, modify), ct);
        return TargetOperationResult.Done(dn, Outputs(entry));
    }

    private async Task<TargetOperationResult> MoveAsync(string dn, string container, CancellationToken ct)
    {
        var parent = LdapText.Join(container, Settings.BaseDn);
        var (rdn, currentParent) = LdapText.SplitFirst(dn);
        var target = LdapText.Join(rdn, parent);
        if (await ReadEntryAsync(dn, ["1.1"], ct) is null)
        {
            // moved already (the process died before the step's commit): the entry is at its new place
            if (await ReadEntryAsync(target, [UsernameAttribute, "userPrincipalName"], ct) is { } there)
                return new TargetOperationResult(there.Dn, true, Outputs(there));
            throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"no entry {dn} in {SystemId}");
        }
        if (Normalize(currentParent) == Normalize(parent))
            return new TargetOperationResult(dn, true, new Dictionary<string, object?> { ["native_id"] = dn });
        await EnsureContainerAsync(parent, ct);
        var newDn = await RenameAsync(dn, rdn, parent, ct);
        var after = await ReadEntryAsync(newDn, [UsernameAttribute, "userPrincipalName"], ct);
        return TargetOperationResult.Done(after?.Dn ?? newDn, after is null ? null : Outputs(after));
    }

    /// <summary>modify DN; OpenLDAP group members are renamed with it (AD does that itself).</summary>
    private async Task<string> RenameAsync(string dn, string newRdn, string newParent, CancellationToken ct)
    {
        var groups = Ad ? [] : await GroupsOfAsync(dn, ct);
        var request = new ModifyDNRequest(dn, newParent, newRdn) { DeleteOldRdn = true };
        await CallAsync($"move {dn} to {newParent}", c => LdapConnectionPool.SendAsync(c, request), ct);
        var newDn = LdapText.Join(newRdn, newParent);
        foreach (var g in groups)
        {
            var modify = new ModifyRequest(g.Dn,
                Modification("member", DirectoryAttributeOperation.Add, newDn),
                Modification("member", DirectoryAttributeOperation.Delete, dn));
            await CallAsync($"rename the member {dn} of {g.Dn}", c => LdapConnectionPool.SendAsync(c, modify), ct);
        }
        return newDn;
    }

    private async Task<TargetOperationResult> AddToGroupsAsync(string dn, IReadOnlyList<string> names, CancellationToken ct)
    {
        await RequireEntryAsync(dn, ["1.1"], ct);
        var wrote = false;
        foreach (var name in names)
        {
            var group = await FindGroupAsync(name, ct);
            if (group is null)
            {
                if (Settings.GroupsMustExist)
                    throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"group \"{name}\" does not exist in {SystemId} (under {GroupDn})");
                await EnsureContainerAsync(GroupDn, ct);
                var groupDn = LdapText.Join($"cn={LdapText.EscapeDnValue(name)}", GroupDn);
                var add = new AddRequest(groupDn, new DirectoryAttribute("objectClass", Ad ? ["top", "group"] : ["top", "groupOfNames"]),
                    new DirectoryAttribute("cn", name), new DirectoryAttribute("member", dn));
                try
                {
                    await CallAsync($"add group {groupDn}", c => LdapConnectionPool.SendAsync(c, add), ct);
                    wrote = true;
                    continue;
                }
                catch (ConnectorException e) when (e.Failure == ConnectorFailure.Conflict)
                {
                    // another worker created it first: join it below
                    group = await FindGroupAsync(name, ct);
                    if (group is null)
                        throw;
                }
            }
            if (await IsMemberAsync(group.Dn, dn, ct))
                continue;
            var modify = new ModifyRequest(group.Dn, DirectoryAttributeOperation.Add, "member", dn);
            try
            {
                await CallAsync($"add {dn} to {group.Dn}", c => LdapConnectionPool.SendAsync(c, modify), ct);
                wrote = true;
            }
            catch (ConnectorException e) when (e.Failure == ConnectorFailure.Conflict)
            {
                // joined concurrently: the wanted state holds
                if (!await IsMemberAsync(group.Dn, dn, ct))
                    throw;
            }
            if (!Ad && group.Has("member", ""))
            {
                // the empty placeholder kept an emptied groupOfNames valid; it has a real member again
                var drop = new ModifyRequest(group.Dn, DirectoryAttributeOperation.Delete, "member", "");
                await CallAsync($"tidy {group.Dn}", c => LdapConnectionPool.SendAsync(c, drop), ct);
            }
        }
        return new TargetOperationResult(dn, !wrote, new Dictionary<string, object?> { ["native_id"] = dn });
    }

    private async Task<TargetOperationResult> RemoveFromGroupsAsync(string dn, IReadOnlyList<string> names, CancellationToken ct)
    {
        await RequireEntryAsync(dn, ["1.1"], ct);
        // no list: every group the account is in (a leaver, or a mover starting over)
        var groups = names.Count == 0 ? await GroupsOfAsync(dn, ct)
            : (await Task.WhenAll(names.Select(n => FindGroupAsync(n, ct)))).OfType<LdapEntry>().ToList();
        var wrote = false;
        foreach (var group in groups)
        {
            if (!await IsMemberAsync(group.Dn, dn, ct))
                continue;
            var modify = new ModifyRequest(group.Dn, DirectoryAttributeOperation.Delete, "member", dn);
            try
            {
                await CallAsync($"remove {dn} from {group.Dn}", c => LdapConnectionPool.SendAsync(c, modify), ct);
            }
            catch (ConnectorException e) when (!Ad && e.Failure == ConnectorFailure.SchemaViolation)
            {
                // groupOfNames must keep a member: the last one is replaced by the empty DN
                var replace = new ModifyRequest(group.Dn, DirectoryAttributeOperation.Replace, "member", "");
                await CallAsync($"empty {group.Dn}", c => LdapConnectionPool.SendAsync(c, replace), ct);
            }
            wrote = true;
        }
        return new TargetOperationResult(dn, !wrote, new Dictionary<string, object?> { ["native_id"] = dn });
    }

    private async Task<TargetOperationResult> SetPasswordAsync(string dn, string password, CancellationToken ct)
    {
        var entry = await RequireEntryAsync(dn, [UsernameAttribute, "pwdAccountLockedTime"], ct);
        if (Ad && _twin.PasswordProblems(password, new SandboxAccount { Username = entry.First(UsernameAttribute) }).ToList() is { Count: > 0 } bad)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, string.Join("; ", bad));
        var modify = Ad
            ? new ModifyRequest(dn, DirectoryAttributeOperation.Replace, "unicodePwd", UnicodePwd(password))
            : new ModifyRequest(dn, DirectoryAttributeOperation.Replace, "userPassword", Ssha(password));
        await CallAsync($"set the password of {dn}", c => LdapConnectionPool.SendAsync(c, modify), ct);
        if (!Ad && entry.First("pwdAccountLockedTime") is { } lockedAt
            && (await ReadEntryAsync(dn, ["pwdAccountLockedTime"], ct))?.First("pwdAccountLockedTime") is null)
        {
            // ppolicy unlocks an account whose password changes: a disabled account stays disabled
            var relock = new ModifyRequest(dn, DirectoryAttributeOperation.Replace, "pwdAccountLockedTime", lockedAt);
            await CallAsync($"keep {dn} disabled", c => LdapConnectionPool.SendAsync(c, relock), ct);
        }
        return TargetOperationResult.Done(dn);
    }

    private async Task<TargetOperationResult> DeleteAsync(string dn, CancellationToken ct)
    {
        if (await ReadEntryAsync(dn, ["1.1"], ct) is null)
            return new TargetOperationResult(dn, true, new Dictionary<string, object?>());
        if (!Ad)
            await RemoveFromGroupsAsync(dn, [], ct);
        try
        {
            await CallAsync($"delete {dn}", c => LdapConnectionPool.SendAsync(c, new DeleteRequest(dn)), ct);
        }
        catch (ConnectorException e) when (e.Failure == ConnectorFailure.NotFound)
        {
            return new TargetOperationResult(dn, true, new Dictionary<string, object?>());
        }
        return TargetOperationResult.Done(dn);
    }

    // ----------------------------------------------------------------------------------------------
    // finding things
    // ----------------------------------------------------------------------------------------------

    /// <summary>The account that carries the anchor, anywhere under the base DN.</summary>
    public async Task<LdapEntry?> FindByAnchorAsync(string anchor, CancellationToken ct) =>
        (await SearchAsync(Settings.BaseDn, $"(&{AccountFilter}{LdapText.Equal(AnchorAttribute, anchor)})", SearchScope.Subtree,
            [UsernameAttribute, "userPrincipalName", AnchorAttribute], ct, sizeLimit: 2)).FirstOrDefault();

    /// <summary>Which of the entries found by anchor-or-username is ours: one with the anchor; or
    /// one that matched although its username differs (the server's matching rule found the anchor,
    /// e.g. ignoring insignificant spaces); when unsure, the server is asked by anchor alone.</summary>
    private async Task<LdapEntry?> MineAsync(string anchor, string username, List<LdapEntry> candidates, CancellationToken ct)
    {
        if (candidates.FirstOrDefault(c => c.Has(AnchorAttribute, anchor)) is { } exact)
            return exact;
        if (candidates.FirstOrDefault(c => !c.Has(UsernameAttribute, username)) is { } byAnchor)
            return byAnchor;
        return candidates.Count > 0 ? await FindByAnchorAsync(anchor, ct) : null;
    }

    private async Task<LdapEntry?> FindByUsernameAsync(string username, CancellationToken ct) =>
        (await SearchAsync(Settings.BaseDn, $"(&{AccountFilter}{LdapText.Equal(UsernameAttribute, username)})", SearchScope.Subtree, ["1.1"], ct, sizeLimit: 1)).FirstOrDefault();

    /// <summary>A group by name under <c>group_ou</c> (groups elsewhere are not Handoff's to manage).</summary>
    private async Task<LdapEntry?> FindGroupAsync(string name, CancellationToken ct) =>
        (await SearchAsync(GroupDn, $"(&(objectClass={GroupClass}){LdapText.Equal("cn", name)})", SearchScope.Subtree, ["cn"], ct, sizeLimit: 1)).FirstOrDefault();

    private Task<List<LdapEntry>> GroupsOfAsync(string dn, CancellationToken ct) =>
        SearchAsync(Settings.BaseDn, $"(&(objectClass={GroupClass}){LdapText.Equal("member", dn)})", SearchScope.Subtree, ["cn"], ct);

    private async Task<bool> IsMemberAsync(string groupDn, string dn, CancellationToken ct) =>
        (await SearchAsync(groupDn, LdapText.Equal("member", dn), SearchScope.Base, ["1.1"], ct)).Count > 0;

    /// <summary>A manager given as a DN is written as it is; otherwise it is the manager's anchor or
    /// username, looked up.</summary>
    private async Task<string> ResolveManagerAsync(string manager, CancellationToken ct)
    {
        if (manager.Contains('=') && manager.Contains(','))
            return manager;
        var found = await FindByAnchorAsync(manager, ct) ?? await FindByUsernameAsync(manager, ct);
        return found?.Dn ?? throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"manager \"{manager}\" has no account in {SystemId} (looked up by {AnchorAttribute} and {UsernameAttribute})");
    }

    /// <summary>Creates the OUs missing on the way down to <paramref name="dn"/> (under the base DN);
    /// returns the container's DN as the server spells it (null for the base DN, which is not read).</summary>
    private async Task<string?> EnsureContainerAsync(string dn, CancellationToken ct)
    {
        if (Normalize(dn) == Normalize(Settings.BaseDn))
            return null;
        if (_containers.TryGetValue(Normalize(dn), out var known))
            return known;
        if (await ReadEntryAsync(dn, ["1.1"], ct) is { } existing)
            return _containers[Normalize(dn)] = existing.Dn;
        if (!Settings.CreateContainers)
            throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"container {dn} does not exist (create_containers is off)");
        var (rdn, parent) = LdapText.SplitFirst(dn);
        if (parent.Length == 0 || !Normalize(dn).EndsWith(Normalize(Settings.BaseDn), StringComparison.Ordinal))
            throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"container {dn} is not under {Settings.BaseDn}");
        await EnsureContainerAsync(parent, ct);
        var type = rdn.Split('=', 2)[0].Trim();
        var objectClass = type.ToLowerInvariant() switch
        {
            "ou" => "organizationalUnit",
            "cn" when Ad => "container",
            _ => throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"container {dn} is not an OU path such as ou=Sales,ou=People"),
        };
        var add = new AddRequest(dn, new DirectoryAttribute("objectClass", ["top", objectClass]), new DirectoryAttribute(type, LdapText.RdnValue(rdn)));
        try
        {
            await CallAsync($"add container {dn}", c => LdapConnectionPool.SendAsync(c, add), ct);
        }
        catch (ConnectorException e) when (e.Failure == ConnectorFailure.Conflict)
        {
            // created meanwhile by another worker
        }
        // read back once: AD spells attribute names in capitals (OU=), whatever the settings say
        return (await ReadEntryAsync(dn, ["1.1"], ct)) is { } created ? _containers[Normalize(dn)] = created.Dn : null;
    }

    private async Task<LdapEntry> RootDseAsync(CancellationToken ct) =>
        (await SearchAsync("", "(objectClass=*)", SearchScope.Base, ["*", "+", "subschemaSubentry"], ct)).FirstOrDefault()
        ?? throw new ConnectorException(SystemId, ConnectorFailure.Unavailable, "the server returned no root DSE");

    private async Task<LdapEntry?> ReadEntryAsync(string dn, string[] attributes, CancellationToken ct) =>
        (await SearchAsync(dn, "(objectClass=*)", SearchScope.Base, attributes, ct)).FirstOrDefault();

    private async Task<LdapEntry> RequireEntryAsync(string dn, string[] attributes, CancellationToken ct) =>
        await ReadEntryAsync(dn, attributes, ct) ?? throw new ConnectorException(SystemId, ConnectorFailure.NotFound, $"no entry {dn} in {SystemId}");

    /// <summary>A search; a base that does not exist gives no entries.</summary>
    public async Task<List<LdapEntry>> SearchAsync(string baseDn, string filter, SearchScope scope, string[] attributes, CancellationToken ct, int sizeLimit = 0)
    {
        var request = new SearchRequest(baseDn, filter, scope, attributes) { SizeLimit = sizeLimit };
        var response = await CallAsync($"search {baseDn} {filter}", c => LdapConnectionPool.SendAsync(c, request), ct, missingIsEmpty: true, sizeLimited: sizeLimit > 0);
        return response is SearchResponse s ? [.. s.Entries.Cast<SearchResultEntry>().Select(LdapEntry.From)] : [];
    }

    // ----------------------------------------------------------------------------------------------
    // calls and failures
    // ----------------------------------------------------------------------------------------------

    private async Task<DirectoryResponse?> CallAsync(string what, Func<LdapConnection, Task<DirectoryResponse>> send, CancellationToken ct,
        bool missingIsEmpty = false, bool sizeLimited = false)
    {
        try
        {
            return await _pool.UseAsync(send, ct);
        }
        catch (DirectoryOperationException e) when (missingIsEmpty && e.Response?.ResultCode == ResultCode.NoSuchObject)
        {
            return null;
        }
        catch (DirectoryOperationException e) when (sizeLimited && e.Response?.ResultCode == ResultCode.SizeLimitExceeded)
        {
            return e.Response;
        }
        catch (ConnectorException)
        {
            throw;
        }
        catch (Exception e) when (e is DirectoryException or TimeoutException or ObjectDisposedException)
        {
            throw Map(what, e);
        }
    }

    private ConnectorException Map(string what, Exception e)
    {
        var server = $"{Settings.Url.Scheme}://{Settings.Url.Host}:{Settings.Port}";
        switch (e)
        {
            case DirectoryOperationException { Response: { } response }:
                var detail = string.IsNullOrWhiteSpace(response.ErrorMessage) ? response.ResultCode.ToString() : $"{response.ResultCode}: {response.ErrorMessage.Trim()}";
                var failure = response.ResultCode switch
                {
                    ResultCode.EntryAlreadyExists or ResultCode.AttributeOrValueExists or ResultCode.ConstraintViolation or ResultCode.NotAllowedOnNonLeaf => ConnectorFailure.Conflict,
                    ResultCode.NoSuchObject => ConnectorFailure.NotFound,
                    ResultCode.InsufficientAccessRights or ResultCode.InappropriateAuthentication
                        or ResultCode.StrongAuthRequired or ResultCode.ConfidentialityRequired => ConnectorFailure.Denied,
                    ResultCode.Busy or ResultCode.Unavailable => ConnectorFailure.Unavailable,
                    ResultCode.TimeLimitExceeded => ConnectorFailure.Timeout,
                    _ => ConnectorFailure.SchemaViolation,
                };
                return new ConnectorException(SystemId, failure, $"{what} refused by {server}: {detail}", e);
            case LdapException { ErrorCode: 81 or 91 } tls when (Settings.UsesSsl || Settings.StartTls) && Listening():
                // libldap says "server unavailable" (LDAPS) or "cannot connect" (StartTLS) for a
                // certificate it does not accept, too; the port answering TCP tells the two apart.
                return new ConnectorException(SystemId, ConnectorFailure.Denied,
                    $"{what}: the TLS handshake with {server} failed{(Settings.StartTls ? " (StartTLS)" : "")}: its certificate is not signed by a CA this " +
                    $"machine trusts (set LDAPTLS_CACERT to the CA's PEM file before Handoff starts; LDAPTLS_CACERT is {Environment.GetEnvironmentVariable("LDAPTLS_CACERT") ?? "not set"}) " +
                    $"or is not issued for the name \"{Settings.Url.Host}\" ({tls.Message.Trim()}, LDAP error {tls.ErrorCode})", e);
            case DirectoryOperationException { Response: null } bind:
                // a bind refused with a result code (not a credentials error): the library keeps only its text
                return new ConnectorException(SystemId, ConnectorFailure.Denied, $"{what}: {server} refused the bind as {Settings.BindDn}: {bind.Message.Trim()}"
                    + (Settings.UsesSsl || Settings.StartTls ? "" : " (a server that wants passwords only over TLS says so: use an ldaps:// url or start_tls: true)"), e);
            case LdapException { ErrorCode: 13 or 8 } clear:
                // confidentialityRequired / strongAuthRequired on the bind
                return new ConnectorException(SystemId, ConnectorFailure.Denied,
                    $"{what}: {server} accepts the bind only over TLS: use an ldaps:// url or start_tls: true ({clear.Message.Trim()}, LDAP error {clear.ErrorCode})", e);
            case LdapException ldap:
                // 81 server down, 91 connect error, 85 timeout, 49 invalid credentials (libldap codes)
                var kind = ldap.ErrorCode switch
                {
                    85 => ConnectorFailure.Timeout,
                    49 or 48 or 50 => ConnectorFailure.Denied,
                    _ => ConnectorFailure.Unavailable,
                };
                var why = kind switch
                {
                    ConnectorFailure.Timeout => $"{server} did not answer within {Settings.Timeout.TotalSeconds:0} s",
                    ConnectorFailure.Denied => $"{server} refused the bind as {Settings.BindDn}",
                    _ => $"cannot reach {server}",
                };
                return new ConnectorException(SystemId, kind, $"{what}: {why} ({ldap.Message.Trim()}, LDAP error {ldap.ErrorCode})", e);
            case TimeoutException:
                return new ConnectorException(SystemId, ConnectorFailure.Timeout, $"{what}: {server} did not answer within {Settings.Timeout.TotalSeconds:0} s", e);
            default:
                return new ConnectorException(SystemId, ConnectorFailure.Unavailable, $"{what}: {server}: {e.Message}", e);
        }
    }

    /// <summary>A name every server writes in a DN as it is: ASCII letters, digits, inner spaces, <c>.-_'</c>.</summary>
    private static bool IsPlain(string value) => value.Length > 0 && value[0] != ' ' && value[^1] != ' '
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or '-' or '_' or '\'');

    /// <summary>Whether the server's port accepts a TCP connection (within three seconds). The connect
    /// is polled on this thread, not awaited: a busy thread pool must not make a listening server look down.</summary>
    private bool Listening()
    {
        try
        {
            var address = Dns.GetHostAddresses(Settings.Url.Host).FirstOrDefault();
            if (address is null)
                return false;
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                socket.Connect(address, Settings.Port);
                return true;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                return socket.Poll(TimeSpan.FromSeconds(3), SelectMode.SelectWrite)
                    && (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)! == 0;
            }
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // ----------------------------------------------------------------------------------------------
    // values
    // ----------------------------------------------------------------------------------------------

    private Dictionary<string, object?> Outputs(LdapEntry entry)
    {
        var outputs = new Dictionary<string, object?> { ["native_id"] = entry.Dn };
        if (entry.First(UsernameAttribute) is { } user)
            outputs[AccountAttributes.Username] = user;
        if (entry.First("userPrincipalName") is { } upn)
            outputs["user_principal_name"] = upn;
        return outputs;
    }

    private bool IsEnabled(LdapEntry e) => Ad
        ? !(int.TryParse(e.First("userAccountControl"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var uac) && (uac & AccountDisable) != 0)
        : e.First("pwdAccountLockedTime") is null;

    private DateOnly? ExpiryOf(LdapEntry e)
    {
        if (Ad)
        {
            return long.TryParse(e.First("accountExpires"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ft) && ft > 0 && ft != NeverExpires
                ? DateOnly.FromDateTime(DateTime.FromFileTimeUtc(ft).AddTicks(-1)) : null;
        }
        return int.TryParse(e.First("shadowExpire"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var days) && days > 0
            ? DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + days - 1) : null;
    }

    /// <summary>The container of a DN relative to the base DN (<c>ou=Sales,ou=People</c>).</summary>
    public string ContainerOf(string dn)
    {
        var parent = LdapText.SplitFirst(dn).Parent;
        return parent.Length > Settings.BaseDn.Length && Normalize(parent).EndsWith("," + Normalize(Settings.BaseDn), StringComparison.Ordinal)
            ? parent[..(parent.Length - Settings.BaseDn.Length - 1)] : parent;
    }

    /// <summary>accountExpires: the first instant the account is expired, i.e. the day after the last usable one, 00:00 UTC.</summary>
    public static long FileTime(DateOnly? lastDay) =>
        lastDay is { } d ? d.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).ToFileTimeUtc() : NeverExpires;

    /// <summary>shadowExpire: days since 1970-01-01 of the day the account expires (the day after the last usable one).</summary>
    public static int ShadowDays(DateOnly lastDay) => lastDay.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + 1;

    /// <summary>AD's unicodePwd: the password in double quotes, UTF-16LE.</summary>
    private static byte[] UnicodePwd(string password) => Encoding.Unicode.GetBytes($"\"{password}\"");

    /// <summary>OpenLDAP userPassword as a salted SHA-1 ({SSHA}), the scheme slapd checks natively.</summary>
    private static string Ssha(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(8);
        var hash = SHA1.HashData([.. Encoding.UTF8.GetBytes(password), .. salt]);
        return "{SSHA}" + Convert.ToBase64String([.. hash, .. salt]);
    }

    private static DirectoryAttributeModification Replace(string name, string value) =>
        Modification(name, DirectoryAttributeOperation.Replace, value);

    private static DirectoryAttributeModification Modification(string name, DirectoryAttributeOperation operation, string value)
    {
        var change = new DirectoryAttributeModification { Name = name, Operation = operation };
        change.Add(value);
        return change;
    }

    private static List<string> Values(object? value) => value switch
    {
        null => [],
        string s => s.Length == 0 ? [] : [s],
        IEnumerable<string> list => [.. list.Where(v => v.Length > 0)],
        _ => SandboxValues.Text(value) is { Length: > 0 } t ? [t] : [],
    };

    private DateOnly? Date(object? value)
    {
        try
        {
            return SandboxValues.Date(value);
        }
        catch (FormatException e)
        {
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{AccountAttributes.Expires}: {e.Message}");
        }
    }

    private List<string> RequiredGroups(TargetOperation op) => SandboxValues.List(op[AccountAttributes.Groups]) is { Count: > 0 } groups ? groups
        : throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{AccountAttributes.Groups} is required (one or more group names)");

    private static string Normalize(string dn) => string.Join(",", dn.Split(',').Select(p => p.Trim())).ToLowerInvariant();
}
