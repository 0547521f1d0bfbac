using System.Diagnostics;
using System.Globalization;
using System.Text;
using Handoff.Connectors.Ldap;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Bench;

/// <summary>
/// LDAP provisioning: N creates through <see cref="LdapConnector"/> against <c>ldapadd</c> of the same
/// entries as LDIF, on the same server in the same run; then one attribute modified on all of them
/// through the connector against <c>ldapmodify</c>. Each side works in an OU of its own.
/// Usage: <c>bench ldap --url ldap://127.0.0.1:3891 --base dc=example,dc=test --bind cn=admin,dc=example,dc=test
/// --password-env VAR [--count 10000] [--concurrency 8] [--dialect openldap] [--order raw-first|connector-first]</c>.
/// A server that slows as it fills (Samba) favours whichever side writes first; <c>--order</c> lets a
/// run measure the other way round.
/// </summary>
public static class LdapBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string? fallback = null)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"{name} is required");
        }
        var url = Arg("--url");
        var baseDn = Arg("--base");
        var bindDn = Arg("--bind");
        var passwordEnv = Arg("--password-env");
        var count = int.Parse(Arg("--count", "10000"), CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Arg("--concurrency", "8"), CultureInfo.InvariantCulture);
        var dialect = Arg("--dialect", LdapSettings.OpenLdap);
        var results = Arg("--results", Path.Combine(BenchOptions.RepositoryRoot(), "bench", "results"));
        var order = Arg("--order", "raw-first");
        if (order is not ("raw-first" or "connector-first"))
            throw new ArgumentException($"--order: \"{order}\" is neither raw-first nor connector-first");
        var connectorFirst = order == "connector-first";
        var run = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        var password = Environment.GetEnvironmentVariable(passwordEnv) ?? throw new ArgumentException($"{passwordEnv} is not set");

        var system = new SystemDefinition("bench", "bench", SystemKind.Directory, "ldap", SystemOwner.It, new Dictionary<string, string>
        {
            ["url"] = url,
            ["base_dn"] = baseDn,
            ["bind_dn"] = bindDn,
            ["password_env"] = passwordEnv,
            ["dialect"] = dialect,
            ["people_ou"] = $"ou=bench-handoff-{run}",
            ["group_ou"] = $"ou=bench-groups-{run}",
            ["max_concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
        });
        using var ldap = new LdapConnector("bench", LdapSettings.From(system));
        var rawOu = $"ou=bench-ldapadd-{run},{baseDn}";
        var ad = dialect == LdapSettings.ActiveDirectory;

        // ldapadd: the OU plus N entries as one LDIF, one sequential client
        var ldif = new StringBuilder($"dn: {rawOu}\nobjectClass: organizationalUnit\nou: bench-ldapadd-{run}\n\n");
        for (var i = 0; i < count; i++)
        {
            var u = $"r{run}x{i}";
            ldif.Append(ad
                ? $"dn: CN=Raw {i},{rawOu}\nobjectClass: user\nsAMAccountName: {u}\nuserPrincipalName: {u}@bench\ngivenName: Raw\nsn: User {i}\ndisplayName: Raw {i}\nemployeeID: R{run}{i}\nuserAccountControl: 514\n\n"
                : $"dn: uid={u},{rawOu}\nobjectClass: inetOrgPerson\nuid: {u}\ncn: Raw {i}\ngivenName: Raw\nsn: User {i}\ndisplayName: Raw {i}\nemployeeNumber: R{run}{i}\n\n");
        }
        // the connector: the same N people, `concurrency` requests in flight
        var add = new Stopwatch();
        var dns = new string[count];
        var rawAdd = TimeSpan.Zero;
        if (!connectorFirst)
            rawAdd = await ToolAsync("ldapadd", url, bindDn, password, ldif.ToString());
        add.Start();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            var result = await ldap.ApplyAsync(new TargetOperation(TargetOperationKind.Create, ObjectClasses.Account, null, $"H{run}{i}", new Dictionary<string, object?>
            {
                [AccountAttributes.Username] = $"h{run}x{i}",
                [AccountAttributes.GivenName] = "Handoff",
                [AccountAttributes.Surname] = $"User {i}",
                [AccountAttributes.Enabled] = false,
            }, $"bench/{i}"), ct);
            dns[i] = result.NativeId!;
        });
        add.Stop();
        if (connectorFirst)
            rawAdd = await ToolAsync("ldapadd", url, bindDn, password, ldif.ToString());

        var modifyLdif = new StringBuilder();
        for (var i = 0; i < count; i++)
            modifyLdif.Append(ad ? $"dn: CN=Raw {i},{rawOu}\n" : $"dn: uid=r{run}x{i},{rawOu}\n").Append("changetype: modify\nreplace: title\ntitle: Benchmarked\n\n");
        var rawModify = TimeSpan.Zero;
        if (!connectorFirst)
            rawModify = await ToolAsync("ldapmodify", url, bindDn, password, modifyLdif.ToString());
        var modify = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
            await ldap.ApplyAsync(new TargetOperation(TargetOperationKind.Update, ObjectClasses.Account, dns[i], null,
                new Dictionary<string, object?> { ["title"] = "Benchmarked" }, $"bench/m{i}"), ct));
        modify.Stop();
        if (connectorFirst)
            rawModify = await ToolAsync("ldapmodify", url, bindDn, password, modifyLdif.ToString());

        var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
        double Rate(TimeSpan t) => count / t.TotalSeconds;
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# LDAP provisioning, {dialect} at {url}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, load average before the run's end {load}; the server on the same machine.")
            .AppendLine(CultureInfo.InvariantCulture, $"{count:N0} entries; the connector with {concurrency} requests in flight (pooled connections), ldapadd/ldapmodify sequential from one LDIF file; {(connectorFirst ? "the connector" : "the tool")} wrote first.")
            .AppendLine()
            .AppendLine("| operation | ldapadd / ldapmodify | Handoff LdapConnector | ratio (Handoff / raw) |")
            .AppendLine("| --- | ---: | ---: | ---: |")
            .AppendLine(CultureInfo.InvariantCulture, $"| create | {Rate(rawAdd):N0}/s ({rawAdd.TotalSeconds:N1} s) | {Rate(add.Elapsed):N0}/s ({add.Elapsed.TotalSeconds:N1} s) | {rawAdd / add.Elapsed:N2} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| modify one attribute | {Rate(rawModify):N0}/s ({rawModify.TotalSeconds:N1} s) | {Rate(modify.Elapsed):N0}/s ({modify.Elapsed.TotalSeconds:N1} s) | {rawModify / modify.Elapsed:N2} |")
            .AppendLine()
            .AppendLine("A connector create is one add (it searches for its own earlier entry by anchor, or the holder of the")
            .AppendLine("username, only when the server refuses the add; it reads the DN back only when the name needed escapes);")
            .AppendLine("an update of plain attributes is one modify carrying the pre-read control (RFC 4527) where the server offers it")
            .AppendLine("(OpenLDAP: the old values come back with the response, so an unchanged entry is still reported as already")
            .AppendLine("applied); where it does not (Active Directory) the connector reads the attributes first: two requests.")
            .ToString();
        Console.WriteLine(report);
        Directory.CreateDirectory(results);
        var file = Path.Combine(results, $"ldap-{dialect}-{DateTime.UtcNow:yyyy-MM-dd}.md");
        await File.WriteAllTextAsync(file, report);
        Console.Error.WriteLine($"written to {file}");
        return 0;
    }

    private static async Task<TimeSpan> ToolAsync(string tool, string url, string bindDn, string password, string ldif)
    {
        var input = Path.GetTempFileName();
        var secret = Path.GetTempFileName();
        await File.WriteAllTextAsync(input, ldif);
        await File.WriteAllTextAsync(secret, password);
        try
        {
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(new ProcessStartInfo(tool, ["-x", "-H", url, "-D", bindDn, "-y", secret, "-f", input])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            watch.Stop();
            await output;
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {error}");
            return watch.Elapsed;
        }
        finally
        {
            File.Delete(input);
            File.Delete(secret);
        }
    }
}
