using System.Globalization;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Workflows;

/// <summary>
/// A target system's write threshold (<c>threshold_count</c>, <c>threshold_share</c>,
/// <c>threshold_window</c>, default 24 h), read once and shared by the engine (disables and deletes) and
/// by reconciliation (repairs), so both count "N changes per window per system" the same way and hold
/// what passes it as <c>staged_writes</c> rows an approver releases.
/// </summary>
/// <remarks>Each kind of write counts in its own bucket of <c>staged_writes</c> (the engine's disables and
/// deletes, reconciliation's repairs): a night of repaired titles must not hold a leaver's disable, and the
/// reverse. Decisions are taken under <see cref="LockAsync"/>, so two deciders cannot both slip under.</remarks>
public sealed record WriteThreshold(int? MaxCount, double? MaxShare, TimeSpan Window)
{
    /// <summary>Fewest linked accounts for which the share threshold is applied: a share of a handful of
    /// accounts says nothing (deleting the only account is 100 %); the count rule always applies.</summary>
    public const int ShareMinimum = 10;

    /// <summary>The threshold of a system, or null when it sets none.</summary>
    public static WriteThreshold? For(SystemDefinition? system)
    {
        var countText = system?.Setting("threshold_count");
        var shareText = system?.Setting("threshold_share");
        if (countText is null && shareText is null)
            return null;
        var window = WorkflowTime.TryParseDuration(system?.Setting("threshold_window") ?? "24h", out var w) ? w : TimeSpan.FromDays(1);
        return new WriteThreshold(
            countText is not null && int.TryParse(countText, CultureInfo.InvariantCulture, out var c) ? c : null,
            shareText is not null && double.TryParse(shareText, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : null,
            window);
    }

    public string WindowText => WorkflowTime.Format(Window);

    /// <summary>True when <paramref name="wouldBe"/> writes within the window exceed the count.</summary>
    public bool CountPassed(int wouldBe) => MaxCount is { } max && wouldBe > max;

    /// <summary>True when <paramref name="wouldBe"/> writes are a larger share of the linked accounts than allowed.</summary>
    public bool SharePassed(int wouldBe, int linked) => MaxShare is { } max && linked >= ShareMinimum && (double)wouldBe / linked > max;

    /// <summary>Serialises threshold decisions of one system across nodes: on PostgreSQL a
    /// transaction-level advisory lock (the caller holds a transaction); SQLite has one writer anyway.</summary>
    public static async Task LockAsync(HandoffDbContext db, string system, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(hashtext({0}))", ["threshold:" + system], ct);
    }
}
