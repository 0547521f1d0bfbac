using System.DirectoryServices.Protocols;
using System.Net;
using System.Text.RegularExpressions;
using Handoff.Connectors;
using Handoff.Core.Connectors;
using Handoff.Data.Reconciliation;
using Handoff.Data.Tests;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;
using Handoff.IntegrationTests.Connectors.Ldap;
using Microsoft.EntityFrameworkCore;

namespace Handoff.IntegrationTests.Reconciliation;

/// <summary>Reconciliation against the real slapd: accounts provisioned through the LDAP connector, then
/// changed behind Handoff's back with plain LDAP (a drifted displayName and departmentNumber, a deleted
/// entry, an entry nobody asked for), reconciled, and read back from the server.</summary>
public sealed partial class ReconcileSlapdTests
{
    [Fact]
    public async Task Drift_is_found_in_slapd_and_only_enforce_fields_are_written_back()
    {
        var slapd = TestDirectory.OpenLdap;
        var test = TestDirectory.Unique("rec");
        var peopleOu = $"ou=people-{test},ou=Handoff Tests";
        var workspace = AcmeWithSlapd(slapd, peopleOu);
        var spine = await DataSpine.StartAsync(TestDatabases.Sqlite, workspaceDir: workspace);
        var stem = Random.Shared.Next(10_000, 99_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string Id(int n) => $"8{stem}{n}";
        Dictionary<string, string?> Worker(int n, string first, string? end = null)
        {
            var w = WorkflowSpine.Worker(Id(n), first, "Rec" + test, "01/05/2026", end: end, department: "Research");
            w["Preferred_Name"] = $"{first} R.";
            return w;
        }
        await spine.SyncRecordsAsync("hris", Worker(1, "Ann"), Worker(2, "Ben"), Worker(3, "Cat"), Worker(4, "Dan"), Worker(5, "Eva", end: "10/31/2026"));

        var ldap = TargetConnectors.Ldap(spine.Definition.FindSystem("directory")!);
        var dns = new Dictionary<int, string>();
        await using (var db = spine.Db())
        {
            foreach (var (n, first) in new[] { (1, "Ann"), (2, "Ben"), (3, "Cat"), (4, "Dan"), (5, "Eva") })
            {
                var attributes = Ops.Person($"{first.ToLowerInvariant()}.{test}", first, "Rec" + test, enabled: true);
                attributes[AccountAttributes.DisplayName] = $"{first} R.";
                attributes["title"] = "Engineer";
                attributes["departmentNumber"] = "Research";
                var created = await ldap.ApplyAsync(Ops.Create(Id(n), attributes), default);
                dns[n] = created.NativeId!;
                var person = (await spine.PersonByKeyAsync("employee_id", Id(n))).Row.Id;
                db.AccountLinks.Add(new AccountLinkRow { System = "directory", PersonId = person, NativeId = dns[n], Username = $"{first.ToLowerInvariant()}.{test}", CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch });
            }
            await db.SaveChangesAsync();
        }

        // Behind Handoff's back, with a connection of the test's own:
        using (var admin = Bind(slapd))
        {
            Modify(admin, dns[1], "displayName", "Someone Else");       // enforce: repaired
            Modify(admin, dns[2], "departmentNumber", "Sales");         // on_create: reported only
            Modify(admin, dns[2], "mail", $"ben.{test}@elsewhere.test"); // if_empty: reported only
            admin.SendRequest(new DeleteRequest(dns[3]));               // link without account: missing
            var stranger = $"uid=stranger.{test},{peopleOu},{slapd.BaseDn}";
            admin.SendRequest(new AddRequest(stranger,                   // never created by Handoff: unmanaged
                new DirectoryAttribute("objectClass", "inetOrgPerson"), new DirectoryAttribute("uid", $"stranger.{test}"),
                new DirectoryAttribute("cn", "Stranger"), new DirectoryAttribute("sn", "Stranger")));
            dns[6] = stranger;
        }

        var reconciler = new Reconciler(spine.Database, spine.Clock, spine.Audit, spine.Workspace, spine.Keys, ws => TargetConnectors.For(ws, spine.Database, spine.Clock));
        var dry = await reconciler.RunAsync("directory", dryRun: true, "user:ivan", default);
        Assert.Equal("Someone Else", slapd.Read(dns[1], "displayName")!["displayName"].Single());
        var detail = await reconciler.RunAsync("directory", dryRun: false, "user:ivan", default);

        foreach (var report in new[] { dry.Report, detail.Report })
            Assert.Equal(("completed", 5, 1, 2, 1, 1, 1), (report.Status, report.Accounts, report.InSync, report.Drifted, report.Orphan, report.Unmanaged, report.Missing));
        var items = detail.Items.ToDictionary(i => i.NativeId!, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(("drifted", "repaired"), (items[dns[1]].Class, items[dns[1]].Repair));
        Assert.Contains("\"native\":\"displayName\"", items[dns[1]].DriftJson, StringComparison.Ordinal);
        Assert.Equal(("drifted", (string?)null), (items[dns[2]].Class, items[dns[2]].Repair));
        Assert.Contains("\"native\":\"departmentNumber\"", items[dns[2]].DriftJson, StringComparison.Ordinal);
        Assert.Contains("\"native\":\"mail\"", items[dns[2]].DriftJson, StringComparison.Ordinal);
        Assert.Equal("missing", items[dns[3]].Class);
        Assert.Equal("orphan", items[dns[5]].Class);
        Assert.Equal("unmanaged", items[dns[6]].Class);
        Assert.Equal(1, detail.Report.Repaired);

        // read back from slapd: the enforce field is the canonical value again, the others are as changed
        Assert.Equal("Ann R.", slapd.Read(dns[1], "displayName")!["displayName"].Single());
        var ben = slapd.Read(dns[2], "departmentNumber", "mail")!;
        Assert.Equal("Sales", ben["departmentNumber"].Single());
        Assert.Equal($"ben.{test}@elsewhere.test", ben["mail"].Single());
        Assert.Null(slapd.Read(dns[3]));
        Assert.NotNull(slapd.Read(dns[6]));

        await using var check = spine.Db();
        Assert.Equal(["reconcile.completed", "reconcile.dry_run", "reconcile.repaired"],
            (await check.AuditEntries.AsNoTracking().Where(a => a.Action.StartsWith("reconcile.")).Select(a => a.Action).ToListAsync()).Order());
    }

    internal static LdapConnection Bind(TestDirectory slapd)
    {
        var uri = new Uri(slapd.Url);
        var c = new LdapConnection(new LdapDirectoryIdentifier(uri.Host, uri.Port)) { AuthType = AuthType.Basic, Timeout = TimeSpan.FromSeconds(30) };
        c.SessionOptions.ProtocolVersion = 3;
        c.Bind(new NetworkCredential(slapd.BindDn, slapd.Password));
        return c;
    }

    private static void Modify(LdapConnection c, string dn, string attribute, string value) =>
        c.SendRequest(new ModifyRequest(dn, DirectoryAttributeOperation.Replace, attribute, value));

    /// <summary>samples/acme with its directory pointed at the test slapd (in an OU of this test's own) and
    /// OpenLDAP bindings: employeeNumber (the anchor, on_create), displayName ← preferred_name (enforce),
    /// departmentNumber ← department (on_create), mail (if_empty), givenName, sn, title and the expiry (enforce).</summary>
    /// <param name="extraConfig">more config lines of the directory system (already indented)</param>
    internal static string AcmeWithSlapd(TestDirectory slapd, string peopleOu, string extraConfig = "")
    {
        var target = Path.Combine(Path.GetTempPath(), "handoff-reconcile-ws-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", System.IO.SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        var systems = Path.Combine(target, "systems.yaml");
        var ldap = $"""
              - id: directory
                name: OpenLDAP (reconciliation test)
                kind: directory
                connector: ldap
                owner: it
                config:
                  url: {slapd.Url}
                  base_dn: {slapd.BaseDn}
                  bind_dn: {slapd.BindDn}
                  password_env: {slapd.PasswordEnv}
                  dialect: openldap
                  people_ou: "{peopleOu}"
                  reconcile: "0 3 * * *"

            """.TrimEnd('\n') + "\n" + extraConfig + "\n";
        var text = DirectoryBlock().Replace(File.ReadAllText(systems), ldap.Replace("\r\n", "\n", StringComparison.Ordinal), 1);
        Assert.Contains("connector: ldap", text, StringComparison.Ordinal);
        File.WriteAllText(systems, text);
        var dictionary = Path.Combine(target, "dictionary.yaml");
        var d = File.ReadAllText(dictionary);
        foreach (var (from, to) in new[]
        {
            ("directory: { field: employeeID, strength: on_create }", "directory: { field: employeeNumber, strength: on_create }"),
            ("directory: { field: department }", "directory: { field: departmentNumber, strength: on_create }"),
            ("      hris: { field: Preferred_Name, empty: clears }\n", "      hris: { field: Preferred_Name, empty: clears }\n      directory: { field: displayName }\n"),
        })
        {
            Assert.Contains(from, d, StringComparison.Ordinal);
            d = d.Replace(from, to, StringComparison.Ordinal);
        }
        File.WriteAllText(dictionary, d);
        return target;
    }

    [GeneratedRegex(@"  - id: directory\n(?:    .*\n|\s*#.*\n|      .*\n)*")]
    private static partial Regex DirectoryBlock();
}
