using System.Diagnostics;
using System.DirectoryServices.Protocols;
using System.Globalization;
using System.Net;

namespace Handoff.FaultTests.Support;

/// <summary>A real OpenLDAP server: the shared one <c>scripts/test</c> starts (HANDOFF_TEST_LDAP_*), or a
/// private one a suite starts and stops itself with scripts/services/slapd.sh (for outages).</summary>
public sealed record Slapd(string Url, string BaseDn, string BindDn, string Password, Dictionary<string, string>? ServiceEnv = null)
{
    private static string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v
        : throw new InvalidOperationException($"{name} is not set: run the fault tests through ./scripts/test, which starts slapd and exports HANDOFF_TEST_LDAP_*");

    public static Slapd Shared => new(Env("HANDOFF_TEST_LDAP_URL"), Env("HANDOFF_TEST_LDAP_BASE_DN"), Env("HANDOFF_TEST_LDAP_BIND_DN"), Env("HANDOFF_TEST_LDAP_PASSWORD"));

    public static string TestRoot => Environment.GetEnvironmentVariable("HANDOFF_TEST_ROOT") ?? "/tmp/handoff-test";

    /// <summary>The repository's service scripts (scripts/test exports HANDOFF_TEST_SERVICES).</summary>
    public static string Services => Environment.GetEnvironmentVariable("HANDOFF_TEST_SERVICES") ?? Path.Combine(Data.Tests.Repository.Root, "scripts", "services");

    /// <summary>Starts a private slapd on <paramref name="port"/> in its own data folder.</summary>
    public static Slapd StartPrivate(string name, int port)
    {
        var env = new Dictionary<string, string>
        {
            ["HANDOFF_TEST_ROOT"] = TestRoot,
            ["HANDOFF_SLAPD_DIR"] = Path.Combine(TestRoot, name),
            ["HANDOFF_SLAPD_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["HANDOFF_SLAPD_LDAPS_PORT"] = (port + 1).ToString(CultureInfo.InvariantCulture),
        };
        Service("slapd", "start", env);
        var password = File.ReadAllText(Path.Combine(TestRoot, name, "password")).Trim();
        var shared = Environment.GetEnvironmentVariable("HANDOFF_TEST_LDAP_BASE_DN") ?? "dc=example,dc=test";
        return new Slapd($"ldap://127.0.0.1:{port}", shared, Environment.GetEnvironmentVariable("HANDOFF_TEST_LDAP_BIND_DN") ?? "cn=admin," + shared, password, env);
    }

    public void Stop() => Service("slapd", "stop", ServiceEnv ?? throw new InvalidOperationException("only a private slapd is stopped by a test"));

    public void Resume() => Service("slapd", "resume", ServiceEnv ?? throw new InvalidOperationException("only a private slapd is resumed by a test"));

    public static void Service(string script, string verb, IReadOnlyDictionary<string, string> env)
    {
        var info = new ProcessStartInfo(Path.Combine(Services, script + ".sh"), verb) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env)
            info.Environment[k] = v;
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), $"{script}.sh {verb} did not finish within 120 s");
        Assert.True(p.ExitCode == 0, $"{script}.sh {verb} failed ({p.ExitCode}): {output.Result}{error.Result}");
    }

    private LdapConnection Bind()
    {
        var uri = new Uri(Url);
        var c = new LdapConnection(new LdapDirectoryIdentifier(uri.Host, uri.Port), new NetworkCredential(BindDn, Password), AuthType.Basic);
        c.SessionOptions.ProtocolVersion = 3;
        c.Timeout = TimeSpan.FromSeconds(30);
        c.Bind();
        return c;
    }

    /// <summary>employeeNumber → how many entries carry it, under <paramref name="subtree"/> (paged).</summary>
    public Dictionary<string, int> AccountsByEmployeeNumber(string subtree)
    {
        using var c = Bind();
        var counts = new Dictionary<string, int>();
        var request = new SearchRequest($"{subtree},{BaseDn}", "(employeeNumber=*)", SearchScope.Subtree, "employeeNumber");
        var paging = new PageResultRequestControl(500);
        request.Controls.Add(paging);
        try
        {
            for (var page = 0; page < 1000; page++)
            {
                var response = (SearchResponse)c.SendRequest(request);
                foreach (SearchResultEntry entry in response.Entries)
                {
                    foreach (string value in entry.Attributes["employeeNumber"].GetValues(typeof(string)))
                        counts[value] = counts.GetValueOrDefault(value) + 1;
                }
                var cookie = response.Controls.OfType<PageResultResponseControl>().SingleOrDefault()?.Cookie;
                if (cookie is null || cookie.Length == 0)
                    break;
                paging.Cookie = cookie;
            }
        }
        catch (DirectoryOperationException e) when (e.Response.ResultCode == ResultCode.NoSuchObject)
        {
        }
        return counts;
    }
}
