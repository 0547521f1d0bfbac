using System.Globalization;
using System.Text;
using Handoff.Connectors;
using Handoff.Connectors.Ldap;
using Handoff.Data.Tests;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;
using Handoff.IntegrationTests.Connectors.Ldap;
using Microsoft.EntityFrameworkCore;

namespace Handoff.IntegrationTests.Workflows;

/// <summary>
/// LDAP-special names through the whole path an HR value takes: a source record, the canonical person,
/// a joiner workflow that names the account by the raw names (<c>rdn: cn</c>, as Active Directory names
/// its users), and the real slapd. Every DN and filter value is escaped (RFC 4514 / 4515), so each person
/// gets exactly one account, at the DN built from the names as HR wrote them, with <c>cn</c>,
/// <c>givenName</c> and <c>sn</c> holding those names unchanged. (The username itself keeps to the
/// connector's portable character set; the sandbox twin refuses the same usernames.)
/// </summary>
public sealed class HostileNamesIntoSlapdTests
{
    private const string Joiner = """
        id: hostile-joiner
        trigger: { event: person.pre_hire }
        permissions:
          read: [employee_id, first_name, last_name]
          write: { directory: [account.create] }
        steps:
          - id: account
            uses: directory.create_account
            with:
              username: 'u{{ employee_id }}'
              display_name: '{{ first_name }} {{ last_name }}'
              given_name: '{{ first_name }}'
              surname: '{{ last_name }}'
        """;

    /// <summary>RFC 4514 specials at the start, middle and end; filter specials; non-ASCII; a long value.</summary>
    private static readonly string[] Fragments =
    [
        "O'Brien, Jr.", "Smith+Jones", "\"Quoted\"", "back\\slash", "<angle>", "semi;colon", "#hash", "equals=sign",
        "trail ", "star*", "(paren)", "Zoë", "Łódź", "北京", "Ñuñez-Ibáñez", "a\u0301ccent", "x" + new string('y', 60),
        "ends\\", "#", ",", "+", "a = b, c = d", "*)(uid=*", "\u00a0nbsp",
    ];

    [Fact]
    public async Task Hostile_names_from_HR_become_exactly_one_account_each_with_the_names_as_written()
    {
        var slapd = TestDirectory.OpenLdap;
        var ou = $"ou=people-hostile-wf-{Guid.NewGuid().ToString("N")[..6]},ou=Handoff Tests";
        var spine = await DataSpine.StartAsync(TestDatabases.Sqlite, workspaceDir: LdapWorkspace.CopyAcme(slapd, ou, rdn: "cn"));
        var workflows = new WorkflowStore(spine.Database, spine.Clock, spine.Audit, spine.Workspace);
        var engine = new WorkflowEngine(spine.Database, spine.Clock, spine.Audit, spine.Workspace, workflows, spine.Keys,
            ws => TargetConnectors.For(ws, spine.Database, spine.Clock), new EngineOptions { Workers = 4 });
        var proposal = await workflows.ProposeAsync(Joiner, "hostile-joiner.yaml", "alice", default);
        var reference = $"{proposal.WorkflowId}@v{proposal.Version}";
        await workflows.ApproveAsync(reference, "hector", default);
        if (proposal.Widens.Count > 0)
            await workflows.ApproveAsync(reference, "ivan", default);
        await workflows.ActivateAsync(reference, "tara", default);

        // Every fragment as a first name and as a last name, each person made unique by an index the
        // fragment surrounds, so the hostile characters sit at the start, in the middle and at the end.
        var seed = Environment.GetEnvironmentVariable("HANDOFF_FAULT_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        var firstId = 700_000 + random.Next(0, 900) * 100;
        var workers = new List<Dictionary<string, string?>>();
        for (var i = 0; i < Fragments.Length * 3; i++)
        {
            var a = Fragments[i % Fragments.Length];
            var b = Fragments[random.Next(Fragments.Length)];
            var (first, last) = (i / Fragments.Length) switch
            {
                0 => (a, $"{b}{i}"),
                1 => ($"{i}{b}", a),
                _ => ($"{a}{i}{b}", $"{b}{a}"),
            };
            workers.Add(WorkflowSpine.Worker((firstId + i).ToString(CultureInfo.InvariantCulture), first, last, "02/01/2027"));
        }
        var report = await spine.SyncRecordsAsync("hris", [.. workers]);
        Assert.True(report.Rejected == 0, $"seed {seed}: {report.Rejected} hostile names were quarantined at the source");

        for (var round = 0; round < 40; round++)
        {
            await engine.TickAsync(default);
            await using var db = spine.Db();
            if (await db.Runs.CountAsync() == workers.Count && !await db.Runs.AnyAsync(r => !RunStatus.Final.Contains(r.Status)))
                break;
        }

        // A name too long to be an RDN in slapd (two of the 61-character fragments together, when the
        // seed pairs them) is refused before the add, with a message that says so; every other one is an account.
        static bool TooLong(string? first, string? last) => Encoding.UTF8.GetByteCount(LdapText.EscapeDnValue($"{first} {last}")) > LdapConnector.MaxRdnBytes;
        await using var ctx = spine.Db();
        var runs = await ctx.Runs.AsNoTracking().Where(r => r.WorkflowId == "hostile-joiner").ToListAsync();
        var errors = await ctx.RunSteps.AsNoTracking().Where(st => st.Error != null).Select(st => new { st.RunId, Text = st.StepId + ": " + st.Error }).ToListAsync();
        var tooLong = new HashSet<Guid>();
        foreach (var worker in workers.Where(w => TooLong(w["Legal_First_Name"], w["Legal_Last_Name"])))
            tooLong.Add((await spine.PersonByKeyAsync("employee_id", worker["Employee_ID"]!)).Row.Id);
        Assert.True(runs.Count == workers.Count && runs.All(r => r.Status == (tooLong.Contains(r.PersonId) ? RunStatus.Failed : RunStatus.Completed)),
            $"seed {seed}: {runs.Count} runs for {workers.Count} people ({tooLong.Count} names too long); {string.Join(", ", runs.GroupBy(r => r.Status).Select(g => $"{g.Key} {g.Count()}"))}; "
            + string.Join("; ", errors.Take(5).Select(e => e.Text)));
        Assert.All(errors, e => Assert.Contains($"so Handoff stops at {LdapConnector.MaxRdnBytes}", e.Text, StringComparison.Ordinal));

        foreach (var worker in workers)
        {
            var id = worker["Employee_ID"]!;
            var (person, values) = await spine.PersonByKeyAsync("employee_id", id);
            var first = values["first_name"].Value;
            var last = values["last_name"].Value;
            var dns = slapd.Find($"(employeeNumber={id})");
            if (tooLong.Contains(person.Id))
            {
                Assert.Empty(dns);
                continue;
            }
            var dn = Assert.Single(dns);
            var entry = slapd.Read(dn, "uid", "cn", "givenName", "sn")!;
            Assert.Equal($"u{id}", Assert.Single(entry["uid"]));
            Assert.Equal($"{first} {last}", Assert.Single(entry["cn"]));
            Assert.Equal(first, Assert.Single(entry["givenName"]));
            Assert.Equal(last, Assert.Single(entry["sn"]));
            // The DN the server reports names the entry by that cn: read back through it, it is the same entry.
            Assert.EndsWith($",{ou},{slapd.BaseDn}", dn, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(dn, Assert.Single(slapd.Read(dn, "cn")!["dn"]), ignoreCase: true);
        }
        var link = await ctx.AccountLinks.AsNoTracking().CountAsync();
        Assert.Equal(workers.Count - tooLong.Count, link);
    }
}
