namespace Handoff.Data.Cluster;

/// <summary>
/// A <see cref="JobLease"/> held for the length of one operation (a reconciliation of one system):
/// renewed every third of the lease while the operation runs, given up when it ends, so a second
/// node (or a second CLI process) is refused while it runs and a crashed holder's lease simply runs
/// out. When a renewal finds the lease taken over (this node was paused past it), <see cref="Lost"/>
/// is canceled and the operation stops writing.
/// </summary>
public sealed class LeaseHold : IAsyncDisposable
{
    private readonly JobLease _leases;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewing;

    private LeaseHold(JobLease leases, JobLeaseRow held)
    {
        _leases = leases;
        Held = held;
        _renewing = RenewAsync();
    }

    public JobLeaseRow Held { get; }

    /// <summary>Canceled when the lease was taken over by another node.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Takes <paramref name="name"/>, or returns null and the current holder when another node has it.</summary>
    public static async Task<(LeaseHold? Hold, JobLeaseRow? Holder)> TryTakeAsync(JobLease leases, string name, CancellationToken ct)
    {
        var held = await leases.AcquireAsync(name, ct);
        if (held is null)
            return (null, await leases.HolderAsync(name, ct));
        return (new LeaseHold(leases, held), null);
    }

    private async Task RenewAsync()
    {
        var every = _leases.Lease / 3;
        try
        {
            while (true)
            {
                await Task.Delay(every, _stop.Token);
                var renewed = await _leases.AcquireAsync(Held.Name, _stop.Token);
                if (renewed is null || renewed.FencingToken != Held.FencingToken)
                {
                    await _lost.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception) when (!_stop.IsCancellationRequested)
        {
            // The database is away: the lease cannot be proven, so the operation stops rather than
            // write on while another node may take over.
            await _lost.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewing;
        try
        {
            await _leases.ReleaseAsync(Held.Name, Held.FencingToken, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or System.Data.Common.DbException or TimeoutException)
        {
            // Not released: the lease runs out by itself.
        }
        _stop.Dispose();
        _lost.Dispose();
    }
}
