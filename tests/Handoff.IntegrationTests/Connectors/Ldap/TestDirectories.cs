using System.Diagnostics;
using System.DirectoryServices.Protocols;
using System.Net;
using Handoff.Connectors.Ldap;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.IntegrationTests.Connectors.Ldap;

/// <summary>The real directories <c>scripts/test</c> starts (scripts/services/slapd.sh and samba-ad.sh)
/// and exports as HANDOFF_TEST_LDAP_* / HANDOFF_TEST_AD_*. Each test works in OUs of its own, so tests
/// run side by side on one server.</summary>
public sealed record TestDirectory(string Dialect, string Prefix)
{
    public static readonly TestDirectory OpenLdap = new(LdapSettings.OpenLdap, "HANDOFF_TEST_LDAP");
    public static readonly TestDirectory ActiveDirectory = new(LdapSettings.ActiveDirectory, "HANDOFF_TEST_AD");

    public static TestDirectory Of(string dialect) => dialect == LdapSettings.ActiveDirectory ? ActiveDirectory : OpenLdap;

    public string Setting(string name) => Environment.GetEnvironmentVariable($"{Prefix}_{name}") is { Length: > 0 } v ? v
        : throw new InvalidOperationException($"{Prefix}_{name} is not set: run the integration tests through ./scripts/test, which starts slapd and Samba AD and exports their settings");

    public string Url => Setting("URL");
    public string LdapsUrl => Setting("LDAPS_URL");
    public string BaseDn => Setting("BASE_DN");
    public string BindDn => Setting("BIND_DN");
    public string Password => Setting("PASSWORD");
    public string PasswordEnv => $"{Prefix}_PASSWORD";

    /// <summary>A system definition for this directory with its own people and group OUs.</summary>
    public SystemDefinition System(string test, Dictionary<string, string>? extra = null, string? url = null)
    {
        var config = new Dictionary<string, string>
        {
            ["url"] = url ?? Url,
            ["base_dn"] = BaseDn,
            ["bind_dn"] = BindDn,
            ["password_env"] = PasswordEnv,
            ["dialect"] = Dialect,
            ["people_ou"] = $"ou=people-{test},ou=Handoff Tests",
            ["group_ou"] = $"ou=groups-{test},ou=Handoff Tests",
        };
        foreach (var (k, v) in extra ?? [])
            config[k] = v;
        return new SystemDefinition("directory", $"{Dialect} under test", SystemKind.Directory, "ldap", SystemOwner.It, config);
    }

    public LdapConnector Connector(string test, Dictionary<string, string>? extra = null, string? url = null) =>
        new("directory", LdapSettings.From(System(test, extra, url)));

    /// <summary>A name of a test's own: short (AD's sAMAccountName has 20 characters) and unique.</summary>
    public static string Unique(string stem) => $"{stem}{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Reads an entry with a connection of its own (not the connector's): what the server really holds.</summary>
    public Dictionary<string, string[]>? Read(string dn, params string[] attributes)
    {
        using var c = Bind(BindDn, Password);
        try
        {
            var response = (SearchResponse)c.SendRequest(new SearchRequest(dn, "(objectClass=*)", SearchScope.Base, attributes.Length == 0 ? ["*", "+"] : attributes));
            if (response.Entries.Count == 0)
                return null;
            var entry = response.Entries[0];
            var values = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            foreach (string name in entry.Attributes.AttributeNames)
                values[name] = (string[])entry.Attributes[name].GetValues(typeof(string));
            values["dn"] = [entry.DistinguishedName];
            return values;
        }
        catch (DirectoryOperationException e) when (e.Response.ResultCode == ResultCode.NoSuchObject)
        {
            return null;
        }
    }

    /// <summary>DNs of the entries matching a filter anywhere under the base DN.</summary>
    public List<string> Find(string filter)
    {
        using var c = Bind(BindDn, Password);
        var response = (SearchResponse)c.SendRequest(new SearchRequest(BaseDn, filter, SearchScope.Subtree, "1.1"));
        return [.. response.Entries.Cast<SearchResultEntry>().Select(e => e.DistinguishedName)];
    }

    /// <summary>Whether a simple bind with these credentials succeeds.</summary>
    public bool CanBind(string who, string password)
    {
        try
        {
            using var c = Bind(who, password);
            return true;
        }
        catch (LdapException e) when (e.ErrorCode == 49)
        {
            return false;
        }
    }

    private LdapConnection Bind(string who, string password)
    {
        var uri = new Uri(Url);
        var c = new LdapConnection(new LdapDirectoryIdentifier(uri.Host, uri.Port)) { AuthType = AuthType.Basic, Timeout = TimeSpan.FromSeconds(30) };
        c.SessionOptions.ProtocolVersion = 3;
        c.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
        c.Bind(new NetworkCredential(who, password));
        return c;
    }

    /// <summary>A password that meets AD's default complexity policy.</summary>
    public static string NewPassword() => $"Pw!{Guid.NewGuid().ToString("N")[..10]}9z";

    /// <summary>Runs scripts/services/NAME.sh with extra environment (a second slapd of a test's own).</summary>
    public static void Service(string script, string verb, Dictionary<string, string> environment)
    {
        var dir = Environment.GetEnvironmentVariable("HANDOFF_TEST_SERVICES")
            ?? Path.Combine(Handoff.Data.Tests.Repository.Root, "scripts", "services");
        var start = new ProcessStartInfo("bash", [Path.Combine(dir, script + ".sh"), verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in environment)
            start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script}.sh {verb} failed ({process.ExitCode}): {output}");
    }
}

/// <summary>Short ways to build operations.</summary>
public static class Ops
{
    public static TargetOperation Create(string anchor, Dictionary<string, object?> attributes, string? key = null) =>
        new(TargetOperationKind.Create, ObjectClasses.Account, null, anchor, attributes, key ?? Guid.NewGuid().ToString());

    public static TargetOperation On(TargetOperationKind kind, string dn, Dictionary<string, object?>? attributes = null) =>
        new(kind, ObjectClasses.Account, dn, null, attributes ?? [], Guid.NewGuid().ToString());

    public static Dictionary<string, object?> Person(string username, string given, string surname, bool enabled = false) => new()
    {
        [AccountAttributes.Username] = username,
        [AccountAttributes.GivenName] = given,
        [AccountAttributes.Surname] = surname,
        [AccountAttributes.Enabled] = enabled,
    };
}
