using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Demo;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Bench;

/// <summary>
/// The workflow engine under an onboarding wave (issue #4): N new hires arrive in one HRIS sync;
/// their <c>person.pre_hire</c> events start a three-step onboarding (create account, groups, ticket).
/// <list type="bullet">
/// <item>wave, null targets: the engine alone (targets answer instantly, in memory) — the engine's
/// own cost per step;</item>
/// <item>wave, sandbox targets: the same through the sandbox directory and ticketing (each write its
/// own transaction in the same database, as an external system would be);</item>
/// <item>paced: one new hire every 1/rate seconds for a fixed time, the engine woken after each
/// sync as the server's worker is — latency from the event's commit to the run's completion.</item>
/// </list>
/// </summary>
public static class WorkflowBenchmark
{
    public const string Onboarding = """
        id: bench-onboarding
        trigger: { event: person.pre_hire }
        permissions:
          read: [employee_id, first_name, last_name, department]
          write: { directory: [account.create, groups], servicedesk: [ticket.create] }
        steps:
          - id: account
            uses: directory.create_account
            with: { username: 'u{{ employee_id }}', container: 'ou={{ department | slug }},ou=People' }
          - id: groups
            uses: directory.add_to_groups
            with: { groups: [all-staff, 'dept-{{ department | slug }}'] }
          - id: laptop
            uses: ticketing.create_ticket
            with: { title: 'Laptop for {{ first_name }} {{ last_name }}' }
        """;

    private const int StepsPerRun = 3;

    public sealed record Result(string Provider, string Phase, int Runs, TimeSpan Elapsed, double? P50Ms, double? P99Ms, double PeakMb)
    {
        public double RunsPerSecond => Runs / Elapsed.TotalSeconds;
        public double MsPerStep => Elapsed.TotalMilliseconds / (Runs * StepsPerRun);
    }

    public static async Task<IReadOnlyList<Result>> RunAsync(string provider, BenchOptions options, int people, double rate, TimeSpan paced)
    {
        var results = new List<Result>();
        results.Add(await WaveAsync(provider, options, people, nullTargets: true));
        results.Add(await WaveAsync(provider, options, people, nullTargets: false));
        results.Add(await PacedAsync(provider, options, rate, paced));
        return results;
    }

    private sealed record Setup(BenchDatabase Database, WorkspaceDefinition Workspace, SourceSync Sync, WorkflowEngine Engine, BenchClock Clock) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Database.DisposeAsync();
    }

    private static async Task<Setup> SetUpAsync(string provider, BenchOptions options, bool nullTargets)
    {
        var ct = CancellationToken.None;
        var database = await BenchDatabase.CreateAsync(provider, options);
        var clock = new BenchClock(new DateTimeOffset(AcmeDataGenerator.DemoToday.ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero));
        var workspaceDir = Path.Combine(RepositoryRoot(), "samples", "acme");
        var loaded = WorkspaceLoader.Load(workspaceDir);
        if (!loaded.Succeeded)
            throw new InvalidOperationException(string.Join('\n', loaded.Errors));
        var audit = new AuditLog(database.Options, new BenchAuditKey(), clock);
        var store = new WorkspaceStore(database.Options, clock, audit);
        var applied = await store.ApplyAsync(loaded.Workspace!, workspaceDir, "bench", ct);
        await store.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "alice", ct);
        await store.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "ivan", ct);
        var workspace = (await store.LoadActiveAsync(ct)).Definition;
        var keys = KeyMaterial.From(Handoff.Core.Security.KeyRing.Generate());
        var workflows = new WorkflowStore(database.Options, clock, audit, store);
        var nullSource = new NullTargets();
        var engine = new WorkflowEngine(database.Options, clock, audit, store, workflows, keys,
            ws => nullTargets ? nullSource : new SandboxConnectors(ws, database.Options, clock), new EngineOptions());
        await workflows.ProposeAsync(Onboarding, "bench.yaml", "alice", ct);
        await workflows.ApproveAsync("bench-onboarding", "hector", ct);
        await workflows.ApproveAsync("bench-onboarding", "ivan", ct);
        await workflows.ActivateAsync("bench-onboarding", "tara", ct);
        return new Setup(database, workspace, new SourceSync(database.Options, clock, keys, audit), engine, clock);
    }

    private static async Task<Result> WaveAsync(string provider, BenchOptions options, int people, bool nullTargets)
    {
        var ct = CancellationToken.None;
        await using var s = await SetUpAsync(provider, options, nullTargets);
        await s.Sync.RunAsync(s.Workspace, "hris", Records(0, people), "bench", ct);
        using var probe = new PhaseProbe();
        var report = await s.Engine.TickAsync(ct, scanDates: false);
        var phase = probe.Stop(people, provider, "wave", report.Executed, report.Executed);
        await using var db = s.Database.Options.CreateContext();
        var completed = await db.Runs.CountAsync(r => r.Status == RunStatus.Completed, ct);
        if (completed != people)
            throw new InvalidOperationException($"{completed} of {people} runs completed: {string.Join("; ", await db.Runs.Where(r => r.Error != null).Select(r => r.Error).Take(3).ToListAsync(ct))}");
        var name = nullTargets ? "wave, null targets (engine only)" : "wave, sandbox targets";
        Console.Error.WriteLine($"   {name,-36} {phase.Elapsed.TotalSeconds,8:F2} s  {people / phase.Elapsed.TotalSeconds,8:F0} runs/s  {phase.Elapsed.TotalMilliseconds / (people * StepsPerRun):F2} ms/step");
        return new Result(provider, name, people, phase.Elapsed, null, null, phase.PeakMb);
    }

    private static async Task<Result> PacedAsync(string provider, BenchOptions options, double rate, TimeSpan duration)
    {
        var ct = CancellationToken.None;
        await using var s = await SetUpAsync(provider, options, nullTargets: false);
        var signal = new SemaphoreSlim(0);
        using var stop = new CancellationTokenSource();
        var engineLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await s.Engine.TickAsync(ct, scanDates: false);
                try
                {
                    await signal.WaitAsync(TimeSpan.FromSeconds(2), stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }, ct);
        var interval = TimeSpan.FromSeconds(1 / rate);
        var watch = Stopwatch.StartNew();
        var count = 0;
        using var probe = new PhaseProbe();
        while (watch.Elapsed < duration)
        {
            var due = interval * count;
            if (watch.Elapsed < due)
                await Task.Delay(due - watch.Elapsed, ct);
            await s.Sync.RunAsync(s.Workspace, "hris", Records(1_000_000 + count, 1), "bench", ct);
            signal.Release();
            count++;
        }
        // Let the last runs finish.
        var deadline = Stopwatch.StartNew();
        await using (var db = s.Database.Options.CreateContext())
        {
            while (await db.Runs.CountAsync(r => r.Status == RunStatus.Completed, ct) < count && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                signal.Release();
                await Task.Delay(50, ct);
            }
        }
        await stop.CancelAsync();
        await engineLoop;
        var phase = probe.Stop(count, provider, "paced", count, count);
        await using var ctx = s.Database.Options.CreateContext();
        var events = await ctx.OutboxEvents.AsNoTracking().Where(e => e.Type == "person.pre_hire").ToDictionaryAsync(e => e.PersonId, e => e.OccurredAt, ct);
        var runs = await ctx.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Completed).Select(r => new { r.PersonId, r.FinishedAt }).ToListAsync(ct);
        // The engine's clock is the bench clock (real time since 09:00 on the demo day), like the sync's.
        var latencies = runs.Where(r => events.ContainsKey(r.PersonId)).Select(r => (r.FinishedAt!.Value - events[r.PersonId]).TotalMilliseconds).Order().ToList();
        double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
        var name = $"paced {rate:0} events/s for {duration.TotalSeconds:0} s, sandbox targets";
        Console.Error.WriteLine($"   {name,-36} {count} events, {latencies.Count} runs completed, p50 {Percentile(0.5):F0} ms, p99 {Percentile(0.99):F0} ms");
        return new Result(provider, name, latencies.Count, phase.Elapsed, Percentile(0.5), Percentile(0.99), phase.PeakMb);
    }

    /// <summary>New hires as HRIS records: starting in two weeks, so each becomes a pre-hire.</summary>
    private static async IAsyncEnumerable<SourceItem> Records(int first, int count)
    {
        var start = AcmeDataGenerator.DemoToday.AddDays(14).ToString("MM/dd/yyyy", CultureInfo.InvariantCulture);
        string[] departments = ["Engineering", "Sales", "Finance", "People", "Marketing"];
        for (var i = 0; i < count; i++)
        {
            var id = (500000 + first + i).ToString(CultureInfo.InvariantCulture);
            yield return new NativeRecord("bench", i + 1, new Dictionary<string, string?>
            {
                ["Employee_ID"] = id,
                ["Legal_First_Name"] = "Bench",
                ["Legal_Last_Name"] = "Worker" + id,
                ["Employment_Begin_Date"] = start,
                ["Department"] = departments[i % departments.Length],
                ["Worker_Type"] = "Regular",
                ["Time_Zone"] = "Europe/Berlin",
            });
        }
        await Task.CompletedTask;
    }

    public static string Markdown(Machine machine, IReadOnlyList<Result> results, int people)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Workflow engine benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        sb.AppendLine(machine.ToString()).AppendLine();
        sb.AppendLine($"Onboarding wave of {people:N0} new hires (3 steps each: create account, groups, ticket); `dotnet run -c Release --project bench/Handoff.Bench -- workflows`.").AppendLine();
        sb.AppendLine("| provider | phase | runs | seconds | runs/s | ms per step (wall) | p50 event→done | p99 event→done | peak RSS MB |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Provider} | {r.Phase} | {r.Runs:N0} | {r.Elapsed.TotalSeconds:F1} | {r.RunsPerSecond:F0} | {r.MsPerStep:F2} | {(r.P50Ms is { } p50 ? $"{p50:F0} ms" : "")} | {(r.P99Ms is { } p99 ? $"{p99:F0} ms" : "")} | {r.PeakMb:F0} |");
        }
        return sb.ToString();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Handoff.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("run the benchmark from the repository");
    }

    /// <summary>Targets that answer at once from memory: what is left is the engine's own cost.</summary>
    private sealed class NullTargets : ITargetConnectorSource
    {
        private readonly ConcurrentDictionary<string, NullTarget> _targets = new();

        public ITargetConnector? Find(string systemId) => _targets.GetOrAdd(systemId, id => new NullTarget(id));
    }

    private sealed class NullTarget(string systemId) : ITargetConnector, IUniqueValueLookup
    {
        private readonly ConcurrentDictionary<string, string> _taken = new(StringComparer.OrdinalIgnoreCase);
        private long _next;

        public string SystemId => systemId;

        public Task<ConnectionCheck> TestAsync(CancellationToken ct) => Task.FromResult(new ConnectionCheck(true, "null", TimeSpan.Zero));

        public Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct) => Task.FromResult(new TargetSchema([]));

        public async IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            await Task.CompletedTask;
            yield break;
        }

        public Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
        {
            var id = operation.NativeId ?? $"{systemId}-{Interlocked.Increment(ref _next)}";
            if (operation[AccountAttributes.Username] is string username)
                _taken[username] = id;
            return Task.FromResult(TargetOperationResult.Done(id));
        }

        public ValueTask<bool> IsTakenAsync(string objectClass, string attribute, string value, CancellationToken ct) => ValueTask.FromResult(_taken.ContainsKey(value));

        public int? MaxLength(string objectClass, string attribute) => null;
    }
}
