using System.Globalization;
using System.Text;
using Handoff.Data;
using Handoff.Data.Audit;
using Handoff.Data.Jobs;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Handoff.Server.Sources;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Jobs;

/// <summary>A simulation of a workflow on generated people (<c>Count</c> up to <see cref="BackgroundJobHandlers.MaxSimulated"/>).</summary>
public sealed record SimulateJob(string Yaml, int Count, int Seed);

/// <summary>A CSV system's drop folder read now.</summary>
public sealed record SyncJob(string System);

/// <summary>The audit log (or a slice of it) as a file: <c>Format</c> csv or jsonl.</summary>
public sealed record AuditExportJob(string Format, DateTimeOffset? From, DateTimeOffset? To, string? PersonId, string? System);

/// <summary>The run history as a CSV file, one line per step.</summary>
public sealed record RunsExportJob(string? Status, string? Workflow, DateTimeOffset? Since);

/// <summary>A target reconciled now (<c>handoff reconcile SYSTEM [--dry-run]</c> from the web page), as the user who started it.</summary>
public sealed record ReconcileJob(string System, bool DryRun);

/// <summary>A reconciliation's outcome as the job page links it: the report.</summary>
public sealed record ReconcileSummary(string System, Guid Report, bool DryRun);

/// <summary>A simulation's outcome as the job page shows it: counts, and the failures (the first 200).</summary>
public sealed record SimulationSummary(string Workflow, int People, int InScope, int Writes, int Failures, IReadOnlyList<SimulatedFailure> FailureSample);

public sealed record SimulatedFailure(string Person, string? Defect, string Step, string Detail);

/// <summary>
/// What each kind of job does. Progress comes from the operation's own loop (people simulated, records
/// read, entries written) through <see cref="JobProgress"/>, never from a timer of its own.
/// </summary>
public static class BackgroundJobHandlers
{
    public const int MaxSimulated = 100_000;

    public static Task<JobResult> RunAsync(HandoffRuntime runtime, string resultDirectory, BackgroundJobRow job, JobProgress progress, CancellationToken ct) => job.Kind switch
    {
        BackgroundJobKind.Simulate => SimulateAsync(runtime, JsonDefaults.Deserialize<SimulateJob>(job.ParametersJson), progress, ct),
        BackgroundJobKind.Sync => SyncAsync(runtime, JsonDefaults.Deserialize<SyncJob>(job.ParametersJson), progress, ct),
        BackgroundJobKind.AuditExport => AuditExportAsync(runtime, resultDirectory, job.Id, JsonDefaults.Deserialize<AuditExportJob>(job.ParametersJson), progress, ct),
        BackgroundJobKind.RunsExport => RunsExportAsync(runtime, resultDirectory, job.Id, JsonDefaults.Deserialize<RunsExportJob>(job.ParametersJson), progress, ct),
        BackgroundJobKind.Reconcile => ReconcileAsync(runtime, job.StartedBy, JsonDefaults.Deserialize<ReconcileJob>(job.ParametersJson), progress, ct),
        _ => throw new InvalidOperationException($"unknown background job kind '{job.Kind}'"),
    };

    private static async Task<JobResult> SimulateAsync(HandoffRuntime runtime, SimulateJob p, JobProgress progress, CancellationToken ct)
    {
        var loaded = await runtime.Workflows.ValidateAsync(p.Yaml, "workflow.yaml", ct);
        if (!loaded.Succeeded)
            throw new WorkflowStateException("the workflow is not valid: " + string.Join("; ", loaded.Errors.Take(3)));
        var count = Math.Clamp(p.Count, 1, MaxSimulated);
        progress.SetTotal(count);
        progress.SetMessage($"simulating {loaded.Workflow!.Id} on {count} generated people");
        var report = await runtime.Simulator.ForGeneratedAsync(loaded.Workflow, count, p.Seed, ct, progress);
        var failures = report.Runs.Where(r => r.WouldFail).Take(200)
            .Select(r => (Run: r, Step: r.Steps.First(s => s.Outcome == "fail")))
            .Select(x => new SimulatedFailure(x.Run.PersonName, x.Run.Defect, x.Step.StepId, x.Step.Detail)).ToList();
        var summary = new SimulationSummary(report.Workflow, report.Runs.Count, report.Runs.Count(r => r.InScope), report.Writes, report.Failures, failures);
        return new JobResult(report.Runs.Count, $"{report.Workflow}: {report.Runs.Count} people, {report.Writes} planned writes, {report.Failures} would fail; nothing was written",
            JsonDefaults.Serialize(summary));
    }

    private static async Task<JobResult> ReconcileAsync(HandoffRuntime runtime, string startedBy, ReconcileJob p, JobProgress progress, CancellationToken ct)
    {
        progress.SetMessage($"{(p.DryRun ? "dry run: reading" : "reconciling")} {p.System}");
        var detail = await runtime.NewReconciler().RunAsync(p.System, p.DryRun, "user:" + startedBy, ct, progress);
        var r = detail.Report;
        var outcome = r.DryRun
            ? $"{detail.Items.Count(i => i.Repair == Handoff.Data.Reconciliation.RepairStatus.WouldRepair)} would be repaired"
            : $"{r.Repaired} repaired, {r.Held} held, {r.RepairFailed} failed";
        return new JobResult(r.Accounts, $"{(r.DryRun ? "Dry run" : "Reconciliation")} of {r.System}: {r.Accounts} account(s), {r.Drifted} drifted, {r.Orphan} orphan, " +
            $"{r.Unmanaged} unmanaged, {r.Missing} missing; {outcome}" + (r.Error is null ? "" : $"; the target could not be read: {r.Error}"),
            JsonDefaults.Serialize(new ReconcileSummary(r.System, r.Id, r.DryRun)));
    }

    private static async Task<JobResult> SyncAsync(HandoffRuntime runtime, SyncJob p, JobProgress progress, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var system = workspace.Definition.FindSystem(p.System) ?? throw new WorkspaceStateException($"no system '{p.System}' in the workspace");
        if (system.Connector == "csv")
            progress.SetTotal(SourceRuns.CountRecords(system, workspace.Directory));
        progress.SetMessage($"reading {system.Id}");
        var r = await SourceRuns.SyncAsync(runtime, p.System, null, ct, progress);
        // Each file's fate first (already applied, held by the guard and why), then what applied.
        var files = string.Join(" ", r.Deliveries.Where(d => d.Status != "applied").Select(d => d.Message));
        return new JobResult(r.Read, $"{(files.Length > 0 ? files + " — " : "")}{r.System}: read {r.Read}, created {r.Created}, updated {r.Updated}, unchanged {r.Unchanged}, rejected {r.Rejected}, held for review {r.Held}, future-dated {r.Scheduled}{(r.Stale > 0 ? $", older than the facts in force {r.Stale}" : "")} (sync #{r.SyncId})",
            JsonDefaults.Serialize(r));
    }

    private static async Task<JobResult> AuditExportAsync(HandoffRuntime runtime, string directory, Guid id, AuditExportJob p, JobProgress progress, CancellationToken ct)
    {
        var csv = p.Format == "csv";
        var query = new AuditExportQuery(p.From, p.To, p.PersonId, p.System);
        await using (var db = runtime.Database.CreateContext())
        {
            var rows = db.AuditEntries.AsNoTracking();
            if (query.From is { } from)
                rows = rows.Where(e => e.At >= from);
            if (query.To is { } to)
                rows = rows.Where(e => e.At < to);
            if (query.PersonId is { } person)
                rows = rows.Where(e => e.ObjectType == "person" && e.ObjectId == person);
            if (query.System is { } system)
                rows = rows.Where(e => e.System == system);
            progress.SetTotal(await rows.LongCountAsync(ct));
        }
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"audit-{id:N}.{(csv ? "csv" : "jsonl")}");
        long written;
        await using (var file = File.Create(path))
            written = await runtime.Audit.ExportAsync(query, csv ? AuditExportFormat.Csv : AuditExportFormat.Jsonl, file, ct, progress);
        return new JobResult(written, $"{written} audit entries written ({(csv ? "CSV" : "JSON lines")})", null, path);
    }

    private static async Task<JobResult> RunsExportAsync(HandoffRuntime runtime, string directory, Guid id, RunsExportJob p, JobProgress progress, CancellationToken ct)
    {
        var query = new RunQuery(p.Status, p.Workflow, null, p.Since);
        await using (var db = runtime.Database.CreateContext())
        {
            var runs = db.Runs.AsNoTracking();
            if (query.Status is { } status)
                runs = runs.Where(r => r.Status == status);
            if (query.WorkflowId is { } wf)
                runs = runs.Where(r => r.WorkflowId == wf);
            if (query.Since is { } since)
                runs = runs.Where(r => r.CreatedAt >= since);
            progress.SetTotal(await (from r in runs join s in db.RunSteps on r.Id equals s.RunId select s.Id).LongCountAsync(ct));
        }
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"runs-{id:N}.csv");
        await using (var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16))
            await runtime.Engine.ExportCsvAsync(writer, query, ct, progress);
        return new JobResult(progress.Done, string.Create(CultureInfo.InvariantCulture, $"{progress.Done} run steps written (CSV)"), null, path);
    }
}
