using System.Globalization;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Ldap;

/// <summary>The settings of one <c>connector: ldap</c> system, from its <c>config:</c> in systems.yaml.</summary>
/// <param name="Dialect"><c>active-directory</c> or <c>openldap</c></param>
/// <param name="Url"><c>ldap://host:389</c> or <c>ldaps://host:636</c></param>
/// <param name="BaseDn">the naming context everything lives under</param>
/// <param name="BindDn">the service account (AD also takes <c>user@domain</c>)</param>
/// <param name="PasswordEnv">the environment variable that holds the bind password (never the password itself)</param>
/// <param name="PeopleOu">default container of accounts, relative to the base DN (default <c>ou=People</c>)</param>
/// <param name="GroupOu">where groups are found and created, relative to the base DN (default <c>ou=Groups</c>)</param>
/// <param name="StartTls">upgrade an <c>ldap://</c> connection with StartTLS before binding</param>
/// <param name="UpnSuffix">AD: the domain of userPrincipalName (default: from the base DN's DC parts)</param>
/// <param name="OuBy">a native attribute whose value places a new account in <c>ou=VALUE,&lt;people_ou&gt;</c> when the step gives no container</param>
/// <param name="PageSize">entries per page of a paged search</param>
/// <param name="MaxConcurrency">connections (and so requests in flight) at most</param>
/// <param name="Timeout">per request</param>
/// <param name="RdnAttribute">OpenLDAP: the naming attribute of accounts, <c>uid</c> (default) or <c>cn</c>; AD always uses <c>cn</c></param>
/// <param name="GroupsMustExist">a group that does not exist is refused instead of created on first use</param>
/// <param name="CreateContainers">missing OUs on the way to a container are created</param>
public sealed record LdapSettings(
    string Dialect,
    Uri Url,
    string BaseDn,
    string? BindDn,
    string? PasswordEnv,
    string PeopleOu,
    string GroupOu,
    bool StartTls,
    string? UpnSuffix,
    string? OuBy,
    int PageSize,
    int MaxConcurrency,
    TimeSpan Timeout,
    string RdnAttribute,
    bool GroupsMustExist,
    bool CreateContainers)
{
    public const string ActiveDirectory = SandboxDialect.ActiveDirectory;
    public const string OpenLdap = SandboxDialect.OpenLdap;

    public bool IsActiveDirectory => Dialect == ActiveDirectory;

    public bool UsesSsl => Url.Scheme.Equals("ldaps", StringComparison.OrdinalIgnoreCase);

    public int Port => Url.IsDefaultPort || Url.Port <= 0 ? (UsesSsl ? 636 : 389) : Url.Port;

    /// <summary>The UPN domain: the setting, else <c>DC=example,DC=test</c> → <c>example.test</c>.</summary>
    public string UpnDomain => UpnSuffix ?? string.Join(".", BaseDn.Split(',', StringSplitOptions.TrimEntries)
        .Where(p => p.StartsWith("dc=", StringComparison.OrdinalIgnoreCase)).Select(p => p[3..]));

    public static LdapSettings From(SystemDefinition system)
    {
        string Need(string key) => system.Setting(key) is { Length: > 0 } v ? v
            : throw new InvalidOperationException($"system {system.Id}: an ldap system needs config.{key}");
        bool Flag(string key, bool fallback) => system.Setting(key) is { } v ? v.Equals("true", StringComparison.OrdinalIgnoreCase) : fallback;
        int Number(string key, int fallback) => system.Setting(key) is { } v
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw new InvalidOperationException($"system {system.Id}: config.{key} \"{v}\" is not a positive whole number")
            : fallback;

        var dialect = system.Setting("dialect") ?? OpenLdap;
        if (dialect is not (ActiveDirectory or OpenLdap))
            throw new InvalidOperationException($"system {system.Id}: unknown ldap dialect \"{dialect}\"; expected {ActiveDirectory} or {OpenLdap}");
        var url = Need("url");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ldap" or "ldaps"))
            throw new InvalidOperationException($"system {system.Id}: config.url \"{url}\" is not an ldap:// or ldaps:// address");
        var rdn = system.Setting("rdn") ?? (dialect == ActiveDirectory ? "cn" : "uid");
        if (rdn is not ("uid" or "cn") || (dialect == ActiveDirectory && rdn != "cn"))
            throw new InvalidOperationException($"system {system.Id}: config.rdn \"{rdn}\" must be uid or cn (Active Directory: cn)");
        var startTls = Flag("start_tls", false);
        if (startTls && uri.Scheme == "ldaps")
            throw new InvalidOperationException($"system {system.Id}: start_tls is for ldap:// addresses; ldaps:// is already encrypted");
        return new LdapSettings(dialect, uri, Need("base_dn"), system.Setting("bind_dn"), system.Setting("password_env"),
            system.Setting("people_ou") ?? "ou=People", system.Setting("group_ou") ?? "ou=Groups", startTls,
            system.Setting("upn_suffix"), system.Setting("ou_by"), Number("page_size", 500), Number("max_concurrency", 4),
            TimeSpan.FromSeconds(Number("timeout_seconds", 30)), rdn, Flag("groups_must_exist", false), Flag("create_containers", true));
    }
}
