using System.Diagnostics;
using Handoff.Core.Connectors;

namespace Handoff.IntegrationTests.Connectors.Ldap;

/// <summary>Transport: an unreachable server and its return, paged reads, LDAPS and StartTLS.</summary>
public sealed class ServerTests
{
    [Fact]
    public async Task A_stopped_server_gives_a_transient_error_and_the_retry_succeeds_when_it_returns()
    {
        // a slapd of this test's own (the shared one keeps serving the other tests)
        var root = Environment.GetEnvironmentVariable("HANDOFF_TEST_ROOT") ?? "/tmp/handoff-test";
        var port = int.Parse(Environment.GetEnvironmentVariable("HANDOFF_TEST_LDAP_SPARE_PORT") ?? "3895", System.Globalization.CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string>
        {
            ["HANDOFF_TEST_ROOT"] = root,
            ["HANDOFF_SLAPD_DIR"] = Path.Combine(root, "slapd-outage"),
            ["HANDOFF_SLAPD_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["HANDOFF_SLAPD_LDAPS_PORT"] = (port + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        TestDirectory.Service("slapd", "start", env);
        try
        {
            Environment.SetEnvironmentVariable("HANDOFF_TEST_OUTAGE_PASSWORD", File.ReadAllText(Path.Combine(root, "slapd-outage", "password")));
            using var ldap = TestDirectory.OpenLdap.Connector("outage", new() { ["password_env"] = "HANDOFF_TEST_OUTAGE_PASSWORD", ["timeout_seconds"] = "5" },
                url: $"ldap://127.0.0.1:{port}");
            var before = await ldap.ApplyAsync(Ops.Create("E-out-1", Ops.Person("out.one", "First", "Before")), default);

            TestDirectory.Service("slapd", "stop", env);
            var create = Ops.Create("E-out-2", Ops.Person("out.two", "Second", "During"), key: "run-9/account");
            var watch = Stopwatch.StartNew();
            var down = await Assert.ThrowsAsync<ConnectorException>(() => ldap.ApplyAsync(create, default));
            Assert.True(down.IsTransient);
            Assert.Equal(ConnectorFailure.Unavailable, down.Failure);
            Assert.Contains($"cannot reach ldap://127.0.0.1:{port}", down.Message, StringComparison.Ordinal);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"the failure took {watch.Elapsed}");
            Assert.False((await ldap.TestAsync(default)).Ok);

            TestDirectory.Service("slapd", "resume", env);
            var retried = await ldap.ApplyAsync(create, default);
            Assert.False(retried.AlreadyApplied);
            var accounts = new List<TargetObject>();
            await foreach (var o in ldap.ReadAsync(ObjectClasses.Account, default))
                accounts.Add(o);
            Assert.Equal(["E-out-1", "E-out-2"], accounts.Select(a => a.Anchor).Order());
            Assert.Contains(accounts, a => a.NativeId == before.NativeId);
        }
        finally
        {
            TestDirectory.Service("slapd", "stop", env);
        }
    }


    [Fact]
    public async Task A_closed_port_is_a_transient_unavailable_error()
    {
        using var ldap = TestDirectory.OpenLdap.Connector("closed", new() { ["timeout_seconds"] = "5" }, url: "ldap://127.0.0.1:1");
        var e = await Assert.ThrowsAsync<ConnectorException>(() => ldap.ApplyAsync(Ops.Create("E-1", Ops.Person("x.y", "X", "Y")), default));
        Assert.True(e.IsTransient);
        Assert.Contains("cannot reach ldap://127.0.0.1:1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_pages_through_2500_entries()
    {
        using var ldap = TestDirectory.OpenLdap.Connector(TestDirectory.Unique("paged"), new() { ["page_size"] = "200", ["max_concurrency"] = "4" });
        var prefix = TestDirectory.Unique("p");
        await Parallel.ForEachAsync(Enumerable.Range(0, 2500), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
            await ldap.ApplyAsync(Ops.Create($"{prefix}-{i}", Ops.Person($"{prefix}.{i}", "Page", $"Entry {i}")), ct));
        var anchors = new HashSet<string>();
        await foreach (var o in ldap.ReadAsync(ObjectClasses.Account, default))
            anchors.Add(o.Anchor!);
        Assert.Equal(2500, anchors.Count);
        Assert.Contains($"{prefix}-2499", anchors);
    }

    [Fact]
    public async Task Ldaps_verifies_the_servers_certificate_and_carries_the_ad_password()
    {
        // scripts/test trusts the run's own test CA through LDAPTLS_CACERT: the certificate is checked
        using var ldaps = TestDirectory.OpenLdap.Connector(TestDirectory.Unique("ldaps"), url: TestDirectory.OpenLdap.LdapsUrl);
        Assert.True((await ldaps.TestAsync(default)).Ok);

        // AD: the password over LDAPS (636), as production does it
        var ad = TestDirectory.ActiveDirectory;
        using var secure = ad.Connector(TestDirectory.Unique("ads"), url: ad.LdapsUrl);
        var user = TestDirectory.Unique("sec.u");
        var password = TestDirectory.NewPassword();
        var attributes = Ops.Person(user, "Secure", "User", enabled: true);
        attributes[AccountAttributes.Password] = password;
        var account = await secure.ApplyAsync(Ops.Create(TestDirectory.Unique("E"), attributes), default);
        Assert.True(ad.CanBind($"{user}@example.test", password));
        Assert.Equal("512", ad.Read(account.NativeId!, "userAccountControl")!["userAccountControl"].Single());
    }
}
