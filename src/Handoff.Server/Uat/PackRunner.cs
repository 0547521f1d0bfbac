using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Handoff.Connectors.Webhook;
using Handoff.Core.Workspace;
using Handoff.Data;
using Handoff.Data.Sources;
using Handoff.Data.Workspace;
using Handoff.Server.Cli;
using Handoff.Server.Hooks;
using Handoff.Server.Scim;
using Handoff.Server.Sources;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Handoff.Server.Uat;

/// <summary>What one step did, or why it could not (the pack stops there).</summary>
public sealed record StepResult(PackStep Step, string Summary, string? Error = null)
{
    public TimeSpan Duration { get; init; }
}

/// <summary>One expectation with its verdict; a failure carries the first difference found.</summary>
public sealed record ExpectationResult(PackExpectation Expectation, bool Passed, string? Difference = null)
{
    /// <summary>The step number of an <see cref="ExpectStep"/> that checked it; null: after the last step.</summary>
    public int? AfterStep { get; init; }
}

/// <summary>The outcome of one run of a pack.</summary>
public sealed record PackResult(ScenarioPack Pack, string Hash, string Provider, IReadOnlyList<StepResult> Steps, IReadOnlyList<ExpectationResult> Expectations,
    TimeSpan Duration)
{
    public bool Passed => Steps.All(s => s.Error is null) && Expectations.Count > 0 && Expectations.All(e => e.Passed);

    public int PassedCount => Expectations.Count(e => e.Passed);

    /// <summary>Opening the database (migrating it when new) and applying the workspace.</summary>
    public TimeSpan Setup { get; init; }

    /// <summary>The dictionary's sensitive fields: their expected values are not printed.</summary>
    public IReadOnlySet<string> Sensitive { get; init; } = new HashSet<string>();

    /// <summary>An expectation as printed (sensitive expected values masked).</summary>
    public string Describe(PackExpectation expectation) => expectation is PersonExpectation p ? p.Redacted(Sensitive) : expectation.Describe;
}

/// <summary>
/// Runs a scenario pack on a database of its own: the pack's workspace is copied to a temporary folder
/// (with the pack's setting overrides), applied and its dictionary signed by the charter's approvers like
/// the demo does, then each step goes through the code production uses — <see cref="SourceRuns"/> for a
/// sync ("Sync now", <c>sync --file</c>), <see cref="WebhookDeliveryWorker"/> for a webhook body,
/// <see cref="ScimService"/> for a SCIM request, <see cref="Data.People.ScheduledChanges"/> and the
/// workflow engine for a tick, the delivery decisions of <c>handoff deliveries accept|reject</c> — on a
/// <see cref="HandoffRuntime"/> whose targets are the sandbox connectors. The expectations are then
/// checked against the database.
/// </summary>
public static class PackRunner
{
    /// <param name="database">An empty database of its own (it is migrated here when it is not yet).</param>
    /// <param name="keysDirectory">Where the run's key ring is created.</param>
    /// <param name="progress">Told each step's outcome as it finishes.</param>
    public static async Task<PackResult> RunAsync(ScenarioPack pack, DatabaseOptions database, string keysDirectory, CancellationToken ct,
        Action<StepResult>? progress = null)
    {
        var started = Stopwatch.StartNew();
        var hash = ScenarioPack.HashOf(pack.Directory);
        var workspaceDir = Path.Combine(Path.GetTempPath(), "handoff-uat-" + Guid.NewGuid().ToString("N")[..10]);
        var steps = new List<StepResult>();
        var expectations = new List<ExpectationResult>();
        try
        {
            CopyWorkspace(pack.Workspace, workspaceDir, pack.SystemSettings);
            var clock = new UatClock(pack.Today);
            // The run's own key ring, created silently: it lives as long as the throwaway database.
            var runtime = await HandoffRuntime.OpenAsync(database, clock, keysDirectory, _ => { }, ct);
            var run = new Run(runtime, clock, workspaceDir);
            await run.ApplyWorkspaceAsync(ct);
            var setup = started.Elapsed;
            foreach (var step in pack.Steps)
            {
                StepResult result;
                var watch = Stopwatch.StartNew();
                try
                {
                    if (step is ExpectStep check)
                    {
                        var checks = await PackChecks.LoadAsync(runtime, ct);
                        var found = new List<ExpectationResult>();
                        foreach (var expectation in check.Expectations)
                            found.Add(await checks.CheckAsync(expectation, ct) with { AfterStep = steps.Count + 1 });
                        expectations.AddRange(found);
                        result = new StepResult(step, $"{found.Count(f => f.Passed)} of {found.Count} passed") { Duration = watch.Elapsed };
                    }
                    else
                    {
                        result = new StepResult(step, await run.ExecuteAsync(step, ct)) { Duration = watch.Elapsed };
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    result = new StepResult(step, "", e.Message) { Duration = watch.Elapsed };
                }
                steps.Add(result);
                progress?.Invoke(result);
                if (result.Error is not null)
                    break;
            }
            var final = await PackChecks.LoadAsync(runtime, ct);
            var sensitive = (await runtime.Workspace.LoadActiveAsync(ct)).Definition.Dictionary.Fields
                .Where(f => f.Classification == Core.Dictionary.Classification.Sensitive).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var expectation in pack.Expectations)
                expectations.Add(await final.CheckAsync(expectation, ct));
            return new PackResult(pack, hash, database.Provider.ToString().ToLowerInvariant(), steps, expectations, started.Elapsed) { Setup = setup, Sensitive = sensitive };
        }
        finally
        {
            try
            {
                Directory.Delete(workspaceDir, recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder left behind is harmless.
            }
        }
    }

    /// <summary>Copies the workspace (not its <c>uat</c> folder of packs) and applies the pack's setting
    /// overrides to the copy's systems.yaml: the pack never edits the workspace it names.</summary>
    private static void CopyWorkspace(string from, string to, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> settings)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith("uat" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        if (settings.Count == 0)
            return;
        var path = Path.Combine(to, "systems.yaml");
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
            stream.Load(reader);
        var systems = (YamlSequenceNode)((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("systems")];
        foreach (var (id, overrides) in settings)
        {
            var system = systems.Children.OfType<YamlMappingNode>().FirstOrDefault(s => s.Children.TryGetValue(new YamlScalarNode("id"), out var v) && v.ToString() == id)
                ?? throw new PackFormatException([$"systems: the workspace has no system '{id}'"]);
            if (!system.Children.TryGetValue(new YamlScalarNode("config"), out var config))
                system.Children[new YamlScalarNode("config")] = config = new YamlMappingNode();
            foreach (var (key, value) in overrides)
                ((YamlMappingNode)config).Children[new YamlScalarNode(key)] = new YamlScalarNode(value);
        }
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        stream.Save(writer, assignAnchors: false);
    }

    /// <summary>The state of one run: the runtime, the clock and what later steps refer to.</summary>
    private sealed class Run(HandoffRuntime runtime, UatClock clock, string workspaceDir)
    {
        private Charter _charter = Charter.Empty;
        private string? _lastScimId;
        private int _webhooks;

        public async Task ApplyWorkspaceAsync(CancellationToken ct)
        {
            var loaded = WorkspaceLoader.Load(workspaceDir);
            if (!loaded.Succeeded)
                throw new WorkspaceValidationException(loaded.Errors);
            _charter = loaded.Workspace!.Charter;
            var applied = await runtime.Workspace.ApplyAsync(loaded.Workspace, workspaceDir, "uat", ct);
            if (applied.ProposedDictionaryVersion is { } v)
            {
                // Signed for the charter's first HR and first IT approver, as the demo does.
                await runtime.Workspace.ApproveAsync(v, Approver(SystemOwner.Hr, 0), ct);
                await runtime.Workspace.ApproveAsync(v, Approver(SystemOwner.It, 0), ct);
            }
        }

        private string Approver(SystemOwner side, int index)
        {
            var approvers = _charter.Members.Where(m => m.Side == side && m.Approver).ToList();
            return approvers.Count > index ? approvers[index].Id
                : throw new InvalidOperationException($"the workspace's charter needs {index + 1} {side.ToString().ToUpperInvariant()} approver(s) to sign for the pack, as the demo does");
        }

        public Task<string> ExecuteAsync(PackStep step, CancellationToken ct) => step switch
        {
            SyncStep s => SyncAsync(s, ct),
            WebhookStep w => WebhookAsync(w, ct),
            ScimStep s => ScimAsync(s, ct),
            TickStep t => TickAsync(t, ct),
            DecisionStep d => DecideAsync(d, ct),
            ReviewStep r => ReviewAsync(r, ct),
            RetryStep r => RetryAsync(r, ct),
            ActivateShippedStep => ActivateShippedAsync(ct),
            BaselineStep => BaselineAsync(ct),
            _ => throw new InvalidOperationException($"unknown step {step}"),
        };

        private async Task<string> SyncAsync(SyncStep step, CancellationToken ct)
        {
            string? file = step.File;
            if (step.Snapshot && step.File is not null)
            {
                // The pack's file lands in the drop folder as the system's next export.
                var workspace = await runtime.Workspace.LoadActiveAsync(ct);
                var system = workspace.Definition.FindSystem(step.System) ?? throw new InvalidOperationException($"no system '{step.System}' in the workspace");
                var folder = Connectors.Csv.CsvSourceOptions.FromSystem(system, workspace.Directory).Path;
                var target = File.Exists(folder) ? folder : Path.Combine(folder, step.FileName!);
                File.Copy(step.File, target, overwrite: true);
                file = null;
            }
            var report = await SourceRuns.SyncAsync(runtime, step.System, file, ct);
            var fates = string.Join("; ", report.Deliveries.Select(d => $"{d.Name} {d.Status}"));
            return $"{fates} — read {report.Read}, created {report.Created}, updated {report.Updated}, unchanged {report.Unchanged}, "
                + $"rejected {report.Rejected}, held for review {report.Held}, older than in force {report.Stale}";
        }

        /// <summary>Stores the body as <c>POST /hooks/{system}</c> does (received at <c>at</c>), then lets the
        /// webhook delivery worker take it through the pipeline.</summary>
        private async Task<string> WebhookAsync(WebhookStep step, CancellationToken ct)
        {
            var workspace = await runtime.Workspace.LoadActiveAsync(ct);
            if (workspace.Definition.FindSystem(step.System) is null)
                throw new InvalidOperationException($"no system '{step.System}' in the workspace");
            var body = await File.ReadAllTextAsync(step.Body, ct);
            JsonRecordReader.Read(Encoding.UTF8.GetBytes(body), step.BodyName); // refused up front, as the endpoint does
            var id = Guid.CreateVersion7();
            await using (var db = runtime.Database.CreateContext())
            {
                db.WebhookDeliveries.Add(new WebhookDeliveryRow
                {
                    Id = id,
                    System = step.System,
                    IdempotencyKey = $"uat-{++_webhooks}-{id:N}",
                    ReceivedAt = step.At ?? clock.GetUtcNow(),
                    Body = WebhookBody.Seal(runtime.Keys, body),
                });
                await db.SaveChangesAsync(ct);
            }
            var worker = new WebhookDeliveryWorker(runtime, new WebhookSignal(), NullLogger<WebhookDeliveryWorker>.Instance);
            while (await worker.ProcessNextAsync(ct))
            {
            }
            await using var check = runtime.Database.CreateContext();
            var stored = await check.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == id, ct);
            if (stored.Status != "processed")
                throw new InvalidOperationException($"webhook delivery {stored.Status}: {stored.Error}");
            var sync = await check.Syncs.AsNoTracking().SingleAsync(s => s.Id == stored.SyncId, ct);
            return $"processed — read {sync.Read}, created {sync.Created}, updated {sync.Updated}, unchanged {sync.Unchanged}, rejected {sync.Rejected}, held for review {sync.Held}";
        }

        /// <summary>A SCIM request of the token system's, through the SCIM service as the endpoint runs it:
        /// the write, then its records through the source pipeline, refused or not.</summary>
        private async Task<string> ScimAsync(ScimStep step, CancellationToken ct)
        {
            var workspace = await runtime.Workspace.LoadActiveAsync(ct);
            var system = workspace.Definition.FindSystem(step.TokenSystem) ?? throw new InvalidOperationException($"no system '{step.TokenSystem}' in the workspace");
            if (system.Connector != "scim-server")
                throw new InvalidOperationException($"a token of '{system.Id}' is refused by the SCIM server: it is no SCIM source (connector scim-server)");
            var caller = new ScimCaller(workspace.Definition, system, "https://handoff.invalid" + ScimApi.BasePath, runtime.Keys.ContentHash);
            var service = new ScimService(runtime);
            var segments = step.Path.Trim('/').Split('/');
            var type = segments[0] == "Users" ? ScimSchemas.Users : ScimSchemas.Groups;
            var id = segments.Length > 1 ? segments[1] : null;
            if (id == "{last}")
                id = _lastScimId ?? throw new InvalidOperationException("{last}: no resource was created by an earlier scim step");
            var body = step.Body is null ? null : JsonNode.Parse(await File.ReadAllTextAsync(step.Body, ct));
            var batch = new ScimWriteBatch();
            int status;
            string detail;
            try
            {
                switch (step.Method)
                {
                    case "POST":
                        var created = await service.CreateAsync(caller, type, body, batch, "", ct);
                        _lastScimId = created.Row.Id.ToString();
                        (status, detail) = (201, $"created {type.Name} {created.Row.Id}");
                        break;
                    case "PUT":
                        await service.ReplaceAsync(caller, type, Need(id), body, null, batch, "", ct);
                        (status, detail) = (200, $"replaced {type.Name} {id}");
                        break;
                    case "PATCH":
                        await service.PatchAsync(caller, type, Need(id), body, null, batch, "", ct);
                        (status, detail) = (200, $"patched {type.Name} {id}");
                        break;
                    default:
                        await service.DeleteAsync(caller, type, Need(id), null, batch, "", ct);
                        (status, detail) = (204, $"deleted {type.Name} {id}");
                        break;
                }
            }
            catch (ScimException e)
            {
                (status, detail) = (e.Status, e.Message);
            }
            finally
            {
                await service.FlushAsync(caller, batch, CancellationToken.None);
            }
            if (step.Status is { } expected ? expected != status : status >= 400)
                throw new InvalidOperationException($"SCIM answered {status}{(step.Status is { } s ? $", the step expects {s}" : "")}: {detail}");
            return $"{status}: {detail}";

            string Need(string? value) => value ?? throw new InvalidOperationException($"{step.Method} {step.Path}: the path names no resource id");
        }

        private async Task<string> TickAsync(TickStep step, CancellationToken ct)
        {
            clock.MoveTo(step.Today);
            var workspace = await runtime.Workspace.LoadActiveAsync(ct);
            var report = await runtime.Scheduled.RunAsync(workspace.Definition, ct);
            var engine = await runtime.Engine.TickAsync(ct);
            return $"future-dated changes applied {report.ChangesApplied}, lifecycle transitions {report.Transitions}; runs queued {engine.Queued}, executed {engine.Executed}";
        }

        private async Task<string> DecideAsync(DecisionStep step, CancellationToken ct)
        {
            var held = (await runtime.Deliveries.ListAsync(step.System, "held", 1, ct)).FirstOrDefault()
                ?? throw new InvalidOperationException($"there is no held {(step.System is null ? "" : step.System + " ")}delivery to {(step.Accept ? "accept" : "reject")}");
            var actor = "user:" + step.Actor;
            var outcome = step.Accept
                ? await SourceRuns.AcceptAsync(runtime, held.Id, actor, ct)
                : await runtime.Deliveries.RejectAsync(held.Id, actor, step.Reason, ct);
            return outcome.Message;
        }

        /// <summary>Decides the open review item of a held record, as <c>handoff review resolve</c> does.</summary>
        private async Task<string> ReviewAsync(ReviewStep step, CancellationToken ct)
        {
            var workspace = await runtime.Workspace.LoadActiveAsync(ct);
            long id;
            Data.People.ReviewDecision decision = new Data.People.ReviewDecision.NewPerson();
            await using (var db = runtime.Database.CreateContext())
            {
                id = await db.ReviewItems.Where(r => r.System == step.System && r.NativeKey == step.Key && r.Status == "open")
                    .OrderBy(r => r.Id).Select(r => (long?)r.Id).FirstOrDefaultAsync(ct)
                    ?? throw new InvalidOperationException($"no open review item for {step.System} record {step.Key}");
                if (step.Link is not null)
                    decision = new Data.People.ReviewDecision.Link((await Data.People.PeopleDirectory.FindAsync(db, step.Link, ct)).Id);
            }
            var item = await runtime.Review.ResolveAsync(workspace.Definition, id, decision, "user:" + step.Actor, ct);
            return $"review item {item.Id} ({item.Reason}) resolved: {item.Resolution}";
        }

        private async Task<string> RetryAsync(RetryStep step, CancellationToken ct)
        {
            var report = await SourceRuns.RetryQuarantineAsync(runtime, step.System, ct);
            var fates = string.Join("; ", report.Syncs.SelectMany(s => s.Deliveries).Select(d => d.Message));
            return $"retried {report.Retried} quarantined row(s){(fates.Length == 0 ? "" : ": " + fates)}";
        }

        private async Task<string> ActivateShippedAsync(CancellationToken ct)
        {
            var folder = Path.Combine(workspaceDir, "workflows");
            var files = Directory.EnumerateFiles(folder, "*.yaml").Order(StringComparer.Ordinal)
                .Where(f => Path.GetFileNameWithoutExtension(f) != DemoWorkflows.Baseline).ToList();
            var activated = new List<string>();
            foreach (var file in files)
                activated.Add(await ActivateAsync(file, ct));
            var tick = await runtime.Engine.TickAsync(ct);
            return $"{string.Join(", ", activated)} active; runs queued {tick.Queued}, executed {tick.Executed}";
        }

        private async Task<string> BaselineAsync(CancellationToken ct)
        {
            await using (var db = runtime.Database.CreateContext())
            {
                if (!await db.WorkflowVersions.AnyAsync(v => v.WorkflowId == DemoWorkflows.Baseline && v.Status == "active", ct))
                    await ActivateAsync(Path.Combine(workspaceDir, "workflows", DemoWorkflows.Baseline + ".yaml"), ct);
            }
            var ids = await runtime.Engine.StartManualAsync(DemoWorkflows.Baseline, null, null, 10_000, Approver(SystemOwner.It, 1), ct);
            var executed = await runtime.Engine.RunDueAsync(int.MaxValue, ct);
            return $"{DemoWorkflows.Baseline} run for {ids.Count} current worker(s); {executed} run(s) executed";
        }

        /// <summary>Proposed by the first HR approver, signed by the second (and the first IT approver when
        /// it widens access), activated by the second IT approver with the demo's backfill — the demo's way.</summary>
        private async Task<string> ActivateAsync(string file, CancellationToken ct)
        {
            var proposal = await runtime.Workflows.ProposeAsync(await File.ReadAllTextAsync(file, ct), file, Approver(SystemOwner.Hr, 0), ct);
            var reference = $"{proposal.WorkflowId}@v{proposal.Version}";
            await runtime.Workflows.ApproveAsync(reference, Approver(SystemOwner.Hr, 1), ct);
            if (proposal.Widens.Count > 0)
                await runtime.Workflows.ApproveAsync(reference, Approver(SystemOwner.It, 0), ct);
            await runtime.Workflows.ActivateAsync(reference, Approver(SystemOwner.It, 1), ct, DemoWorkflows.Backfill);
            return reference;
        }
    }
}

/// <summary>The pack's clock: the pinned day at 09:00 UTC, moving in real time within the day (so
/// deliveries and runs keep their order), and moved to a later day by a tick.</summary>
public sealed class UatClock(DateOnly today) : TimeProvider
{
    private DateTimeOffset _start = At(today);
    private long _startTicks = Stopwatch.GetTimestamp();

    public DateOnly Today { get; private set; } = today;

    public override DateTimeOffset GetUtcNow() => _start + Stopwatch.GetElapsedTime(_startTicks);

    public void MoveTo(DateOnly day)
    {
        if (day == Today)
            return;
        Today = day;
        _start = At(day);
        _startTicks = Stopwatch.GetTimestamp();
    }

    private static DateTimeOffset At(DateOnly day) => new(day.ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero);

    public override string ToString() => Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
