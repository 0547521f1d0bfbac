using System.Text.Json;
using System.Threading.Channels;
using Handoff.Data;
using Handoff.Data.Jobs;

namespace Handoff.Server.Jobs;

/// <summary>
/// Long operations started from the web run here, in the server's own process, one at a time (the
/// machine's cores belong to the workflow engine and the requests first): a page POSTs, the job is
/// written to <c>background_jobs</c> and queued, and the browser is sent to <c>/Jobs/{id}</c>, which
/// polls its progress. The job does not belong to the request, so leaving the page does not stop it.
/// </summary>
public sealed class BackgroundJobQueue(HandoffRuntime runtime, IConfiguration configuration)
{
    private readonly Channel<Guid> _queue = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    public BackgroundJobStore Store { get; } = new(runtime.Database, runtime.Clock);

    /// <summary>Where exports are written (<c>Handoff:Jobs:Path</c>, default <c>./data/jobs</c>).</summary>
    public string ResultDirectory { get; } = configuration["Handoff:Jobs:Path"] ?? Path.GetFullPath(Path.Combine("data", "jobs"));

    public async Task<Guid> EnqueueAsync(string kind, object parameters, string startedBy, CancellationToken ct)
    {
        var row = await Store.CreateAsync(kind, JsonSerializer.Serialize(parameters, JsonDefaults.Options), startedBy, ct);
        await _queue.Writer.WriteAsync(row.Id, ct);
        return row.Id;
    }

    internal ChannelReader<Guid> Reader => _queue.Reader;
}

/// <summary>Takes queued jobs and runs them (see <see cref="BackgroundJobHandlers"/>); at start-up marks
/// the jobs a killed process left behind as failed ("interrupted").</summary>
public sealed class BackgroundJobRunner(BackgroundJobQueue queue, HandoffRuntime runtime, ILogger<BackgroundJobRunner> log) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var interrupted = await queue.Store.FailInterruptedAsync(cancellationToken);
        if (interrupted > 0)
            log.LogWarning("{Count} background job(s) left by a stopped server marked failed (interrupted)", interrupted);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var id in queue.Reader.ReadAllAsync(stoppingToken))
        {
            var job = await queue.Store.FindAsync(id, stoppingToken);
            if (job is null)
                continue;
            await using var progress = new JobProgress(queue.Store, id);
            // Wall time, not the runtime's clock: a demo or a test pins that one to a day.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                await queue.Store.StartAsync(id, stoppingToken);
                var result = await BackgroundJobHandlers.RunAsync(runtime, queue.ResultDirectory, job, progress, stoppingToken);
                await progress.StopAsync();
                var took = watch.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
                await queue.Store.CompleteAsync(id, result.Done, $"{result.Message} ({took} s)", result.Json, result.Path, CancellationToken.None);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await progress.StopAsync();
                await queue.Store.FailAsync(id, "interrupted: the server stopped while it ran; start it again", CancellationToken.None);
                return;
            }
            catch (Exception e)
            {
                await progress.StopAsync();
                // Domain errors (no such system, invalid YAML) are for the person who started the job.
                log.LogWarning(e, "background job {Id} ({Kind}) failed", id, job.Kind);
                await queue.Store.FailAsync(id, e.Message, CancellationToken.None);
            }
        }
    }
}

/// <summary>What a finished job hands back: units done, a line for people, a small JSON result, a file.</summary>
public sealed record JobResult(long Done, string Message, string? Json = null, string? Path = null);

/// <summary>
/// The operation's loop reports every unit of work (cheap: one interlocked write); a timer writes the
/// latest count to the job's row at most every <see cref="BackgroundJobStore.ProgressInterval"/>, so
/// the database sees a few updates a second however fast the loop runs.
/// </summary>
public sealed class JobProgress : IProgress<long>, IProgress<int>, IAsyncDisposable
{
    private readonly BackgroundJobStore _store;
    private readonly Guid _id;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private long _done;
    private long _total = -1;
    private string? _message;

    public JobProgress(BackgroundJobStore store, Guid id)
    {
        _store = store;
        _id = id;
        _writer = Task.Run(WriteLoopAsync);
    }

    public void Report(long value) => Interlocked.Exchange(ref _done, value);

    public void Report(int value) => Report((long)value);

    /// <summary>How many units there are in all, once the operation knows.</summary>
    public void SetTotal(long total) => Interlocked.Exchange(ref _total, total);

    /// <summary>What the job is doing now ("reading offers.csv").</summary>
    public void SetMessage(string message) => Volatile.Write(ref _message, message);

    public long Done => Interlocked.Read(ref _done);

    private async Task WriteLoopAsync()
    {
        long written = -1, totalWritten = -1;
        string? messageWritten = null;
        using var timer = new PeriodicTimer(BackgroundJobStore.ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var done = Done;
                var total = Interlocked.Read(ref _total);
                var message = Volatile.Read(ref _message);
                if (done == written && total == totalWritten && message == messageWritten)
                    continue;
                await _store.ProgressAsync(_id, done, total >= 0 ? total : null, message, _stop.Token);
                (written, totalWritten, messageWritten) = (done, total, message);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
            await _stop.CancelAsync();
        await _writer;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
