using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsvHelper;
using Handoff.Core.Dictionary;
using Handoff.Core.People;
using Handoff.Core.Reconciliation;
using Handoff.Data;
using Handoff.Data.Security;
using Handoff.Server;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Handoff.Bench;

/// <summary>
/// Issue #8's scale run: N generated workers (default 1,000,000) on a fresh PostgreSQL database, every
/// measured phase run by the real <c>handoff</c> executable in its own process, whose peak resident set
/// (VmHWM) is the node's memory figure: (a) the initial import (<c>handoff sync hris --file</c>), (b) a
/// re-sync with 1 % changed, (c) <c>handoff reconcile directory</c> of N link rows against N entries in
/// a real slapd (loaded offline with <c>slapadd</c>), (d) <c>handoff retention run</c> over the
/// terminated people past their retention window (about 10 %: the generator's own leavers plus
/// terminations planted by a further re-sync, which is timed and reported but is set-up).
/// Usage: <c>bench scale [--workers 1000000] --postgres "Host=…" [--slapd-root /tmp/ht-scale]
/// [--slapd-port 3970] [--work DIR] [--results DIR] [--keep]</c>.
/// </summary>
public static class ScaleBenchmark
{
    private const string Today = "2026-11-27";
    private const string BaseDn = "dc=example,dc=test";
    private const string BindDn = "cn=admin,dc=example,dc=test";
    private const string PeopleOu = "ou=scale";
    private const string PasswordEnv = "HANDOFF_BENCH_LDAP_PASSWORD";

    private sealed record Phase(string Name, string Command, long Rows, string RowsAre, ChildResult Child)
    {
        public double Rate => Rows / Child.Elapsed.TotalSeconds;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name, string? fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var workers = int.Parse((Arg("--workers", "1000000") ?? "").Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        var postgres = Arg("--postgres", Environment.GetEnvironmentVariable("HANDOFF_BENCH_POSTGRES"));
        var slapdRoot = Arg("--slapd-root", Environment.GetEnvironmentVariable("HANDOFF_TEST_ROOT") ?? "/tmp/handoff-test")!;
        var slapdPort = int.Parse(Arg("--slapd-port", Environment.GetEnvironmentVariable("HANDOFF_SLAPD_PORT") ?? "3890")!, CultureInfo.InvariantCulture);
        var keep = args.Contains("--keep");
        if (workers <= 0)
        {
            Console.Error.WriteLine("--workers: give a positive number of workers, e.g. --workers 1000000");
            return 2;
        }
        var problem = await PostgresServer.CheckAsync(postgres);
        if (problem is not null)
        {
            Console.Error.WriteLine($"--postgres: PostgreSQL is not reachable: {problem}");
            return 3;
        }
        var slapdDir = Path.Combine(slapdRoot, "slapd");
        var passwordFile = Path.Combine(slapdDir, "password");
        if (!File.Exists(passwordFile))
        {
            Console.Error.WriteLine($"--slapd-root: no slapd at {slapdDir} (no password file); start one with HANDOFF_TEST_ROOT={slapdRoot} HANDOFF_SLAPD_PORT={slapdPort} scripts/services/slapd.sh start");
            return 3;
        }
        var password = (await File.ReadAllTextAsync(passwordFile)).Trim();
        var url = $"ldap://127.0.0.1:{slapdPort}";

        var options = new BenchOptions([workers], [BenchOptions.Postgres], postgres, Arg("--work", Path.Combine(Path.GetTempPath(), "handoff-bench"))!,
            Arg("--results", Path.Combine(BenchOptions.RepositoryRoot(), "bench", "results"))!);
        var machine = await Machine.DescribeAsync(options);
        Console.WriteLine(machine);
        var loadStart = Load();
        var notes = new List<string>();
        var total = Stopwatch.StartNew();

        var generate = Stopwatch.StartNew();
        var data = BenchData.Prepare(options.WorkDirectory, workers);
        var terminations = Path.Combine(data.WorkspaceDirectory, "variants", "workers-terminations.csv");
        var planted = File.Exists(terminations + ".count")
            ? int.Parse(await File.ReadAllTextAsync(terminations + ".count"), CultureInfo.InvariantCulture)
            : PlantTerminations(data.OnePercent, terminations);
        await File.WriteAllTextAsync(terminations + ".count", planted.ToString(CultureInfo.InvariantCulture));
        generate.Stop();
        Console.Error.WriteLine($"data ready in {generate.Elapsed.TotalSeconds:F0} s ({data.WorkspaceDirectory}); {planted:N0} terminations planted in {terminations}");

        var database = await BenchDatabase.CreateAsync(BenchOptions.Postgres, options);
        var keysDir = Path.Combine(options.WorkDirectory, "keys-" + Guid.NewGuid().ToString("N")[..8]);
        string[] common = ["--db", database.Options.ConnectionString, "--keys-dir", keysDir, "--today", Today];
        var env = new Dictionary<string, string> { [PasswordEnv] = password };
        var phases = new List<Phase>();
        var setup = new List<Phase>();

        async Task<ChildResult> Handoff(params string[] verb)
        {
            var result = await HandoffChild.RunAsync(env, [.. verb, .. common], TimeSpan.FromMinutes(60));
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"handoff {string.Join(' ', verb)} exited {result.ExitCode}:\n{result.Tail}");
            return result;
        }

        // The workspace: samples/acme with its directory pointed at the private slapd (people OU ou=scale).
        var workspace = ReconcileBenchmark.Workspace(url, BaseDn, BindDn, PasswordEnv, PeopleOu);
        await Handoff("apply", "-f", workspace, "--as", "hector");
        await Handoff("dictionary", "approve", "1", "--as", "alice");
        await Handoff("dictionary", "approve", "1", "--as", "ivan");

        async Task<Phase> SyncAsync(string name, string file)
        {
            Console.Error.WriteLine($"== {name}: handoff sync hris --file {Path.GetFileName(file)}");
            var child = await Handoff("sync", "hris", "--file", file);
            await using var db = database.Options.CreateContext();
            var sync = await db.Syncs.AsNoTracking().OrderByDescending(s => s.Id).FirstAsync();
            var phase = new Phase(name, $"handoff sync hris --file {Path.GetFileName(file)}", sync.Read, "rows read", child);
            Console.Error.WriteLine($"   {child.Elapsed.TotalSeconds:F1} s, peak {child.PeakMb:F0} MB: read {sync.Read} created {sync.Created} updated {sync.Updated} unchanged {sync.Unchanged} rejected {sync.Rejected} held {sync.Held} scheduled {sync.Scheduled}");
            notes.Add($"{name}: read {sync.Read:N0}, created {sync.Created:N0}, updated {sync.Updated:N0}, unchanged {sync.Unchanged:N0}, rejected {sync.Rejected:N0}, held {sync.Held:N0}, scheduled {sync.Scheduled:N0}");
            return phase;
        }

        // (a) and (b)
        phases.Add(await SyncAsync("(a) initial import", data.Workers));
        notes.Add($"database size after the initial import: {await database.SizeMbAsync():N0} MB");
        phases.Add(await SyncAsync("(b) re-sync, 1 % changed", data.OnePercent));

        // (c) the directory: one entry per person as Handoff expects it (1 % with a drifted title), loaded offline
        Console.Error.WriteLine("== (c) set-up: LDIF and link rows from the people, slapadd");
        var seed = Stopwatch.StartNew();
        var ldif = Path.Combine(options.WorkDirectory, $"scale-{workers}.ldif");
        var (entries, drifted, terminatedAccounts) = await WriteDirectoryAsync(database.Options, common, ldif);
        var slapadd = await SlapaddAsync(slapdRoot, slapdPort, slapdDir, ldif);
        File.Delete(ldif);
        seed.Stop();
        notes.Add($"(c) set-up: {entries:N0} entries written as LDIF and {entries:N0} link rows copied (COPY … BINARY), then slapadd -q with slapd stopped: {slapadd.TotalSeconds:F0} s of {seed.Elapsed.TotalSeconds:F0} s; {drifted:N0} entries with a drifted title (enforce), {terminatedAccounts:N0} locked accounts of terminated people");

        Console.Error.WriteLine("== (c) handoff reconcile directory");
        var reconcile = await Handoff("reconcile", "directory", "--actor", "tara");
        await using (var db = database.Options.CreateContext())
        {
            var r = await db.ReconciliationReports.AsNoTracking().OrderByDescending(x => x.StartedAt).FirstAsync();
            phases.Add(new Phase("(c) reconcile directory links", "handoff reconcile directory", r.Accounts, "accounts", reconcile));
            var line = $"(c) reconcile: status {r.Status}, {r.Accounts:N0} accounts: in_sync {r.InSync:N0}, drifted {r.Drifted:N0}, orphan {r.Orphan:N0}, unmanaged {r.Unmanaged:N0}, missing {r.Missing:N0}, repaired {r.Repaired:N0}, held {r.Held:N0}, repair failed {r.RepairFailed:N0}";
            Console.Error.WriteLine($"   {reconcile.Elapsed.TotalSeconds:F1} s, peak {reconcile.PeakMb:F0} MB; {line}");
            notes.Add(line);
            if (r.Status != "completed" || r.Accounts != entries)
                throw new InvalidOperationException($"the reconciliation did not read every entry: {line} {r.Error}");
        }

        // (d) terminations past the window, then the purge
        setup.Add(await SyncAsync("set-up: re-sync with terminations", terminations));
        var tick = await Handoff("tick");
        setup.Add(new Phase("set-up: handoff tick", "handoff tick", 0, "", tick));
        var before = await StatesAsync(database.Options);
        notes.Add($"people by state before the purge: {Format(before)}");
        Console.Error.WriteLine($"== (d) handoff retention run ({Format(before)})");
        var purge = await Handoff("retention", "run");
        var after = await StatesAsync(database.Options);
        await using (var db = database.Options.CreateContext())
        {
            var entriesWritten = await db.AuditEntries.CountAsync(a => a.Actor == "system:retention");
            phases.Add(new Phase("(d) retention purge", "handoff retention run", entriesWritten, "people purged or pseudonymized", purge));
            var line = $"(d) purge: {entriesWritten:N0} people purged or pseudonymized (one audit entry each); people by state after: {Format(after)}";
            Console.Error.WriteLine($"   {purge.Elapsed.TotalSeconds:F1} s, peak {purge.PeakMb:F0} MB; {line}");
            notes.Add(line);
        }
        notes.Add($"database size at the end: {await database.SizeMbAsync():N0} MB");
        total.Stop();
        if (keep)
            notes.Add("(database kept: --keep)");

        var report = Markdown(machine, workers, loadStart, Load(), total.Elapsed, generate.Elapsed, phases, setup, notes);
        Console.WriteLine(report);
        Directory.CreateDirectory(options.ResultsDirectory);
        var fileName = Path.Combine(options.ResultsDirectory, $"scale-{DateTime.UtcNow:yyyy-MM-dd}.md");
        await File.WriteAllTextAsync(fileName, report);
        Console.Error.WriteLine($"written to {fileName}");
        if (!keep)
            await database.DisposeAsync();
        return 0;
    }

    private static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string Format(Dictionary<string, int> states) =>
        string.Join(", ", states.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value:N0}"));

    private static async Task<Dictionary<string, int>> StatesAsync(DatabaseOptions database)
    {
        await using var db = database.CreateContext();
        return await db.People.GroupBy(p => p.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
    }

    /// <summary>Copies the (1 %-changed) workers file, giving every 25th employee id without a termination
    /// date one in March 2023 — past the acme dictionary's longest personal-data window (2 years), so the
    /// purge has about 4 % more people on top of the generator's own leavers (about 6 %).</summary>
    private static int PlantTerminations(string source, string target)
    {
        var readerOptions = CsvReaderOptions.Default with { Separator = ',', HasHeader = true, DetectSeparatorHint = false };
        using var reader = CsvReader.FromFile(source, readerOptions);
        reader.ReadHeader();
        var header = reader.Headers.ToArray();
        var id = Array.IndexOf(header, "Employee_ID");
        var end = Array.IndexOf(header, "Termination_Date");
        var writerOptions = CsvWriterOptions.Default with
        {
            Separator = ',',
            NewLine = "\n",
            Injection = CsvInjection.None,
            FormatProvider = CultureInfo.InvariantCulture,
            // The generator's malformed rows (a field too many or too few) are copied as they are.
            ValidateFieldCount = false,
        };
        using var writer = CsvWriter.Create(new FileStream(target, FileMode.Create, FileAccess.Write), writerOptions);
        writer.WriteHeader(header);
        var planted = new HashSet<long>();
        while (reader.Read())
        {
            var plant = reader.FieldCount == header.Length
                && long.TryParse(reader.GetString(id), NumberStyles.Integer, CultureInfo.InvariantCulture, out var employee)
                && employee % 25 == 3 && reader.GetString(end).Length == 0;
            for (var c = 0; c < reader.FieldCount; c++)
                writer.WriteField(plant && c == end ? "03/31/2023" : reader.GetString(c));
            writer.EndRecord();
            if (plant)
                planted.Add(long.Parse(reader.GetString(id), CultureInfo.InvariantCulture));
        }
        return planted.Count;
    }

    /// <summary>
    /// One directory entry per person, as the reconciliation expects it (the dictionary's directory
    /// bindings through <see cref="ValueConverter.ToNative"/>; terminated people locked, with their
    /// shadowExpire), except a drifted title on every 100th; and the matching <c>account_links</c> rows,
    /// streamed into PostgreSQL with a binary COPY. People are read one at a time (AsNoTracking).
    /// </summary>
    private static async Task<(int Entries, int Drifted, int Locked)> WriteDirectoryAsync(DatabaseOptions database, string[] common, string ldifFile)
    {
        var ct = CancellationToken.None;
        var runtime = await HandoffRuntime.OpenAsync(database, TimeProvider.System, common[3], null, ct);
        var workspace = (await runtime.Workspace.LoadActiveAsync(ct)).Definition;
        var plan = ReconcilePlan.For(workspace.Dictionary, "directory", "employee_id");
        var protection = new FieldProtection(workspace.Dictionary, runtime.Keys);
        var now = DateTime.UtcNow;
        int entries = 0, drifted = 0, locked = 0;

        await using var ldif = new StreamWriter(ldifFile, false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" };
        await ldif.WriteAsync($"dn: {PeopleOu},{BaseDn}\nobjectClass: organizationalUnit\nou: scale\n\n");
        await using var links = new NpgsqlConnection(database.ConnectionString);
        await links.OpenAsync(ct);
        await using var copy = await links.BeginBinaryImportAsync(
            "COPY account_links (system, person_id, native_id, username, state, created_at, updated_at) FROM STDIN (FORMAT BINARY)", ct);

        await using var db = database.CreateContext();
        await foreach (var p in db.People.AsNoTracking().OrderBy(p => p.Id).Select(p => new { p.Id, p.State, p.ValuesJson }).AsAsyncEnumerable().WithCancellation(ct))
        {
            var values = protection.DeserializeResolved(p.ValuesJson).ToDictionary(v => v.Key, v => (string?)v.Value.Value, StringComparer.Ordinal);
            var state = LifecycleStateNames.Parse(p.State);
            if (state == LifecycleState.Purged)
                continue;
            var expect = plan.Expect(p.Id, state, values);
            var uid = "s" + entries.ToString(CultureInfo.InvariantCulture);
            var dn = $"uid={uid},{PeopleOu},{BaseDn}";
            var drift = entries % 100 == 7;
            var terminated = state == LifecycleState.Terminated;
            var attributes = new List<(string Name, string Value)>();
            DateOnly? expires = null;
            for (var i = 0; i < plan.Bindings.Count; i++)
            {
                var (field, binding) = plan.Bindings[i];
                var value = expect.Values[i];
                if (value is null)
                    continue;
                if (binding.Native is "accountExpires" or "shadowExpire")
                {
                    expires = DateOnly.ParseExact(value[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture);
                    continue;
                }
                var native = ValueConverter.ToNative(field, binding, value);
                if (native is null)
                    continue;
                attributes.Add((binding.Native, drift && binding.Native == "title" ? "Drifted " + native : native));
            }
            var sb = new StringBuilder();
            sb.Append("dn: ").Append(dn).Append('\n')
                .Append("objectClass: inetOrgPerson\n");
            if (expires is not null)
                sb.Append("objectClass: shadowAccount\n");
            sb.Append("uid: ").Append(uid).Append('\n')
                .Append(Ldif("cn", values.GetValueOrDefault("first_name") + " " + values.GetValueOrDefault("last_name"))).Append('\n');
            if (!attributes.Any(a => a.Name.Equals("sn", StringComparison.OrdinalIgnoreCase)))
                sb.Append("sn: -\n");
            foreach (var (name, value) in attributes)
                sb.Append(Ldif(name, value)).Append('\n');
            if (expires is { } e)
                sb.Append("shadowExpire: ").Append(Handoff.Connectors.Ldap.LdapConnector.ShadowDays(e).ToString(CultureInfo.InvariantCulture)).Append('\n');
            if (terminated)
            {
                sb.Append("pwdAccountLockedTime: 000001010000Z\n");
                locked++;
            }
            sb.Append('\n');
            await ldif.WriteAsync(sb.ToString());

            await copy.StartRowAsync(ct);
            await copy.WriteAsync("directory", NpgsqlDbType.Text, ct);
            await copy.WriteAsync(p.Id, NpgsqlDbType.Uuid, ct);
            await copy.WriteAsync(dn, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(uid, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(terminated ? "disabled" : "active", NpgsqlDbType.Text, ct);
            await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            entries++;
            if (drift)
                drifted++;
        }
        await copy.CompleteAsync(ct);
        return (entries, drifted, locked);
    }

    /// <summary>One LDIF attribute line: <c>name: value</c>, or <c>name:: base64</c> when the value is not a safe string (RFC 2849).</summary>
    private static string Ldif(string name, string value)
    {
        var safe = value.Length > 0 && value[0] is not (' ' or ':' or '<') && value[^1] != ' ' && value.All(c => c is >= ' ' and < '\u007f');
        return safe ? $"{name}: {value}" : $"{name}:: {Convert.ToBase64String(Encoding.UTF8.GetBytes(value))}";
    }

    /// <summary>slapadd needs the server stopped: stop, load the LDIF into the mdb database, start again on the data.</summary>
    private static async Task<TimeSpan> SlapaddAsync(string root, int port, string slapdDir, string ldif)
    {
        var script = Path.Combine(BenchOptions.RepositoryRoot(), "scripts", "services", "slapd.sh");
        var env = new Dictionary<string, string> { ["HANDOFF_TEST_ROOT"] = root, ["HANDOFF_SLAPD_PORT"] = port.ToString(CultureInfo.InvariantCulture) };
        await ToolAsync(script, ["stop"], env);
        var watch = Stopwatch.StartNew();
        await ToolAsync("slapadd", ["-q", "-f", Path.Combine(slapdDir, "slapd.conf"), "-l", ldif], env);
        watch.Stop();
        await ToolAsync(script, ["resume"], env);
        return watch.Elapsed;
    }

    private static async Task ToolAsync(string tool, string[] args, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        foreach (var (k, v) in env)
            info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{error}");
    }

    private static string Markdown(Machine machine, int workers, string loadStart, string loadEnd, TimeSpan total, TimeSpan generate,
        IReadOnlyList<Phase> phases, IReadOnlyList<Phase> setup, IReadOnlyList<string> notes)
    {
        var s = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Scale benchmark — {workers:N0} workers on PostgreSQL — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC")
            .AppendLine()
            .AppendLine(machine.ToString())
            .AppendLine(CultureInfo.InvariantCulture, $"- load average (1, 5, 15 min) at the start: {loadStart}; at the end: {loadEnd} (the machine is shared with other builds)")
            .AppendLine(CultureInfo.InvariantCulture, $"- whole run: {total.TotalMinutes:F1} min (data generation {generate.TotalSeconds:F0} s, reused when already generated)")
            .AppendLine(CultureInfo.InvariantCulture, $"- `dotnet run -c Release --project bench/Handoff.Bench -- scale --workers {workers}`; see bench/README.md")
            .AppendLine()
            .AppendLine("Every phase is one run of the real `handoff` executable (`dotnet handoff.dll`, Release, its default GC settings)")
            .AppendLine("with `--db <postgres> --today 2026-11-27`; `peak RSS` is that process's VmHWM (kernel high-water mark of its")
            .AppendLine("resident set, polled from /proc/PID/status every 50 ms) — the node's memory, not the benchmark's. Target: < 2 GB.")
            .AppendLine()
            .AppendLine("| phase | command | rows | rows are | seconds | rows/s | peak RSS MB |")
            .AppendLine("| --- | --- | ---: | --- | ---: | ---: | ---: |");
        foreach (var p in phases.Concat(setup))
        {
            s.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Name} | `{p.Command}` | {(p.Rows > 0 ? p.Rows.ToString("N0", CultureInfo.InvariantCulture) : "")} | {p.RowsAre} | {p.Child.Elapsed.TotalSeconds:N1} | {(p.Rows > 0 ? p.Rate.ToString("N0", CultureInfo.InvariantCulture) : "")} | {p.Child.PeakMb:N0} |");
        }
        s.AppendLine();
        foreach (var n in notes)
            s.AppendLine("- " + n);
        return s.ToString();
    }
}
