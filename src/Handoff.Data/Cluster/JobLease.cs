using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Cluster;

/// <summary>
/// Cluster-wide periodic jobs on one database: before a node runs a job it acquires or renews the
/// job's lease with one conditional upsert — taken when nobody holds it, when this node already holds
/// it, or when the holder's lease ran out (a dead or paused node). PostgreSQL evaluates the
/// <c>ON CONFLICT … WHERE</c> under the row lock, so two nodes racing for an expired lease cannot both
/// win; SQLite has one writer at a time anyway. A job runs when its lease is held and its interval has
/// passed since <see cref="JobLeaseRow.LastRunAt"/>, so it fires once per interval across the cluster,
/// whichever node holds it.
/// </summary>
/// <remarks>The jobs themselves stay idempotent (scan marks, unique run keys, the latest missed
/// occurrence only), so a holder that was paused past its lease and wakes mid-job repeats at worst an
/// idempotent pass; <see cref="MarkRunAsync"/> is fenced by the token and reports the lost lease.</remarks>
public sealed class JobLease(DatabaseOptions database, TimeProvider clock, string node, TimeSpan lease)
{
    /// <summary>The node id this instance acquires leases for.</summary>
    public string Node => node;

    public TimeSpan Lease => lease;

    /// <summary>Raised after a lease was taken over from another node (its lease had run out).</summary>
    public event Action<string>? TakenOver;

    /// <summary>Acquires or renews <paramref name="name"/>; returns the lease (with its fencing token) when
    /// this node holds it now, null when another node does.</summary>
    public async Task<JobLeaseRow?> AcquireAsync(string name, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + lease;
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The previous holder, read in the same transaction, tells a takeover from a renewal for the metrics.
        var before = await db.JobLeases.AsNoTracking().Where(l => l.Name == name).Select(l => l.Holder).FirstOrDefaultAsync(ct);
        var tokens = await db.Database.SqlQuery<long>($"""
            INSERT INTO job_leases (name, holder, lease_until, fencing_token, last_run_at) VALUES ({name}, {node}, {until}, 1, NULL)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until,
                fencing_token = CASE WHEN job_leases.holder = excluded.holder THEN job_leases.fencing_token ELSE job_leases.fencing_token + 1 END
            WHERE job_leases.holder = excluded.holder OR job_leases.lease_until < {now}
            RETURNING fencing_token AS "Value"
            """).ToListAsync(ct);
        await tx.CommitAsync(ct);
        if (tokens.Count == 0)
            return null;
        if (before is not null && before != node)
        {
            HandoffMetrics.LeaseTakeovers.Add(1, new KeyValuePair<string, object?>("kind", "job"), new KeyValuePair<string, object?>("job", name));
            TakenOver?.Invoke(name);
        }
        await using var read = database.CreateContext();
        return await read.JobLeases.AsNoTracking().SingleAsync(l => l.Name == name, ct);
    }

    /// <summary>Acquires the lease and tells whether the job is due (never ran, or ran at least
    /// <paramref name="interval"/> ago); null when another node holds it or it is not due.</summary>
    public async Task<JobLeaseRow?> AcquireDueAsync(string name, TimeSpan interval, CancellationToken ct)
    {
        var held = await AcquireAsync(name, ct);
        if (held is null)
            return null;
        return held.LastRunAt is { } last && clock.GetUtcNow() - last < interval ? null : held;
    }

    /// <summary>Records that the job ran, fenced by the token: false when the lease was taken over meanwhile.</summary>
    public async Task<bool> MarkRunAsync(JobLeaseRow held, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        return await db.JobLeases.Where(l => l.Name == held.Name && l.Holder == node && l.FencingToken == held.FencingToken)
            .ExecuteUpdateAsync(u => u.SetProperty(l => l.LastRunAt, now), ct) == 1;
    }

    /// <summary>Who holds <paramref name="name"/> now (null when nobody ever did).</summary>
    public async Task<JobLeaseRow?> HolderAsync(string name, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.JobLeases.AsNoTracking().SingleOrDefaultAsync(l => l.Name == name, ct);
    }

    /// <summary>Gives up <paramref name="name"/> if this node still holds it under <paramref name="fencingToken"/>.</summary>
    public async Task ReleaseAsync(string name, long fencingToken, CancellationToken ct)
    {
        var past = DateTimeOffset.UnixEpoch;
        await using var db = database.CreateContext();
        await db.JobLeases.Where(l => l.Name == name && l.Holder == node && l.FencingToken == fencingToken)
            .ExecuteUpdateAsync(u => u.SetProperty(l => l.LeaseUntil, past), ct);
    }

    /// <summary>Gives up every lease this node holds (on shutdown), so another node takes them at once
    /// instead of after the lease ran out.</summary>
    public async Task ReleaseAllAsync(CancellationToken ct)
    {
        var past = DateTimeOffset.UnixEpoch;
        await using var db = database.CreateContext();
        await db.JobLeases.Where(l => l.Holder == node).ExecuteUpdateAsync(u => u.SetProperty(l => l.LeaseUntil, past), ct);
    }
}
