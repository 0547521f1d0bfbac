using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Audit;

/// <summary>A search of the audit log: actor and action contain the text (case-insensitive), times
/// from inclusive and to exclusive, newest first.</summary>
public sealed record AuditSearchQuery(string? Actor = null, string? Action = null, DateTimeOffset? From = null, DateTimeOffset? To = null,
    string? ObjectId = null, int Limit = 200);

public static class AuditSearch
{
    public static async Task<IReadOnlyList<AuditEntryRow>> SearchAsync(DatabaseOptions database, AuditSearchQuery q, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var query = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(q.Actor))
            query = query.Where(a => a.Actor.ToLower().Contains(q.Actor.Trim().ToLower()));
        if (!string.IsNullOrWhiteSpace(q.Action))
            query = query.Where(a => a.Action.ToLower().Contains(q.Action.Trim().ToLower()));
        if (!string.IsNullOrWhiteSpace(q.ObjectId))
            query = query.Where(a => a.ObjectId == q.ObjectId.Trim());
        if (q.From is { } from)
            query = query.Where(a => a.At >= from);
        if (q.To is { } to)
            query = query.Where(a => a.At < to);
        return await query.OrderByDescending(a => a.Sequence).Take(Math.Clamp(q.Limit, 1, 5000)).ToListAsync(ct);
    }
}
