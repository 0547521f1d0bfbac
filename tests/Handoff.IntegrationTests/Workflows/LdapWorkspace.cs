using System.Text.RegularExpressions;
using Handoff.Data.Tests;
using Handoff.IntegrationTests.Connectors.Ldap;

namespace Handoff.IntegrationTests.Workflows;

/// <summary>samples/acme copied to a folder of the test's own, with its directory switched from the sandbox to
/// <c>connector: ldap</c> on a test server (the rest of the workspace unchanged).</summary>
internal static partial class LdapWorkspace
{
    /// <param name="peopleOu">a people OU of the test's own (its group OU beside it); default: the dialect's <c>ou=People</c></param>
    /// <param name="rdn">the naming attribute of accounts (<c>uid</c> or <c>cn</c>); default: the dialect's</param>
    public static string CopyAcme(TestDirectory slapd, string? peopleOu = null, string? rdn = null)
    {
        var target = Path.Combine(Path.GetTempPath(), "handoff-ldap-ws-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        var extra = (rdn is null ? "" : $"\n      rdn: {rdn}")
            + (peopleOu is null ? "" : $"\n      people_ou: '{peopleOu}'\n      group_ou: '{peopleOu.Replace("ou=people-", "ou=groups-", StringComparison.Ordinal)}'");
        var ldap = $"""
              - id: directory
                name: {slapd.Dialect} (integration test)
                kind: directory
                connector: ldap
                owner: it
                config:
                  url: {slapd.Url}
                  base_dn: {slapd.BaseDn}
                  bind_dn: {slapd.BindDn}
                  password_env: {slapd.PasswordEnv}
                  dialect: {slapd.Dialect}{extra}

            """;
        var systems = Path.Combine(target, "systems.yaml");
        var text = DirectoryBlock().Replace(File.ReadAllText(systems), ldap.Replace("\r\n", "\n", StringComparison.Ordinal), 1);
        Assert.Contains("connector: ldap", text, StringComparison.Ordinal);
        File.WriteAllText(systems, text);
        return target;
    }

    [GeneratedRegex(@"  - id: directory\n(?:    .*\n|\s*#.*\n|      .*\n)*")]
    private static partial Regex DirectoryBlock();
}
