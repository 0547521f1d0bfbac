using System.Globalization;
using Handoff.Connectors.Mail;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using MimeKit;

namespace Handoff.Connectors.Tests.Mail;

/// <summary>The SMTP connector against a real SMTP server process on loopback (Handoff.TestSmtpServer):
/// what arrives is read back from the .eml files the server wrote.</summary>
public sealed class SmtpConnectorTests
{
    private static readonly Lazy<TestCertificate> Certificate = new(TestCertificate.Create);

    private static SmtpConnector Connector(int port, Dictionary<string, string>? extra = null, string? workspace = null)
    {
        var config = new Dictionary<string, string>
        {
            ["host"] = "127.0.0.1",
            ["port"] = port.ToString(CultureInfo.InvariantCulture),
            ["from"] = "Acme IT <it@acme.example>",
            ["timeout_seconds"] = "20",
        };
        foreach (var (key, value) in extra ?? [])
            config[key] = value;
        return new SmtpConnector(new SystemDefinition("mail", "Mail relay", SystemKind.Mail, "smtp", SystemOwner.It, config),
            _ => Task.FromResult(workspace));
    }

    private static Dictionary<string, string> TrustTestCa => new() { ["ca_file"] = Certificate.Value.PemFile };

    private static TargetOperation Mail(string to, string? subject = "Welcome", string? body = "Hello", string? template = null,
        string key = "run1/welcome", IReadOnlyDictionary<string, string>? values = null)
    {
        var attributes = new Dictionary<string, object?>
        {
            [MessageAttributes.To] = to,
            [MessageAttributes.Subject] = subject,
            [MessageAttributes.Body] = body,
            [MessageAttributes.Template] = template,
        };
        if (values is not null)
            attributes[MessageAttributes.Values] = values;
        return new TargetOperation(TargetOperationKind.SendMail, ObjectClasses.Message, null, null, attributes, key);
    }

    [Fact]
    public async Task A_mail_goes_over_starttls_with_a_message_id_derived_from_the_idempotency_key()
    {
        using var server = await SmtpTestServer.StartAsync(Certificate.Value);
        var connector = Connector(server.Port, TrustTestCa);

        var check = await connector.TestAsync(default);
        Assert.True(check.Ok, check.Message);
        Assert.Contains("STARTTLS", check.Message);

        var result = await connector.ApplyAsync(Mail("Zoë O'Brien <zoe.obrien@acme.example>", "Welcome, Zoë", "Your first day is Monday.\nSee you!", key: "run42/welcome"), default);

        var message = Assert.Single(server.Messages());
        Assert.Equal("it@acme.example", Assert.Single(message.From.Mailboxes).Address);
        var to = Assert.Single(message.To.Mailboxes);
        Assert.Equal(("zoe.obrien@acme.example", "Zoë O'Brien"), (to.Address, to.Name));
        Assert.Equal("Welcome, Zoë", message.Subject);
        Assert.Equal("Your first day is Monday.\nSee you!", message.TextBody!.ReplaceLineEndings("\n").TrimEnd('\n'));
        Assert.Equal(SmtpConnector.MessageIdFor("run42/welcome", MailboxAddress.Parse("it@acme.example")), message.MessageId);
        Assert.EndsWith("@acme.example", message.MessageId);
        Assert.Equal("run42/welcome", message.Headers[SmtpConnector.IdempotencyHeader]);
        Assert.Equal(message.MessageId, result.NativeId);
        Assert.Equal(message.MessageId, result.Outputs["message_id"]);
        // Another run's mail gets another id; the same key always the same.
        Assert.NotEqual(SmtpConnector.MessageIdFor("run43/welcome", MailboxAddress.Parse("it@acme.example")), message.MessageId);
    }

    [Theory]
    [InlineData("tls", "implicit")]
    [InlineData("security", "ssl_on_connect")]
    public async Task A_mail_goes_over_implicit_tls_to_a_server_that_speaks_tls_from_the_first_byte(string key, string value)
    {
        // the server has no plain-text greeting at all: a mail that arrives went through TLS
        using var server = await SmtpTestServer.StartAsync(Certificate.Value, implicitTls: true);
        var connector = Connector(server.Port, new(TrustTestCa) { [key] = value });

        var check = await connector.TestAsync(default);
        Assert.True(check.Ok, check.Message);
        Assert.Contains("implicit TLS", check.Message);
        Assert.Contains($"smtps://127.0.0.1:{server.Port}", check.Message);

        var result = await connector.ApplyAsync(Mail("zoe@acme.example", "Over SMTPS", "Encrypted from the first byte", key: "run7/smtps"), default);
        var message = Assert.Single(server.Messages());
        Assert.Equal("Over SMTPS", message.Subject);
        Assert.Equal(message.MessageId, result.NativeId);

        // the same server's certificate without the CA to trust it is refused, and nothing more arrives
        var untrusted = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Port, new() { [key] = value }).ApplyAsync(Mail("zoe@acme.example"), default));
        Assert.Equal(ConnectorFailure.Denied, untrusted.Failure);
        Assert.Contains($"smtps://127.0.0.1:{server.Port}", untrusted.Message);
        Assert.Contains("not trusted", untrusted.Message);
        Assert.Single(server.Messages());
    }

    [Fact]
    public async Task Implicit_tls_against_a_starttls_port_is_refused_naming_the_server_and_the_setting()
    {
        using var server = await SmtpTestServer.StartAsync(Certificate.Value);

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Port, new(TrustTestCa) { ["tls"] = "implicit" }).ApplyAsync(Mail("zoe@acme.example"), default));
        Assert.Equal(ConnectorFailure.Denied, e.Failure);
        Assert.False(e.IsTransient);
        Assert.Contains($"smtps://127.0.0.1:{server.Port}", e.Message);
        Assert.Contains("did not start TLS on connect", e.Message);
        Assert.Contains("tls: starttls", e.Message);
        Assert.Empty(server.Messages());
    }

    [Fact]
    public void Implicit_tls_defaults_to_port_465_and_contradictions_are_named()
    {
        SmtpSettings Read(Dictionary<string, string> config) => SmtpSettings.Read(new SystemDefinition("mail", "Mail relay", SystemKind.Mail, "smtp", SystemOwner.It,
            new Dictionary<string, string>(config) { ["host"] = "mail.acme.example", ["from"] = "it@acme.example" }));
        Assert.Equal(465, Read(new() { ["tls"] = "implicit" }).Port);
        Assert.Equal(465, Read(new() { ["security"] = "ssl_on_connect" }).Port);
        Assert.True(Read(new() { ["tls"] = "implicit" }).ImplicitTls);
        Assert.Equal(587, Read([]).Port);
        Assert.False(Read([]).ImplicitTls);
        Assert.Equal(2465, Read(new() { ["tls"] = "implicit", ["port"] = "2465" }).Port);

        var both = Assert.Throws<ConnectorException>(() => Read(new() { ["tls"] = "implicit", ["starttls"] = "required" }));
        Assert.Contains("config.starttls \"required\" does not apply to implicit TLS", both.Message);
        var clash = Assert.Throws<ConnectorException>(() => Read(new() { ["tls"] = "implicit", ["security"] = "starttls" }));
        Assert.Contains("contradict each other", clash.Message);
        var typo = Assert.Throws<ConnectorException>(() => Read(new() { ["tls"] = "ssl" }));
        Assert.StartsWith("mail: ", typo.Message);
        Assert.Contains("config.tls \"ssl\"", typo.Message);
    }

    [Fact]
    public async Task A_template_from_the_workspace_is_rendered_with_the_steps_inputs_and_values()
    {
        var workspace = Path.Combine(Path.GetTempPath(), "handoff-mail-ws-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(workspace, "mail", "onboarding"));
        await File.WriteAllTextAsync(Path.Combine(workspace, "mail", "onboarding", "welcome.liquid"), """
            Subject: Welcome to Acme, {{ first_name }}

            Hello {{ first_name }},
            your account {{ username | upcase }} is ready on {{ start_date }}.
            Questions? Write to {{ to }}'s manager.
            """);
        using var server = await SmtpTestServer.StartAsync(Certificate.Value);
        var connector = Connector(server.Port, new() { ["ca_file"] = Certificate.Value.PemFile, ["templates"] = "mail" }, workspace);

        await connector.ApplyAsync(Mail("zoe@acme.example", subject: null, body: null, template: "onboarding/welcome",
            values: new Dictionary<string, string> { ["first_name"] = "Zoë", ["username"] = "zobrien", ["start_date"] = "2026-12-02" }), default);
        // The step's own subject wins over the template's.
        await connector.ApplyAsync(Mail("zoe@acme.example", subject: "Your account", body: null, template: "onboarding/welcome", key: "run1/again",
            values: new Dictionary<string, string> { ["first_name"] = "Zoë" }), default);

        var messages = server.Messages();
        Assert.Equal(2, messages.Count);
        Assert.Equal("Welcome to Acme, Zoë", messages[0].Subject);
        Assert.Equal("Hello Zoë,\nyour account ZOBRIEN is ready on 2026-12-02.\nQuestions? Write to zoe@acme.example's manager.",
            messages[0].TextBody!.ReplaceLineEndings("\n").TrimEnd('\n'));
        Assert.Equal("Your account", messages[1].Subject);
    }

    [Fact]
    public async Task Template_problems_name_the_template_and_the_file_and_nothing_is_sent()
    {
        var workspace = Path.Combine(Path.GetTempPath(), "handoff-mail-ws-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(workspace, "mail"));
        await File.WriteAllTextAsync(Path.Combine(workspace, "mail", "broken.liquid"), "Subject: Hi\n\nHello {{ first_name | no_such_filter }}\n");
        using var server = await SmtpTestServer.StartAsync(Certificate.Value);
        var connector = Connector(server.Port, new() { ["ca_file"] = Certificate.Value.PemFile, ["templates"] = "mail" }, workspace);

        var missing = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(Mail("zoe@acme.example", null, null, "farewell"), default));
        Assert.Equal(ConnectorFailure.SchemaViolation, missing.Failure);
        Assert.Contains("template \"farewell\" not found", missing.Message);
        Assert.Contains(Path.Combine(workspace, "mail", "farewell.liquid"), missing.Message);

        var broken = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(Mail("zoe@acme.example", null, null, "broken"), default));
        Assert.Contains("broken.liquid:3", broken.Message);
        Assert.Contains("no_such_filter", broken.Message);

        var escape = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(Mail("zoe@acme.example", null, null, "../secrets"), default));
        Assert.Contains("not a name inside the templates folder", escape.Message);

        var noSubject = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(Mail("zoe@acme.example", subject: " ", body: "x"), default));
        Assert.Contains("needs a subject", noSubject.Message);
        Assert.Empty(server.Messages());
    }

    [Fact]
    public async Task Required_starttls_against_a_server_without_tls_is_refused_and_nothing_goes_out_in_clear()
    {
        using var server = await SmtpTestServer.StartAsync(certificate: null);

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Port).ApplyAsync(Mail("zoe@acme.example"), default));
        Assert.Equal(ConnectorFailure.Denied, e.Failure);
        Assert.False(e.IsTransient);
        Assert.Contains("does not offer STARTTLS", e.Message);
        Assert.Contains("config.starttls", e.Message);
        Assert.Empty(server.Messages());
        var check = await Connector(server.Port).TestAsync(default);
        Assert.False(check.Ok);
        Assert.Contains("STARTTLS", check.Message);

        // Only when the system says so does the mail go out without TLS.
        await Connector(server.Port, new() { ["starttls"] = "when_available" }).ApplyAsync(Mail("zoe@acme.example"), default);
        Assert.Single(server.Messages());
    }

    [Fact]
    public async Task A_server_certificate_the_connector_does_not_trust_is_refused()
    {
        using var server = await SmtpTestServer.StartAsync(Certificate.Value);

        // Same server, no ca_file: the self-signed certificate is not in the machine's store.
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Port).ApplyAsync(Mail("zoe@acme.example"), default));
        Assert.Equal(ConnectorFailure.Denied, e.Failure);
        Assert.Contains("not trusted", e.Message);
        Assert.Empty(server.Messages());

        // Another CA's certificate does not help either.
        var other = TestCertificate.Create();
        var wrong = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Port, new() { ["ca_file"] = other.PemFile }).ApplyAsync(Mail("zoe@acme.example"), default));
        Assert.Equal(ConnectorFailure.Denied, wrong.Failure);
        Assert.Empty(server.Messages());
    }

    [Fact]
    public async Task A_451_is_transient_and_the_retry_delivers_the_same_message_id()
    {
        using var server = await SmtpTestServer.StartAsync(Certificate.Value, failFirst: 1);
        var connector = Connector(server.Port, TrustTestCa);
        var mail = Mail("zoe@acme.example", key: "run7/notify");

        var e = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(mail, default));
        Assert.Equal(ConnectorFailure.Unavailable, e.Failure);
        Assert.True(e.IsTransient);
        Assert.Contains("451", e.Message);
        Assert.Empty(server.Messages());

        var result = await connector.ApplyAsync(mail, default);
        var message = Assert.Single(server.Messages());
        Assert.Equal(SmtpConnector.MessageIdFor("run7/notify", MailboxAddress.Parse("it@acme.example")), message.MessageId);
        Assert.Equal(message.MessageId, result.NativeId);
    }

    [Fact]
    public async Task A_relay_that_died_is_unavailable_naming_the_server()
    {
        var server = await SmtpTestServer.StartAsync(Certificate.Value);
        var connector = Connector(server.Port, TrustTestCa);
        await connector.ApplyAsync(Mail("zoe@acme.example"), default);
        server.Kill();
        server.Dispose();

        var e = await Assert.ThrowsAsync<ConnectorException>(() => connector.ApplyAsync(Mail("zoe@acme.example", key: "run1/second"), default));
        Assert.Equal(ConnectorFailure.Unavailable, e.Failure);
        Assert.True(e.IsTransient);
        Assert.Contains($"smtp://127.0.0.1:{server.Port}", e.Message);
        Assert.False((await connector.TestAsync(default)).Ok);
    }

    [Fact]
    public async Task A_recipient_the_server_refuses_is_a_permanent_error_naming_the_address()
    {
        using var server = await SmtpTestServer.StartAsync(Certificate.Value, rejectDomain: "gone.example");

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(server.Port, TrustTestCa).ApplyAsync(Mail("old.colleague@gone.example"), default));
        Assert.Equal(ConnectorFailure.SchemaViolation, e.Failure);
        Assert.False(e.IsTransient);
        Assert.Contains("old.colleague@gone.example", e.Message);
        Assert.Contains("55", e.Message);
        Assert.Empty(server.Messages());
    }

    [Theory]
    [InlineData("zoe")]
    [InlineData("zoe@")]
    [InlineData("zoe@acme.example, not an address")]
    public async Task A_bad_address_is_refused_before_connecting_and_named(string to)
    {
        // Nothing listens on the port: the address is checked first, so the failure is the address.
        var e = await Assert.ThrowsAsync<ConnectorException>(() => Connector(SmtpTestServer.UnusedPort()).ApplyAsync(Mail(to), default));
        Assert.Equal(ConnectorFailure.SchemaViolation, e.Failure);
        Assert.Contains("is not a mail address", e.Message);
        Assert.Contains("to: \"", e.Message);
    }

    [Theory]
    [InlineData("starttls", "sometimes", "config.starttls \"sometimes\"")]
    [InlineData("port", "smtp", "config.port \"smtp\"")]
    [InlineData("from", "it department", "config.from \"it department\"")]
    [InlineData("username", "relay", "config.password_env")]
    public void Bad_configuration_names_the_system_and_the_key(string key, string value, string expected)
    {
        var e = Assert.Throws<ConnectorException>(() => Connector(5220, new() { [key] = value }));
        Assert.StartsWith("mail: ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
