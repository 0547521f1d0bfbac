using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Jobs;

/// <summary>
/// A long operation started from the web (a large simulation, a source sync, an export) that runs in
/// the server's own process while the page that started it polls its progress. The row is the job's
/// only state that outlives a request: the page and the JSON endpoint read it, the runner writes it.
/// </summary>
public sealed class BackgroundJobRow
{
    public Guid Id { get; set; }
    /// <summary>simulate, sync, audit-export, runs-export (see <see cref="BackgroundJobKind"/>).</summary>
    public string Kind { get; set; } = "";
    public string Status { get; set; } = BackgroundJobStatus.Queued;
    /// <summary>What the job was asked to do, as JSON (the workflow YAML, the system, the export's filters).</summary>
    public string ParametersJson { get; set; } = "{}";
    /// <summary>Units of work done so far (people simulated, records read, entries or steps exported).</summary>
    public long Done { get; set; }
    /// <summary>Units of work in all, when known in advance (null: unknown, e.g. a webhook-fed system).</summary>
    public long? Total { get; set; }
    /// <summary>One line for people: what it is doing now, or why it failed.</summary>
    public string? Message { get; set; }
    /// <summary>A file the job wrote (an export) that the job page offers as a download.</summary>
    public string? ResultPath { get; set; }
    /// <summary>A small result as JSON (a simulation's summary, a sync's counts).</summary>
    public string? ResultJson { get; set; }
    public string StartedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}

public static class BackgroundJobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";

    public static bool IsFinal(string status) => status is Completed or Failed;
}

public static class BackgroundJobKind
{
    public const string Simulate = "simulate";
    public const string Sync = "sync";
    public const string AuditExport = "audit-export";
    public const string RunsExport = "runs-export";
    public const string Reconcile = "reconcile";
}

/// <summary>Reads and writes <c>background_jobs</c>. Progress is written at most every
/// <see cref="ProgressInterval"/> per job so a loop over 100,000 people costs a few dozen updates.</summary>
public sealed class BackgroundJobStore(DatabaseOptions database, TimeProvider clock)
{
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    public async Task<BackgroundJobRow> CreateAsync(string kind, string parametersJson, string startedBy, CancellationToken ct)
    {
        var row = new BackgroundJobRow
        {
            Id = Guid.NewGuid(),
            Kind = kind,
            ParametersJson = parametersJson,
            StartedBy = startedBy,
            CreatedAt = clock.GetUtcNow(),
        };
        await using var db = database.CreateContext();
        db.BackgroundJobs.Add(row);
        await db.SaveChangesAsync(ct);
        return row;
    }

    public async Task<BackgroundJobRow?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.BackgroundJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct);
    }

    /// <summary>The newest jobs of the given kinds (the ones the reader may see), newest first.</summary>
    public async Task<IReadOnlyList<BackgroundJobRow>> RecentAsync(IReadOnlyCollection<string> kinds, int count, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.BackgroundJobs.AsNoTracking().Where(j => kinds.Contains(j.Kind))
            .OrderByDescending(j => j.CreatedAt).Take(count).ToListAsync(ct);
    }

    public Task StartAsync(Guid id, CancellationToken ct) =>
        UpdateAsync(id, j =>
        {
            j.Status = BackgroundJobStatus.Running;
            j.StartedAt = clock.GetUtcNow();
        }, ct);

    public Task ProgressAsync(Guid id, long done, long? total, string? message, CancellationToken ct) =>
        UpdateAsync(id, j =>
        {
            j.Done = done;
            if (total is not null)
                j.Total = total;
            if (message is not null)
                j.Message = message;
        }, ct);

    public Task CompleteAsync(Guid id, long done, string message, string? resultJson, string? resultPath, CancellationToken ct) =>
        UpdateAsync(id, j =>
        {
            j.Status = BackgroundJobStatus.Completed;
            j.Done = done;
            j.Total ??= done;
            j.Message = message;
            j.ResultJson = resultJson;
            j.ResultPath = resultPath;
            j.FinishedAt = clock.GetUtcNow();
        }, ct);

    public Task FailAsync(Guid id, string message, CancellationToken ct) =>
        UpdateAsync(id, j =>
        {
            j.Status = BackgroundJobStatus.Failed;
            j.Message = message;
            j.FinishedAt = clock.GetUtcNow();
        }, ct);

    /// <summary>At start-up: a job still queued or running belonged to a process that is gone (the
    /// runner is in-process), so nobody will finish it. It is marked failed instead of spinning forever
    /// on its page. Returns how many.</summary>
    public async Task<int> FailInterruptedAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var left = await db.BackgroundJobs.Where(j => j.Status == BackgroundJobStatus.Queued || j.Status == BackgroundJobStatus.Running).ToListAsync(ct);
        var now = clock.GetUtcNow();
        foreach (var j in left)
        {
            j.Message = j.Status == BackgroundJobStatus.Running
                ? $"interrupted: the server stopped at {j.Done} of {j.Total?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}; start it again"
                : "interrupted: the server stopped before it started; start it again";
            j.Status = BackgroundJobStatus.Failed;
            j.FinishedAt = now;
        }
        await db.SaveChangesAsync(ct);
        return left.Count;
    }

    private async Task UpdateAsync(Guid id, Action<BackgroundJobRow> change, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var row = await db.BackgroundJobs.FirstOrDefaultAsync(j => j.Id == id, ct)
            ?? throw new InvalidOperationException($"no background job {id}");
        change(row);
        await db.SaveChangesAsync(ct);
    }
}
