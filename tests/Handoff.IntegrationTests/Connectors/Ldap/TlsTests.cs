using System.Globalization;
using Handoff.Connectors.Ldap;
using Handoff.Core.Connectors;

namespace Handoff.IntegrationTests.Connectors.Ldap;

/// <summary>
/// StartTLS and LDAPS with .NET's LDAP client on Linux, against real slapd and Samba AD whose
/// certificates come from the run's own test CA (scripts/services/tls.sh; <c>scripts/test</c> trusts it
/// through LDAPTLS_CACERT). The refusals use a slapd of this class's own on the spare port + 2 (LDAPS
/// + 3): one that takes a password only over TLS (so a passing StartTLS bind proves the upgrade
/// happened), one with a certificate from an unknown CA, one with a certificate for another name.
/// </summary>
public sealed class TlsTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { LdapSettings.OpenLdap, "starttls" },
        { LdapSettings.OpenLdap, "ldaps" },
        { LdapSettings.ActiveDirectory, "starttls" },
        { LdapSettings.ActiveDirectory, "ldaps" },
    };

    [Theory, MemberData(nameof(Cases))]
    public async Task Bind_create_and_read_over_tls(string dialect, string mode)
    {
        var directory = TestDirectory.Of(dialect);
        using var ldap = mode == "ldaps"
            ? directory.Connector(TestDirectory.Unique("tls"), url: directory.LdapsUrl)
            : directory.Connector(TestDirectory.Unique("tls"), new() { ["start_tls"] = "true" });
        var check = await ldap.TestAsync(default);
        Assert.True(check.Ok, check.Message);

        var user = TestDirectory.Unique("tls.u");
        var anchor = TestDirectory.Unique("E");
        var created = await ldap.ApplyAsync(Ops.Create(anchor, Ops.Person(user, "Transport", "Layer")), default);
        Assert.False(created.AlreadyApplied);
        // read back through the same encrypted connections, and with a plain connection of the test's own
        var read = new List<TargetObject>();
        await foreach (var o in ldap.ReadAsync(ObjectClasses.Account, default))
            read.Add(o);
        var account = Assert.Single(read);
        Assert.Equal(anchor, account.Anchor);
        Assert.Equal(created.NativeId, account.NativeId);
        Assert.Equal(user, directory.Read(created.NativeId!, ldap.UsernameAttribute)![ldap.UsernameAttribute].Single());
    }

    [Fact]
    public async Task StartTls_carries_the_bind_to_a_server_that_refuses_passwords_in_clear_and_bad_certificates_are_refused_naming_the_server()
    {
        var root = Environment.GetEnvironmentVariable("HANDOFF_TEST_ROOT") ?? "/tmp/handoff-test";
        var port = int.Parse(Environment.GetEnvironmentVariable("HANDOFF_TEST_LDAP_SPARE_PORT") ?? "3895", CultureInfo.InvariantCulture) + 2;
        var trustedCa = Path.GetDirectoryName(Environment.GetEnvironmentVariable("LDAPTLS_CACERT")
            ?? throw new InvalidOperationException("LDAPTLS_CACERT is not set: run the integration tests through ./scripts/test"))!;
        Dictionary<string, string> Server(string tlsDir, string? security = null)
        {
            var env = new Dictionary<string, string>
            {
                ["HANDOFF_TEST_ROOT"] = root,
                ["HANDOFF_SLAPD_DIR"] = Path.Combine(root, "slapd-tls"),
                ["HANDOFF_SLAPD_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["HANDOFF_SLAPD_LDAPS_PORT"] = (port + 1).ToString(CultureInfo.InvariantCulture),
                ["HANDOFF_SLAPD_TLS_DIR"] = tlsDir,
            };
            if (security is not null)
                env["HANDOFF_SLAPD_SECURITY"] = security;
            return env;
        }
        LdapConnector Connector(string url, bool startTls) => TestDirectory.OpenLdap.Connector("tls-own",
            new() { ["password_env"] = "HANDOFF_TEST_TLS_PASSWORD", ["timeout_seconds"] = "5", ["start_tls"] = startTls ? "true" : "false" }, url: url);
        var plain = $"ldap://127.0.0.1:{port}";
        foreach (var made in new[] { "tls-unknown-ca", "tls-other-name" }.Select(d => Path.Combine(root, d)).Where(Directory.Exists))
            Directory.Delete(made, recursive: true);
        var ldaps = $"ldaps://127.0.0.1:{port + 1}";

        // 1. trusted certificate, passwords only over TLS: plain is refused, StartTLS binds and writes
        var env = Server(trustedCa, security: "simple_bind=128");
        TestDirectory.Service("slapd", "start", env);
        try
        {
            Environment.SetEnvironmentVariable("HANDOFF_TEST_TLS_PASSWORD", File.ReadAllText(Path.Combine(root, "slapd-tls", "password")));
            using (var clear = Connector(plain, startTls: false))
            {
                var refused = await Assert.ThrowsAsync<ConnectorException>(() => clear.ApplyAsync(Ops.Create("E-clear", Ops.Person("in.clear", "In", "Clear")), default));
                Assert.True(refused.Failure == ConnectorFailure.Denied, $"{refused.Failure}: {refused.Message}");
                Assert.Contains($"{plain} refused the bind as cn=admin,dc=example,dc=test: Confidentiality is required", refused.Message, StringComparison.Ordinal);
                Assert.Contains("start_tls: true", refused.Message, StringComparison.Ordinal);
            }
            using (var upgraded = Connector(plain, startTls: true))
            {
                var created = await upgraded.ApplyAsync(Ops.Create("E-tls", Ops.Person("over.tls", "Over", "Tls")), default);
                Assert.False(created.AlreadyApplied);
                var again = await upgraded.ApplyAsync(Ops.Create("E-tls", Ops.Person("over.tls", "Over", "Tls")), default);
                Assert.True(again.AlreadyApplied);
                Assert.Equal(created.NativeId, again.NativeId);
            }

            // 2. a certificate from a CA nobody trusts: both ways in are refused, not retried, and say where and why
            var unknownCa = Path.Combine(root, "tls-unknown-ca");
            TestDirectory.Service("tls", "make", new() { ["HANDOFF_TLS_DIR"] = unknownCa });
            TestDirectory.Service("slapd", "start", Server(unknownCa));
            Environment.SetEnvironmentVariable("HANDOFF_TEST_TLS_PASSWORD", File.ReadAllText(Path.Combine(root, "slapd-tls", "password")));
            foreach (var (url, startTls) in new[] { (plain, true), (ldaps, false) })
            {
                using var ldap = Connector(url, startTls);
                var e = await Assert.ThrowsAsync<ConnectorException>(() => ldap.ApplyAsync(Ops.Create("E-ca", Ops.Person("bad.ca", "Bad", "Ca")), default));
                Assert.True(e.Failure == ConnectorFailure.Denied, $"{e.Failure}: {e.Message}");
                Assert.False(e.IsTransient);
                Assert.Contains($"TLS handshake with {url}", e.Message, StringComparison.Ordinal);
                Assert.Contains("LDAPTLS_CACERT", e.Message, StringComparison.Ordinal);
                Assert.False((await ldap.TestAsync(default)).Ok);
            }
            // the same server with a plain connection works: the refusal was the certificate, not the server
            using (var clear = Connector(plain, startTls: false))
                Assert.True((await clear.TestAsync(default)).Ok);

            // 3. a certificate from the trusted CA, but for another name
            var otherName = Path.Combine(root, "tls-other-name");
            TestDirectory.Service("tls", "make", new() { ["HANDOFF_TLS_DIR"] = otherName, ["HANDOFF_TLS_CA"] = trustedCa, ["HANDOFF_TLS_SAN"] = "DNS:elsewhere.test" });
            TestDirectory.Service("slapd", "start", Server(otherName));
            Environment.SetEnvironmentVariable("HANDOFF_TEST_TLS_PASSWORD", File.ReadAllText(Path.Combine(root, "slapd-tls", "password")));
            foreach (var (url, startTls) in new[] { (plain, true), (ldaps, false) })
            {
                using var ldap = Connector(url, startTls);
                var e = await Assert.ThrowsAsync<ConnectorException>(() => ldap.ApplyAsync(Ops.Create("E-name", Ops.Person("bad.name", "Bad", "Name")), default));
                Assert.True(e.Failure == ConnectorFailure.Denied, $"{e.Failure}: {e.Message}");
                Assert.Contains($"TLS handshake with {url}", e.Message, StringComparison.Ordinal);
                Assert.Contains("not issued for the name \"127.0.0.1\"", e.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            TestDirectory.Service("slapd", "stop", env);
        }
    }
}
