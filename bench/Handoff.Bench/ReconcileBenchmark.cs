using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Handoff.Connectors;
using Handoff.Core.People;
using Handoff.Core.Security;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.People;
using Handoff.Data.Reconciliation;
using Handoff.Data.Security;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;

namespace Handoff.Bench;

/// <summary>
/// Reconciliation of N accounts in slapd (issue #5: 100,000 in ≤ 30 s). The accounts are loaded with
/// <c>ldapadd</c> from a generated LDIF, the matching people and link rows are written straight into the
/// database (not timed); then one reconciliation of the whole OU is timed, with its peak memory.
/// The mix: 1 % drifted on an enforce field (title: repaired), 1 % on an on_create field
/// (departmentNumber: reported), 0.1 % links without an entry (missing), 0.1 % terminated people with
/// enabled accounts (orphan), 0.1 % extra entries nobody linked (unmanaged), the rest in sync.
/// Usage: <c>bench reconcile [--count 100000] [--url ldap://127.0.0.1:3890] [--base dc=example,dc=test]
/// [--bind cn=admin,dc=example,dc=test] [--password-env HANDOFF_TEST_LDAP_PASSWORD] [--providers sqlite,postgres] [--postgres "Host=…"]</c>
/// (url, base and bind default to the HANDOFF_TEST_LDAP_* variables scripts/test exports).
/// </summary>
public static partial class ReconcileBenchmark
{
    private sealed record Line(string Provider, int Accounts, TimeSpan Load, TimeSpan Seed, PhaseResult Phase, double ProcessPeakMb, double HeapMb, ReconciliationReportRow Report, string LoadAverage);

    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string? env, string? fallback = null)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1]
                : (env is null ? null : Environment.GetEnvironmentVariable(env)) ?? fallback ?? throw new ArgumentException($"{name} is required (or set {env})");
        }
        var count = int.Parse(Arg("--count", null, "100000"), CultureInfo.InvariantCulture);
        var url = Arg("--url", "HANDOFF_TEST_LDAP_URL");
        var baseDn = Arg("--base", "HANDOFF_TEST_LDAP_BASE_DN", "dc=example,dc=test");
        var bindDn = Arg("--bind", "HANDOFF_TEST_LDAP_BIND_DN", "cn=admin,dc=example,dc=test");
        var passwordEnv = Arg("--password-env", null, "HANDOFF_TEST_LDAP_PASSWORD");
        var password = Environment.GetEnvironmentVariable(passwordEnv) ?? throw new ArgumentException($"{passwordEnv} is not set");
        var postgres = Arg("--postgres", "HANDOFF_BENCH_POSTGRES", "");
        var providers = Arg("--providers", null, postgres.Length > 0 ? "sqlite,postgres" : "sqlite").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var options = new BenchOptions([count], providers, postgres.Length > 0 ? postgres : null, Path.Combine(Path.GetTempPath(), "handoff-bench"),
            Arg("--results", null, Path.Combine(BenchOptions.RepositoryRoot(), "bench", "results")));
        var machine = await Machine.DescribeAsync(options);
        Console.WriteLine(machine);

        var lines = new List<Line>();
        foreach (var provider in providers)
        {
            Console.Error.WriteLine($"== reconcile {count:N0} slapd accounts on {provider}");
            lines.Add(await RunOneAsync(provider, options, count, url, baseDn, bindDn, passwordEnv, password));
        }
        var report = Markdown(machine, count, lines);
        Console.WriteLine(report);
        Directory.CreateDirectory(options.ResultsDirectory);
        var file = Path.Combine(options.ResultsDirectory, $"reconcile-{DateTime.UtcNow:yyyy-MM-dd}.md");
        await File.WriteAllTextAsync(file, report);
        Console.Error.WriteLine($"written to {file}");
        return 0;
    }

    private static bool Missing(int i) => i % 1000 == 1;
    private static bool Terminated(int i) => i % 1000 == 2;
    private static bool EnforceDrift(int i) => i % 100 == 0;
    private static bool OnCreateDrift(int i) => i % 100 == 50;

    private static async Task<Line> RunOneAsync(string provider, BenchOptions options, int count, string url, string baseDn, string bindDn, string passwordEnv, string password)
    {
        var ct = CancellationToken.None;
        var run = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture) + provider[..2];
        var ou = $"ou=bench-reconcile-{run}";
        string Dn(int i) => $"uid=u{run}x{i},{ou},{baseDn}";

        // 1. the accounts, with ldapadd
        var unmanaged = Math.Max(1, count / 1000);
        var ldif = new StringBuilder($"dn: {ou},{baseDn}\nobjectClass: organizationalUnit\nou: bench-reconcile-{run}\n\n");
        for (var i = 0; i < count; i++)
        {
            if (Missing(i))
                continue;
            ldif.Append(CultureInfo.InvariantCulture, $"dn: {Dn(i)}\nobjectClass: inetOrgPerson\nuid: u{run}x{i}\ncn: First{i} Last{i}\ngivenName: First{i}\nsn: Last{i}\n")
                .Append(CultureInfo.InvariantCulture, $"displayName: First{i} L.\ntitle: {(EnforceDrift(i) ? "Drifted" : "Engineer")}\ndepartmentNumber: {(OnCreateDrift(i) ? "Other" : $"Dept{i % 20}")}\nemployeeNumber: E{run}{i}\n\n");
        }
        for (var k = 0; k < unmanaged; k++)
            ldif.Append(CultureInfo.InvariantCulture, $"dn: uid=x{run}{k},{ou},{baseDn}\nobjectClass: inetOrgPerson\nuid: x{run}{k}\ncn: Stranger {k}\nsn: Stranger\n\n");
        var load = await ToolAsync("ldapadd", url, bindDn, password, ldif.ToString());
        ldif.Clear();

        // 2. Handoff's side: the workspace, then people and links written directly (not timed)
        var seed = Stopwatch.StartNew();
        await using var database = await BenchDatabase.CreateAsync(provider, options);
        var clock = new BenchClock(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
        var audit = new AuditLog(database.Options, new BenchAuditKey(), clock);
        var store = new WorkspaceStore(database.Options, clock, audit);
        var workspaceDir = Workspace(url, baseDn, bindDn, passwordEnv, ou);
        var loaded = WorkspaceLoader.Load(workspaceDir);
        if (!loaded.Succeeded)
            throw new InvalidOperationException(string.Join('\n', loaded.Errors));
        var applied = await store.ApplyAsync(loaded.Workspace!, workspaceDir, "bench", ct);
        await store.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "alice", ct);
        await store.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "ivan", ct);
        var workspace = (await store.LoadActiveAsync(ct)).Definition;
        var keys = KeyMaterial.From(KeyRing.Generate());
        var protection = new FieldProtection(workspace.Dictionary, keys);
        var now = clock.GetUtcNow();
        for (var start = 0; start < count; start += 5000)
        {
            await using var db = database.Options.CreateContext();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = start; i < Math.Min(count, start + 5000); i++)
            {
                var id = Guid.NewGuid();
                ResolvedValue V(string v) => new(v, "hris", $"E{run}{i}", now, null);
                var values = new Dictionary<string, ResolvedValue>
                {
                    ["employee_id"] = V($"E{run}{i}"),
                    ["first_name"] = V($"First{i}"),
                    ["last_name"] = V($"Last{i}"),
                    ["preferred_name"] = V($"First{i} L."),
                    ["job_title"] = V("Engineer"),
                    ["department"] = V($"Dept{i % 20}"),
                    ["start_date"] = V("2020-01-06"),
                };
                if (Terminated(i))
                    values["termination_date"] = V("2026-10-31");
                db.People.Add(new PersonRow
                {
                    Id = id,
                    DisplayName = $"First{i} Last{i}",
                    State = Terminated(i) ? "terminated" : "active",
                    ValuesJson = protection.SerializeResolved(values),
                    CreatedAt = now,
                    UpdatedAt = now,
                });
                db.AccountLinks.Add(new AccountLinkRow { System = "directory", PersonId = id, NativeId = Dn(i), Username = $"u{run}x{i}", CreatedAt = now, UpdatedAt = now });
            }
            await db.SaveChangesAsync(ct);
        }
        seed.Stop();

        // 3. the measured reconciliation
        var loadAverage = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
        var reconciler = new Reconciler(database.Options, clock, audit, store, keys, ws => TargetConnectors.For(ws, database.Options, clock));
        using var probe = new PhaseProbe();
        var detail = await reconciler.RunAsync("directory", dryRun: false, "user:bench", ct);
        var phase = probe.Stop(count, provider, "reconcile", detail.Report.Accounts, detail.Report.Repaired);
        using var self = Process.GetCurrentProcess();
        var processPeak = self.PeakWorkingSet64 / (1024.0 * 1024);
        var heap = GC.GetGCMemoryInfo().HeapSizeBytes / (1024.0 * 1024);
        var r = detail.Report;
        Console.Error.WriteLine($"   {phase.Elapsed.TotalSeconds:F1} s, peak {phase.PeakMb:F0} MB (growth {phase.GrowthMb:F0} MB): {r.Accounts} accounts, {r.InSync} in sync, {r.Drifted} drifted, {r.Orphan} orphan, {r.Unmanaged} unmanaged, {r.Missing} missing, {r.Repaired} repaired");
        var expectedDrift = Enumerable.Range(0, count).Count(i => !Missing(i) && !Terminated(i) && (EnforceDrift(i) || OnCreateDrift(i)));
        if (r.Status != "completed" || r.Drifted != expectedDrift || r.Unmanaged != unmanaged || r.Missing != Enumerable.Range(0, count).Count(Missing))
            throw new InvalidOperationException($"unexpected report: {r.Status} {r.Error} drifted {r.Drifted} (expected {expectedDrift}), unmanaged {r.Unmanaged}, missing {r.Missing}");
        return new Line(provider, count, load, seed.Elapsed, phase, processPeak, heap, r, loadAverage);
    }

    private static string Markdown(Machine machine, int count, IReadOnlyList<Line> lines)
    {
        var s = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Reconciliation benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC")
            .AppendLine()
            .AppendLine(machine.ToString())
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{count:N0} accounts in slapd (inetOrgPerson, one OU, loaded with ldapadd), the same number of people and link rows; one `handoff reconcile`-equivalent run")
            .AppendLine("of the whole OU through the LDAP connector (paged search, 500 per page); `dotnet run -c Release --project bench/Handoff.Bench -- reconcile`.")
            .AppendLine("Mix: 1 % enforce drift (title, repaired through the connector), 1 % on_create drift (departmentNumber, reported), 0.1 % missing,")
            .AppendLine("0.1 % orphans (terminated, account enabled), 0.1 % unmanaged entries. Peak = highest resident set of the process during the reconciliation.")
            .AppendLine()
            .AppendLine("| provider | accounts | seconds | accounts/s | repaired | peak RSS MB | growth MB | allocated MB | GC heap after MB | load average at start | ldapadd load s | seed s |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
        foreach (var l in lines)
        {
            s.AppendLine(CultureInfo.InvariantCulture,
                $"| {l.Provider} | {l.Report.Accounts:N0} | {l.Phase.Elapsed.TotalSeconds:N1} | {l.Report.Accounts / l.Phase.Elapsed.TotalSeconds:N0} | {l.Report.Repaired:N0} | {l.Phase.PeakMb:N0} | {l.Phase.GrowthMb:N0} | {l.Phase.AllocatedMb:N0} | {l.HeapMb:N0} | {l.LoadAverage} | {l.Load.TotalSeconds:N1} | {l.Seed.TotalSeconds:N1} |");
        }
        s.AppendLine()
            .AppendLine("| provider | in_sync | drifted | orphan | unmanaged | missing | held |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var l in lines)
            s.AppendLine(CultureInfo.InvariantCulture, $"| {l.Provider} | {l.Report.InSync:N0} | {l.Report.Drifted:N0} | {l.Report.Orphan:N0} | {l.Report.Unmanaged:N0} | {l.Report.Missing:N0} | {l.Report.Held:N0} |");
        return s.ToString();
    }

    /// <summary>samples/acme with the directory pointed at slapd (the benchmark's OU) and OpenLDAP bindings.</summary>
    internal static string Workspace(string url, string baseDn, string bindDn, string passwordEnv, string ou)
    {
        var source = BenchOptions.SamplesWorkspace;
        var target = Path.Combine(Path.GetTempPath(), "handoff-bench-reconcile-ws-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        var systems = Path.Combine(target, "systems.yaml");
        var ldap = $"""
              - id: directory
                name: OpenLDAP (benchmark)
                kind: directory
                connector: ldap
                owner: it
                config:
                  url: {url}
                  base_dn: "{baseDn}"
                  bind_dn: "{bindDn}"
                  password_env: {passwordEnv}
                  dialect: openldap
                  people_ou: "{ou}"

            """;
        File.WriteAllText(systems, DirectoryBlock().Replace(File.ReadAllText(systems), ldap.Replace("\r\n", "\n", StringComparison.Ordinal), 1));
        var dictionary = Path.Combine(target, "dictionary.yaml");
        var d = File.ReadAllText(dictionary)
            .Replace("directory: { field: employeeID, strength: on_create }", "directory: { field: employeeNumber, strength: on_create }", StringComparison.Ordinal)
            .Replace("directory: { field: department }", "directory: { field: departmentNumber, strength: on_create }", StringComparison.Ordinal)
            .Replace("      hris: { field: Preferred_Name, empty: clears }\n", "      hris: { field: Preferred_Name, empty: clears }\n      directory: { field: displayName }\n", StringComparison.Ordinal);
        File.WriteAllText(dictionary, d);
        return target;
    }

    [GeneratedRegex(@"  - id: directory\n(?:    .*\n|\s*#.*\n|      .*\n)*")]
    private static partial Regex DirectoryBlock();

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
