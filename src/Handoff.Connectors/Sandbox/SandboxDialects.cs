using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Sandbox;

/// <summary>The settings of one sandbox system, from its <c>config:</c> in systems.yaml.</summary>
/// <param name="Kind">active-directory, openldap, scim-app, ticketing or mail</param>
/// <param name="BaseDn">the directory's naming context (default <c>DC=acme,DC=example</c> / <c>dc=acme,dc=example</c>)</param>
/// <param name="Domain">the mail / UPN domain (default <c>acme.example</c>)</param>
/// <param name="GroupsMustExist">a group that does not exist is refused instead of created on first use</param>
/// <param name="Groups">groups that exist from the start (config <c>groups</c>, comma-separated)</param>
public sealed record SandboxSettings(string Kind, string BaseDn, string Domain, bool GroupsMustExist, IReadOnlyList<string> Groups)
{
    public static SandboxSettings From(SystemDefinition system)
    {
        var kind = system.Setting("kind") ?? throw new InvalidOperationException($"system {system.Id}: a sandbox system needs config.kind ({string.Join(", ", SandboxDialect.Kinds)})");
        var dialect = SandboxDialect.Find(kind) ?? throw new InvalidOperationException(
            $"system {system.Id}: unknown sandbox kind \"{kind}\"; expected one of {string.Join(", ", SandboxDialect.Kinds)}");
        return new SandboxSettings(kind,
            system.Setting("base_dn") ?? dialect.DefaultBaseDn,
            system.Setting("domain") ?? "acme.example",
            string.Equals(system.Setting("groups_must_exist"), "true", StringComparison.OrdinalIgnoreCase),
            [.. (system.Setting("groups") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);
    }

    public static SandboxSettings Default(string kind) =>
        new(kind, SandboxDialect.Find(kind)?.DefaultBaseDn ?? "", "acme.example", false, []);
}

/// <summary>
/// What one kind of sandbox system is: its object class, the operations it takes, its schema and
/// its constraints. Account dialects (<see cref="AccountDialect"/>) stand in for directories and
/// SCIM apps; <see cref="TicketingDialect"/> and <see cref="MailDialect"/> for ticketing and mail.
/// </summary>
public abstract class SandboxDialect
{
    public const string ActiveDirectory = "active-directory";
    public const string OpenLdap = "openldap";
    public const string ScimApp = "scim-app";
    public const string Ticketing = "ticketing";
    public const string Mail = "mail";

    public static IReadOnlyList<string> Kinds { get; } = [ActiveDirectory, OpenLdap, ScimApp, Ticketing, Mail];

    public static SandboxDialect? Find(string kind) => kind switch
    {
        ActiveDirectory => ActiveDirectoryDialect.Instance,
        OpenLdap => OpenLdapDialect.Instance,
        ScimApp => ScimAppDialect.Instance,
        Ticketing => TicketingDialect.Instance,
        Mail => MailDialect.Instance,
        _ => null,
    };

    public abstract string Kind { get; }

    /// <summary>The class of the objects it holds (<see cref="ObjectClasses"/>).</summary>
    public abstract string ObjectClass { get; }

    public abstract IReadOnlyList<TargetOperationKind> Operations { get; }

    public virtual string DefaultBaseDn => "";

    /// <summary>The native attributes of <see cref="ObjectClass"/>.</summary>
    public abstract IReadOnlyList<TargetAttribute> Attributes { get; }

    /// <summary>Whether a native attribute not in <see cref="Attributes"/> may be written.</summary>
    public virtual bool AcceptsAttribute(string name) => false;

    public TargetSchema Schema()
    {
        List<TargetObjectClass> classes = [new(ObjectClass, Attributes)];
        if (this is AccountDialect)
            classes.Add(new("group", [new("name", "string", true, false, true, 256)]));
        return new TargetSchema(classes);
    }

    /// <summary>The attribute of the schema with this name (compared without case, as LDAP does).</summary>
    public TargetAttribute? Attribute(string name) =>
        Attributes.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    protected static TargetAttribute Text(string name, bool required = false, bool unique = false, int? max = null, bool multi = false) =>
        new(name, "string", required, multi, unique, max);
}

/// <summary>A directory or app that holds accounts: the shared rules, with each system's names and
/// constraints in a subclass.</summary>
public abstract class AccountDialect : SandboxDialect
{
    public override string ObjectClass => ObjectClasses.Account;

    public override IReadOnlyList<TargetOperationKind> Operations { get; } =
    [
        TargetOperationKind.Create, TargetOperationKind.Update, TargetOperationKind.Enable, TargetOperationKind.Disable,
        TargetOperationKind.SetExpiry, TargetOperationKind.Move, TargetOperationKind.AddToGroups, TargetOperationKind.RemoveFromGroups,
        TargetOperationKind.SetPassword, TargetOperationKind.Delete,
    ];

    /// <summary>The native name of the username (sAMAccountName, uid, userName).</summary>
    public abstract string UsernameAttribute { get; }

    /// <summary>Operation-level attribute names (<see cref="AccountAttributes"/>) → native names.</summary>
    public abstract IReadOnlyDictionary<string, string> NativeNames { get; }

    /// <summary>Native attributes the system sets itself; a write to them is refused.</summary>
    public virtual IReadOnlyList<string> SystemAttributes => [];

    public virtual int? UsernameMaxLength => null;

    public virtual bool HasContainers => true;

    public virtual string DefaultContainer => "";

    /// <summary>Every way the username breaks the system's rules (length, characters).</summary>
    public abstract IEnumerable<string> UsernameProblems(string username);

    /// <summary>Fills in what the system derives itself (UPN, cn, userAccountControl …) after a write.</summary>
    public abstract void Complete(SandboxAccount account, SandboxSettings settings);

    /// <summary>The native id of the account in its current state; <paramref name="current"/> is the
    /// id it has now (null on create).</summary>
    public abstract string NativeId(SandboxAccount account, SandboxSettings settings, string? current);

    public abstract void SetEnabled(SandboxAccount account, bool enabled);

    /// <summary>Mirrors the expiry date into the native attribute.</summary>
    public abstract void SetExpires(SandboxAccount account, DateOnly? expires);

    /// <summary>A write of a native attribute that is really the enabled flag or the expiry (AD
    /// userAccountControl, accountExpires): applies it to the account and says so.</summary>
    public virtual bool TryApplySpecial(SandboxAccount account, string nativeName, object? value, List<string> problems) => false;

    public virtual IEnumerable<string> PasswordProblems(string password, SandboxAccount account)
    {
        if (string.IsNullOrEmpty(password))
            yield return "the password is empty";
    }

    /// <summary>The message when a required attribute is missing, naming what the operation should give.</summary>
    public virtual string MissingMessage(string nativeName)
    {
        var op = NativeNames.FirstOrDefault(p => string.Equals(p.Value, nativeName, StringComparison.OrdinalIgnoreCase)).Key;
        return op is null ? $"required attribute {nativeName} is missing" : $"required attribute {nativeName} ({op}) is missing";
    }

    public string? NativeNameOf(string operationName) => NativeNames.TryGetValue(operationName, out var n) ? n : null;

    protected static string Join(string first, string container, string baseDn) =>
        string.Join(",", new[] { first, container, baseDn }.Where(p => p.Length > 0));
}

/// <summary>Active Directory: sAMAccountName (≤ 20 characters, no <c>"/\[]:;|=,+*?&lt;&gt;</c>),
/// userPrincipalName derived from it, a DN named after the display name, userAccountControl flags and
/// accountExpires.</summary>
public sealed class ActiveDirectoryDialect : AccountDialect
{
    public static readonly ActiveDirectoryDialect Instance = new();

    /// <summary>userAccountControl ACCOUNTDISABLE.</summary>
    public const int AccountDisable = 0x2;

    /// <summary>userAccountControl NORMAL_ACCOUNT.</summary>
    public const int NormalAccount = 0x200;

    private const string ForbiddenCharacters = "\"/\\[]:;|=,+*?<>";

    public override string Kind => ActiveDirectory;

    public override string DefaultBaseDn => "DC=acme,DC=example";

    public override string DefaultContainer => "OU=People";

    public override string UsernameAttribute => "sAMAccountName";

    public override int? UsernameMaxLength => 20;

    public override IReadOnlyDictionary<string, string> NativeNames { get; } = new Dictionary<string, string>
    {
        [AccountAttributes.Username] = "sAMAccountName",
        [AccountAttributes.DisplayName] = "displayName",
        [AccountAttributes.GivenName] = "givenName",
        [AccountAttributes.Surname] = "sn",
        [AccountAttributes.Email] = "mail",
        [AccountAttributes.Manager] = "manager",
    };

    public override IReadOnlyList<string> SystemAttributes { get; } = ["userPrincipalName", "distinguishedName", "memberOf", "objectGUID", "pwdLastSet"];

    public override IReadOnlyList<TargetAttribute> Attributes { get; } =
    [
        Text("sAMAccountName", required: true, unique: true, max: 20),
        Text("userPrincipalName", required: true, unique: true, max: 1024),
        Text("distinguishedName", required: true, unique: true),
        Text("cn", required: true, max: 64),
        Text("displayName", max: 256),
        Text("givenName", max: 64),
        Text("sn", max: 64),
        Text("initials", max: 6),
        Text("mail", max: 256),
        Text("employeeID", max: 16),
        Text("employeeNumber", max: 512),
        Text("employeeType", max: 256),
        Text("department", max: 64),
        Text("division", max: 256),
        Text("company", max: 64),
        Text("title", max: 128),
        Text("description", max: 1024),
        Text("physicalDeliveryOfficeName", max: 128),
        Text("telephoneNumber", max: 64),
        Text("mobile", max: 64),
        Text("streetAddress", max: 1024),
        Text("l", max: 128),
        Text("co", max: 128),
        Text("c", max: 3),
        Text("postalCode", max: 40),
        Text("preferredLanguage", max: 32),
        Text("manager"),
        Text("memberOf", multi: true),
        new("userAccountControl", "int", true, false, false, null),
        new("accountExpires", "date", false, false, false, null),
        new("pwdLastSet", "datetime", false, false, false, null),
        .. Enumerable.Range(1, 15).Select(i => Text($"extensionAttribute{i}", max: 1024)),
    ];

    public override IEnumerable<string> UsernameProblems(string username)
    {
        if (username.Length > 20)
            yield return $"sAMAccountName \"{username}\" is {username.Length} characters; Active Directory allows at most 20";
        var bad = username.Where(c => ForbiddenCharacters.Contains(c) || char.IsControl(c)).Distinct().ToList();
        if (bad.Count > 0)
            yield return $"sAMAccountName \"{username}\" contains {string.Join(" ", bad.Select(c => $"'{c}'"))}, which Active Directory does not allow (forbidden: {ForbiddenCharacters})";
        if (username.Trim('.', ' ').Length == 0)
            yield return $"sAMAccountName \"{username}\" must contain something other than periods and spaces";
        else if (username.EndsWith('.'))
            yield return $"sAMAccountName \"{username}\" must not end with a period";
    }

    public override void Complete(SandboxAccount a, SandboxSettings settings)
    {
        var given = a.Text("givenName");
        var sn = a.Text("sn");
        var display = a.Text("displayName");
        if (display is null && (given is not null || sn is not null))
            a.Set("displayName", $"{given} {sn}".Trim());
        // cn is set once, from the display name, when the account is created; a later display-name
        // change does not rename the object (as in AD, where a rename is a separate modrdn).
        if (a.Text("cn") is null && a.Text("displayName") is { } cn)
            a.Set("cn", cn);
        if (a.Username is { } user)
            a.Set("userPrincipalName", $"{user}@{settings.Domain}");
        if (a.Anchor is { } anchor && a.Text("employeeID") is null)
            a.Set("employeeID", anchor);
        var uac = a.Int("userAccountControl") ?? NormalAccount;
        a.Set("userAccountControl", a.Enabled ? uac & ~AccountDisable : uac | AccountDisable);
        a.Set("accountExpires", a.Expires?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "never");
    }

    public override string MissingMessage(string nativeName) => nativeName == "cn"
        ? "Active Directory needs a name for the object: give display_name, or given_name and surname"
        : base.MissingMessage(nativeName);

    public override string NativeId(SandboxAccount a, SandboxSettings settings, string? current)
    {
        var dn = Join($"CN={EscapeRdn(a.Text("cn") ?? "")}", a.Container ?? DefaultContainer, settings.BaseDn);
        a.Set("distinguishedName", dn);
        return dn;
    }

    public override void SetEnabled(SandboxAccount a, bool enabled)
    {
        a.Enabled = enabled;
        var uac = a.Int("userAccountControl") ?? NormalAccount;
        a.Set("userAccountControl", enabled ? uac & ~AccountDisable : uac | AccountDisable);
    }

    public override void SetExpires(SandboxAccount a, DateOnly? expires)
    {
        a.Expires = expires;
        a.Set("accountExpires", expires?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "never");
    }

    public override bool TryApplySpecial(SandboxAccount a, string nativeName, object? value, List<string> problems)
    {
        if (nativeName.Equals("userAccountControl", StringComparison.OrdinalIgnoreCase))
        {
            if (!int.TryParse(SandboxValues.Text(value), NumberStyles.Integer, CultureInfo.InvariantCulture, out var uac))
            {
                problems.Add($"userAccountControl \"{value}\" is not a number");
                return true;
            }
            a.Set("userAccountControl", uac);
            a.Enabled = (uac & AccountDisable) == 0;
            return true;
        }
        if (nativeName.Equals("accountExpires", StringComparison.OrdinalIgnoreCase))
        {
            if (TryExpiry(value, out var date))
                SetExpires(a, date);
            else
                problems.Add($"accountExpires \"{value}\" is neither a date, a FILETIME nor 0/never");
            return true;
        }
        return false;
    }

    /// <summary>accountExpires as AD holds it: a FILETIME (100 ns since 1601, 0 or 2^63-1 = never), or a date.</summary>
    private static bool TryExpiry(object? value, out DateOnly? date)
    {
        date = null;
        var text = SandboxValues.Text(value)?.Trim();
        if (string.IsNullOrEmpty(text) || text is "0" or "never" or "9223372036854775807")
            return true;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var filetime) && filetime > 0)
        {
            // AD stores the first instant the account is expired: the day before is the last usable one.
            date = DateOnly.FromDateTime(DateTime.FromFileTimeUtc(filetime).AddTicks(-1));
            return true;
        }
        try
        {
            date = SandboxValues.Date(value);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public override IEnumerable<string> PasswordProblems(string password, SandboxAccount account)
    {
        // The default domain policy: at least 8 characters, three of four character classes, and not
        // the account name.
        var classes = new[] { password.Any(char.IsUpper), password.Any(char.IsLower), password.Any(char.IsDigit), password.Any(c => !char.IsLetterOrDigit(c)) }.Count(x => x);
        if (password.Length < 8 || classes < 3)
            yield return "the password does not meet the domain's complexity policy (at least 8 characters from three of: upper case, lower case, digits, symbols)";
        if (account.Username is { Length: > 2 } user && password.Contains(user, StringComparison.OrdinalIgnoreCase))
            yield return "the password contains the account name";
    }

    /// <summary>Escapes a relative distinguished name value (RFC 4514).</summary>
    public static string EscapeRdn(string value)
    {
        var sb = new StringBuilder(value.Length + 4);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' or '=' || (c == '#' && i == 0) || (c == ' ' && (i == 0 || i == value.Length - 1)))
                sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>OpenLDAP with inetOrgPerson: uid unique, cn and sn required, DN <c>uid=…,ou=People,dc=acme,dc=example</c>;
/// a disabled account carries the ppolicy lock (pwdAccountLockedTime).</summary>
public sealed class OpenLdapDialect : AccountDialect
{
    public static readonly OpenLdapDialect Instance = new();

    /// <summary>The ppolicy value that locks an account until an administrator unlocks it.</summary>
    public const string PermanentLock = "000001010000Z";

    public override string Kind => OpenLdap;

    public override string DefaultBaseDn => "dc=acme,dc=example";

    public override string DefaultContainer => "ou=People";

    public override string UsernameAttribute => "uid";

    public override IReadOnlyDictionary<string, string> NativeNames { get; } = new Dictionary<string, string>
    {
        [AccountAttributes.Username] = "uid",
        [AccountAttributes.DisplayName] = "displayName",
        [AccountAttributes.GivenName] = "givenName",
        [AccountAttributes.Surname] = "sn",
        [AccountAttributes.Email] = "mail",
        [AccountAttributes.Manager] = "manager",
    };

    public override IReadOnlyList<string> SystemAttributes { get; } = ["entryDN", "pwdAccountLockedTime", "memberOf", "entryUUID"];

    public override IReadOnlyList<TargetAttribute> Attributes { get; } =
    [
        Text("uid", required: true, unique: true, max: 256),
        Text("cn", required: true),
        Text("sn", required: true),
        Text("entryDN", required: true, unique: true),
        Text("givenName"),
        Text("displayName"),
        Text("initials"),
        Text("mail"),
        Text("employeeNumber"),
        Text("employeeType"),
        Text("departmentNumber"),
        Text("ou"),
        Text("o"),
        Text("title"),
        Text("description"),
        Text("telephoneNumber"),
        Text("mobile"),
        Text("l"),
        Text("postalCode"),
        Text("preferredLanguage"),
        Text("manager"),
        Text("memberOf", multi: true),
        new("pwdAccountLockedTime", "string", false, false, false, null),
        new("shadowExpire", "int", false, false, false, null),
    ];

    public override IEnumerable<string> UsernameProblems(string username)
    {
        if (username.Length == 0 || !char.IsAsciiLetterOrDigit(username[0]) || !username.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            yield return $"uid \"{username}\" must start with a letter or digit and contain only letters, digits, '.', '_' and '-'";
    }

    public override void Complete(SandboxAccount a, SandboxSettings settings)
    {
        if (a.Text("cn") is null)
        {
            var cn = a.Text("displayName") ?? $"{a.Text("givenName")} {a.Text("sn")}".Trim();
            if (cn.Length > 0)
                a.Set("cn", cn);
        }
        if (a.Anchor is { } anchor && a.Text("employeeNumber") is null)
            a.Set("employeeNumber", anchor);
    }

    public override string NativeId(SandboxAccount a, SandboxSettings settings, string? current)
    {
        var dn = Join($"uid={ActiveDirectoryDialect.EscapeRdn(a.Username ?? "")}", a.Container ?? DefaultContainer, settings.BaseDn);
        a.Set("entryDN", dn);
        return dn;
    }

    public override void SetEnabled(SandboxAccount a, bool enabled)
    {
        a.Enabled = enabled;
        a.Set("pwdAccountLockedTime", enabled ? null : PermanentLock);
    }

    public override void SetExpires(SandboxAccount a, DateOnly? expires)
    {
        a.Expires = expires;
        // shadowExpire: days since 1970-01-01 on which the account expires.
        a.Set("shadowExpire", expires is { } d ? d.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + 1 : null);
    }
}

/// <summary>A SCIM 2.0 application (Slack-like): userName unique (any non-blank text, e-mail style
/// allowed), active, a GUID id; no containers.</summary>
public sealed class ScimAppDialect : AccountDialect
{
    public static readonly ScimAppDialect Instance = new();

    public override string Kind => ScimApp;

    public override bool HasContainers => false;

    public override string UsernameAttribute => "userName";

    public override IReadOnlyDictionary<string, string> NativeNames { get; } = new Dictionary<string, string>
    {
        [AccountAttributes.Username] = "userName",
        [AccountAttributes.DisplayName] = "displayName",
        [AccountAttributes.GivenName] = "name.givenName",
        [AccountAttributes.Surname] = "name.familyName",
        [AccountAttributes.Email] = "emails.work",
        [AccountAttributes.Manager] = "manager",
    };

    public override IReadOnlyList<string> SystemAttributes { get; } = ["id", "active", "meta.created"];

    public override IReadOnlyList<TargetAttribute> Attributes { get; } =
    [
        Text("id", required: true, unique: true),
        Text("userName", required: true, unique: true),
        Text("externalId"),
        Text("displayName"),
        Text("nickName"),
        Text("name.givenName"),
        Text("name.familyName"),
        Text("emails.work"),
        Text("title"),
        Text("userType"),
        Text("preferredLanguage"),
        Text("locale"),
        Text("timezone"),
        Text("department"),
        Text("manager"),
        new("active", "bool", true, false, false, null),
        new("expires", "date", false, false, false, null),
    ];

    /// <summary>Extension attributes (<c>urn:…</c>) are the app's own schema: accepted as written.</summary>
    public override bool AcceptsAttribute(string name) => name.StartsWith("urn:", StringComparison.Ordinal);

    public override IEnumerable<string> UsernameProblems(string username)
    {
        if (username.Any(char.IsWhiteSpace) || username.Any(char.IsControl))
            yield return $"userName \"{username}\" must not contain spaces or control characters";
    }

    public override void Complete(SandboxAccount a, SandboxSettings settings)
    {
        if (a.Text("displayName") is null && $"{a.Text("name.givenName")} {a.Text("name.familyName")}".Trim() is { Length: > 0 } name)
            a.Set("displayName", name);
        if (a.Anchor is { } anchor && a.Text("externalId") is null)
            a.Set("externalId", anchor);
        a.Set("active", a.Enabled);
    }

    public override string NativeId(SandboxAccount a, SandboxSettings settings, string? current)
    {
        var id = current ?? Guid.NewGuid().ToString();
        a.Set("id", id);
        return id;
    }

    public override void SetEnabled(SandboxAccount a, bool enabled)
    {
        a.Enabled = enabled;
        a.Set("active", enabled);
    }

    public override void SetExpires(SandboxAccount a, DateOnly? expires)
    {
        a.Expires = expires;
        a.Set("expires", expires?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    public override bool TryApplySpecial(SandboxAccount a, string nativeName, object? value, List<string> problems)
    {
        if (nativeName != "active")
            return false;
        try
        {
            SetEnabled(a, SandboxValues.Bool(value) ?? true);
        }
        catch (FormatException e)
        {
            problems.Add("active: " + e.Message);
        }
        return true;
    }
}

/// <summary>A service desk: tickets numbered <c>TCK-000123</c> per system; title required.</summary>
public sealed class TicketingDialect : SandboxDialect
{
    public static readonly TicketingDialect Instance = new();

    public const int TitleMaxLength = 255;

    public override string Kind => Ticketing;

    public override string ObjectClass => ObjectClasses.Ticket;

    public override IReadOnlyList<TargetOperationKind> Operations { get; } = [TargetOperationKind.CreateTicket, TargetOperationKind.Update, TargetOperationKind.Delete];

    public override IReadOnlyList<TargetAttribute> Attributes { get; } =
    [
        Text("number", required: true, unique: true),
        Text(MessageAttributes.Title, required: true, max: TitleMaxLength),
        Text(MessageAttributes.Body),
        Text(MessageAttributes.Queue),
        new(MessageAttributes.Due, "date", false, false, false, null),
        Text("status"),
        Text("priority"),
        Text("requester"),
        Text("assignee"),
    ];

    /// <summary>Service desks have custom fields: any other attribute is stored as written.</summary>
    public override bool AcceptsAttribute(string name) => true;

    public static string Number(long n) => $"TCK-{n.ToString("D6", CultureInfo.InvariantCulture)}";
}

/// <summary>An outgoing mail server: a sent message is stored (to, subject or template, body) and
/// gets a message id.</summary>
public sealed class MailDialect : SandboxDialect
{
    public static readonly MailDialect Instance = new();

    public override string Kind => Mail;

    public override string ObjectClass => ObjectClasses.Message;

    public override IReadOnlyList<TargetOperationKind> Operations { get; } = [TargetOperationKind.SendMail];

    public override IReadOnlyList<TargetAttribute> Attributes { get; } =
    [
        Text("message_id", required: true, unique: true),
        Text(MessageAttributes.To, required: true, multi: true),
        Text(MessageAttributes.Subject),
        Text(MessageAttributes.Template),
        Text(MessageAttributes.Body),
        Text("cc", multi: true),
    ];

    /// <summary>Template variables travel with the message.</summary>
    public override bool AcceptsAttribute(string name) => true;

    /// <summary>Whether text looks like one mail address: <c>local@domain.tld</c>, no display name.</summary>
    public static bool LooksLikeAddress(string value) =>
        System.Net.Mail.MailAddress.TryCreate(value, out var a) && a.Address == value.Trim()
        && a.Host.Contains('.') && !a.Host.StartsWith('.') && !a.Host.EndsWith('.');
}

/// <summary>An account being written: native attributes plus the columns the store keeps apart.</summary>
public sealed class SandboxAccount
{
    public Dictionary<string, JsonNode?> Native { get; init; } = new(StringComparer.OrdinalIgnoreCase);
    public string? Username { get; set; }
    public string? Anchor { get; set; }
    public bool Enabled { get; set; } = true;
    public DateOnly? Expires { get; set; }
    public string? Container { get; set; }
    public SortedSet<string> Groups { get; init; } = new(StringComparer.Ordinal);

    public string? Text(string name) =>
        Native.TryGetValue(name, out var v) && v is not null && v.ToString() is { Length: > 0 } s ? s : null;

    public int? Int(string name) =>
        Native.TryGetValue(name, out var v) && v is JsonValue j && j.TryGetValue<int>(out var i) ? i : null;

    /// <summary>Sets a native attribute (null removes it).</summary>
    public void Set(string name, object? value)
    {
        if (value is null)
            Native.Remove(name);
        else
            Native[name] = SandboxValues.Node(value);
    }
}
