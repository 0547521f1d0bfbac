using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Data.Tests;
using static Handoff.Connectors.Tests.Sandbox.SandboxTarget;
using Kind = Handoff.Core.Connectors.TargetOperationKind;

namespace Handoff.Connectors.Tests.Sandbox;

/// <summary>OpenLDAP, the SCIM app, ticketing and mail.</summary>
public sealed class OtherDialectsSandboxTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task OpenLDAP_entry_is_named_by_uid_and_needs_cn_and_sn(string provider)
    {
        var ldap = await StartAsync(provider, SandboxDialect.OpenLdap);

        var e = await FailsAsync(ConnectorFailure.SchemaViolation, () => ldap.Connector.ApplyAsync(
            Op(Kind.Create, anchor: "1", attributes: [(AccountAttributes.Username, "jdoe"), (AccountAttributes.GivenName, "Jane")]), default));
        Assert.Contains("sn", e.Message);
        await FailsAsync(ConnectorFailure.SchemaViolation, () => ldap.CreateAsync("j doe", "1"));

        var created = await ldap.CreateAsync("jdoe", "1");
        Assert.Equal("uid=jdoe,ou=People,dc=acme,dc=example", created.NativeId);
        var read = await ldap.ReadOneAsync(created.NativeId!);
        Assert.Equal("Ada Lovelace 1", read.Attributes["cn"]);
        Assert.Equal("1", read.Attributes["employeeNumber"]);
        await FailsAsync(ConnectorFailure.Conflict, () => ldap.CreateAsync("JDoe", "2"));

        await ldap.ApplyAsync(Kind.Disable, created.NativeId!);
        Assert.Equal(OpenLdapDialect.PermanentLock, (await ldap.ReadOneAsync(created.NativeId!)).Attributes["pwdAccountLockedTime"]);
        await ldap.ApplyAsync(Kind.Enable, created.NativeId!);
        Assert.False((await ldap.ReadOneAsync(created.NativeId!)).Attributes.ContainsKey("pwdAccountLockedTime"));

        // a new uid is a modrdn: the DN follows it
        var renamed = await ldap.ApplyAsync(Kind.Update, created.NativeId!, (AccountAttributes.Username, "jane.doe"));
        Assert.Equal("uid=jane.doe,ou=People,dc=acme,dc=example", renamed.NativeId);
        Assert.Null(ldap.Connector.MaxLength(ObjectClasses.Account, AccountAttributes.Username));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task SCIM_app_takes_email_usernames_has_a_GUID_id_and_an_active_flag(string provider)
    {
        var app = await StartAsync(provider, SandboxDialect.ScimApp);

        var created = await app.CreateAsync("ada.lovelace@acme.example", "1", (AccountAttributes.Email, "ada.lovelace@acme.example"));

        Assert.True(Guid.TryParse(created.NativeId, out _));
        var read = await app.ReadOneAsync(created.NativeId!);
        Assert.Equal(true, read.Attributes["active"]);
        Assert.Equal("ada.lovelace@acme.example", read.Attributes["emails.work"]);
        Assert.Equal("1", read.Attributes["externalId"]);
        await app.ApplyAsync(Kind.Disable, created.NativeId!);
        Assert.Equal(false, (await app.ReadOneAsync(created.NativeId!)).Attributes["active"]);
        await FailsAsync(ConnectorFailure.Conflict, () => app.CreateAsync("Ada.Lovelace@acme.example", "2"));
        await FailsAsync(ConnectorFailure.SchemaViolation, () => app.ApplyAsync(Kind.Move, created.NativeId!, (AccountAttributes.Container, "OU=Sales")));
        Assert.Equal(created.NativeId, (await app.ApplyAsync(Kind.Update, created.NativeId!, ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter", "CC-100"))).NativeId);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Tickets_are_numbered_per_system_and_a_retried_step_gets_its_earlier_ticket(string provider)
    {
        var desk = await StartAsync(provider, SandboxDialect.Ticketing);
        var other = desk.Another("other-desk", SandboxDialect.Ticketing);
        TargetOperation Ticket(string key, string? title) => Op(Kind.CreateTicket, anchor: "100101", key: key, objectClass: ObjectClasses.Ticket,
            attributes: [(MessageAttributes.Title, title), (MessageAttributes.Body, "Dell XPS, US keyboard"), (MessageAttributes.Due, new DateOnly(2026, 12, 1))]);

        var first = await desk.Connector.ApplyAsync(Ticket("run-1/laptop", "Laptop for Ada"), default);
        var second = await desk.Connector.ApplyAsync(Ticket("run-2/laptop", "Laptop for Bob"), default);
        var again = await desk.Connector.ApplyAsync(Ticket("run-1/laptop", "Laptop for Ada"), default);
        var elsewhere = await other.ApplyAsync(Ticket("run-1/laptop", "Laptop for Ada"), default);

        Assert.Equal("TCK-000001", first.NativeId);
        Assert.Equal("TCK-000002", second.NativeId);
        Assert.Equal("TCK-000002", second.Outputs["ticket"]);
        Assert.True(again.AlreadyApplied);
        Assert.Equal("TCK-000001", again.NativeId);
        Assert.Equal("TCK-000001", elsewhere.NativeId);
        var ticket = await desk.ReadOneAsync("TCK-000001");
        Assert.Equal("2026-12-01", ticket.Attributes[MessageAttributes.Due]);
        Assert.Equal("IT", ticket.Attributes[MessageAttributes.Queue]);
        Assert.Equal("open", ticket.Attributes["status"]);
        Assert.Equal("100101", ticket.Anchor);
        await FailsAsync(ConnectorFailure.SchemaViolation, () => desk.Connector.ApplyAsync(Ticket("run-3/laptop", " "), default));
        Assert.Equal(2, (await desk.ReadAllAsync()).Count);

        await desk.Connector.ApplyAsync(Op(Kind.Update, "TCK-000001", objectClass: ObjectClasses.Ticket, attributes: [("status", "closed")]), default);
        Assert.Equal("closed", (await desk.ReadOneAsync("TCK-000001")).Attributes["status"]);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Mail_is_stored_with_a_message_id_and_sent_once_per_key(string provider)
    {
        var mail = await StartAsync(provider, SandboxDialect.Mail);
        TargetOperation Mail(string key, object to) => Op(Kind.SendMail, anchor: "100101", key: key, objectClass: ObjectClasses.Message,
            attributes: [(MessageAttributes.To, to), (MessageAttributes.Template, "welcome"), (MessageAttributes.Subject, "Welcome, Ada"), (MessageAttributes.Body, "Your first day…")]);

        var sent = await mail.Connector.ApplyAsync(Mail("run-1/welcome", "ada@acme.example"), default);
        var again = await mail.Connector.ApplyAsync(Mail("run-1/welcome", "ada@acme.example"), default);

        Assert.Matches("^<[0-9a-f]{32}@acme.example>$", sent.NativeId);
        Assert.Equal(sent.NativeId, sent.Outputs["message_id"]);
        Assert.True(again.AlreadyApplied);
        Assert.Equal(sent.NativeId, again.NativeId);
        var stored = Assert.Single(await mail.ReadAllAsync());
        Assert.Equal(["ada@acme.example"], (List<string>)stored.Attributes[MessageAttributes.To]!);
        Assert.Equal("welcome", stored.Attributes[MessageAttributes.Template]);

        var e = await FailsAsync(ConnectorFailure.SchemaViolation, () => mail.Connector.ApplyAsync(Mail("run-2/welcome", new[] { "ada@acme.example", "not an address", "bob@localhost" }), default));
        Assert.Contains("\"not an address\"", e.Message);
        Assert.Contains("\"bob@localhost\"", e.Message);
        await FailsAsync(ConnectorFailure.SchemaViolation, () => mail.Connector.ApplyAsync(
            Op(Kind.SendMail, objectClass: ObjectClasses.Message, attributes: [(MessageAttributes.To, "ada@acme.example")]), default));
        Assert.Single(await mail.ReadAllAsync());
    }
}
