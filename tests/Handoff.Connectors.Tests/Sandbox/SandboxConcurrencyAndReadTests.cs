using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data.Sandbox;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;
using static Handoff.Connectors.Tests.Sandbox.SandboxTarget;
using Kind = Handoff.Core.Connectors.TargetOperationKind;

namespace Handoff.Connectors.Tests.Sandbox;

public sealed class SandboxConcurrencyAndReadTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Two_workers_creating_the_same_username_one_wins_the_other_gets_a_conflict(string provider)
    {
        var ad = await StartAsync(provider);
        var worker2 = ad.Another(ad.Connector.SystemId, SandboxDialect.ActiveDirectory);
        for (var round = 0; round < 5; round++)
        {
            var username = $"john.smith{round}";
            using var start = new SemaphoreSlim(0, 2);
            async Task<object> Create(SandboxConnector connector, string anchor)
            {
                await start.WaitAsync();
                try
                {
                    return await connector.ApplyAsync(Op(Kind.Create, anchor: anchor, attributes:
                        [(AccountAttributes.Username, username), (AccountAttributes.DisplayName, $"John Smith {anchor}")]), default);
                }
                catch (ConnectorException e)
                {
                    return e;
                }
            }
            var a = Task.Run(() => Create(ad.Connector, $"a{round}"));
            var b = Task.Run(() => Create(worker2, $"b{round}"));
            start.Release(2);
            var outcomes = await Task.WhenAll(a, b);

            var won = Assert.Single(outcomes.OfType<TargetOperationResult>());
            Assert.False(won.AlreadyApplied);
            var lost = Assert.Single(outcomes.OfType<ConnectorException>());
            Assert.Equal(ConnectorFailure.Conflict, lost.Failure);
            await using var db = ad.Db();
            Assert.Equal(1, await db.SandboxObjects.CountAsync(o => o.UniqueValue == username));
        }
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Concurrent_tickets_get_distinct_consecutive_numbers(string provider)
    {
        var desk = await StartAsync(provider, SandboxDialect.Ticketing);

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => desk.Connector.ApplyAsync(
            Op(Kind.CreateTicket, key: $"run-{i}", objectClass: ObjectClasses.Ticket, attributes: [(MessageAttributes.Title, $"Laptop {i}")]), default))));

        Assert.Equal(Enumerable.Range(1, 8).Select(i => TicketingDialect.Number(i)), results.Select(r => r.NativeId!).Order());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Validator_lists_every_broken_constraint_without_writing(string provider)
    {
        var ad = await StartAsync(provider);
        await ad.CreateAsync("john.smith", "1");

        var problems = await ad.Connector.ValidateAsync(Op(Kind.Create, anchor: "2", attributes:
            [(AccountAttributes.Username, "a.very.long.name.indeed"), ("department", new string('x', 70))]), default);
        Assert.Contains(problems, p => p.Contains("23 characters"));
        Assert.Contains(problems, p => p.Contains("department is 70 characters"));
        Assert.Contains(problems, p => p.Contains("display_name"));

        Assert.Contains("is already taken", Assert.Single(await ad.Connector.ValidateAsync(Op(Kind.Create, anchor: "2", attributes:
            [(AccountAttributes.Username, "John.Smith"), (AccountAttributes.DisplayName, "Other John")]), default)));
        Assert.Equal(2, (await ad.Connector.ValidateAsync(Op(Kind.Create, anchor: "3", attributes:
            [(AccountAttributes.Username, "x|y*z"), (AccountAttributes.DisplayName, "Pipe Star"), (AccountAttributes.Password, "weak")]), default)).Count);
        Assert.Contains("no account", Assert.Single(await ad.Connector.ValidateAsync(Op(Kind.Disable, "CN=Nobody,OU=People,DC=acme,DC=example"), default)));
        Assert.Empty(await ad.Connector.ValidateAsync(Op(Kind.Create, anchor: "4", attributes: [(AccountAttributes.Username, "fine"), (AccountAttributes.DisplayName, "Fine Person"), (AccountAttributes.Groups, "new-group")]), default));
        // a retried create is valid: it is already applied
        Assert.Empty(await ad.Connector.ValidateAsync(Op(Kind.Create, anchor: "1", attributes: [(AccountAttributes.Username, "john.smith")]), default));

        await using var db = ad.Db();
        Assert.Equal(1, await db.SandboxObjects.CountAsync());
        Assert.Equal(0, await db.SandboxGroups.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Read_streams_2500_accounts_page_by_page_in_order(string provider)
    {
        var ldap = await StartAsync(provider, SandboxDialect.OpenLdap);
        var now = ldap.Clock.GetUtcNow();
        await using (var db = ldap.Db())
        {
            db.SandboxObjects.AddRange(Enumerable.Range(1, 2500).Select(i => new SandboxObjectRow
            {
                SystemId = ldap.Connector.SystemId,
                ObjectClass = ObjectClasses.Account,
                NativeId = $"uid=user{i},ou=People,dc=acme,dc=example",
                UniqueValue = $"user{i}",
                Anchor = $"{100000 + i}",
                AttributesJson = $$"""{"uid":"user{{i}}","cn":"User {{i}}","sn":"{{i}}"}""",
                CreatedAt = now,
                UpdatedAt = now,
            }));
            // another system's objects are not read
            db.SandboxObjects.Add(new SandboxObjectRow { SystemId = "elsewhere", ObjectClass = ObjectClasses.Account, NativeId = "x", CreatedAt = now, UpdatedAt = now });
            await db.SaveChangesAsync();
        }

        var seen = new List<TargetObject>();
        await foreach (var o in ldap.Connector.ReadAsync(ObjectClasses.Account, default))
            seen.Add(o);

        Assert.Equal(2500, seen.Count);
        Assert.Equal(Enumerable.Range(1, 2500).Select(i => $"{100000 + i}"), seen.Select(o => o.Anchor));
        Assert.Equal("user2500", seen[^1].Attributes[AccountAttributes.Username]);
        Assert.Equal("User 2500", seen[^1].Attributes["cn"]);
        await Assert.ThrowsAsync<ConnectorException>(async () =>
        {
            await foreach (var _ in ldap.Connector.ReadAsync(ObjectClasses.Ticket, default)) { }
        });
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Schema_of_AD_says_the_username_is_unique_and_at_most_20_characters(string provider)
    {
        var ad = await StartAsync(provider);

        var schema = await ad.Connector.DiscoverSchemaAsync(default);

        var account = schema.ObjectClasses.Single(c => c.Name == ObjectClasses.Account);
        var sam = account.Attributes.Single(a => a.Name == "sAMAccountName");
        Assert.True(sam.Required && sam.Unique);
        Assert.Equal(20, sam.MaxLength);
        Assert.Contains(account.Attributes, a => a.Name == "accountExpires" && a.Type == "date");
        Assert.Contains(schema.ObjectClasses, c => c.Name == "group");
    }

    [Fact]
    public void The_Acme_workspace_gets_a_sandbox_connector_for_each_sandbox_system()
    {
        var loaded = WorkspaceLoader.Load(Repository.AcmeWorkspace);
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors));

        var source = new SandboxConnectors(loaded.Workspace!, Data.DatabaseOptions.ForSqliteFile(Path.Combine(Path.GetTempPath(), "unused.db")));

        Assert.Equal(["directory", "mail", "servicedesk", "slack"], source.All.Select(c => c.SystemId).Order());
        Assert.Equal(SandboxDialect.ActiveDirectory, ((SandboxConnector)source.Find("directory")!).Dialect.Kind);
        Assert.Equal(SandboxDialect.ScimApp, ((SandboxConnector)source.Find("slack")!).Dialect.Kind);
        Assert.Equal(SandboxDialect.Ticketing, ((SandboxConnector)source.Find("servicedesk")!).Dialect.Kind);
        Assert.Equal(SandboxDialect.Mail, ((SandboxConnector)source.Find("mail")!).Dialect.Kind);
        Assert.Null(source.Find("hris"));
        Assert.Null(source.Find("nowhere"));
    }

    [Fact]
    public void A_sandbox_system_of_unknown_kind_is_refused_naming_the_kinds()
    {
        var system = new SystemDefinition("x", "X", SystemKind.Directory, "sandbox", SystemOwner.It, new Dictionary<string, string> { ["kind"] = "novell" });

        var e = Assert.Throws<InvalidOperationException>(() => new SandboxConnectors(new WorkspaceDefinition([system], new Core.Dictionary.DictionaryDefinition([], [], null!), Charter.Empty), () => null!));

        Assert.Contains("novell", e.Message);
        Assert.Contains("openldap", e.Message);
    }
}
