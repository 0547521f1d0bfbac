using Handoff.Core.Connectors;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Sandbox;

/// <summary>How an injected fault makes a sandbox system behave.</summary>
public enum SandboxFaultMode
{
    /// <summary>The system cannot be reached: <see cref="ConnectorFailure.Unavailable"/> (transient).</summary>
    Down,
    /// <summary>The call waits the fault's delay, then succeeds (honouring cancellation).</summary>
    Slow,
    /// <summary>The system refuses the write: <see cref="ConnectorFailure.SchemaViolation"/> (permanent).</summary>
    SchemaViolation,
    /// <summary>The system reports a clash: <see cref="ConnectorFailure.Conflict"/> (permanent).</summary>
    Conflict,
}

/// <summary>The fault that a call consumed.</summary>
public sealed record SandboxFault(long Id, string SystemId, string Operation, SandboxFaultMode Mode, int? Remaining, DateTimeOffset? Until, TimeSpan Delay);

/// <summary>
/// Fault injection for sandbox systems (midPoint's "fake target" idea): set a fault with
/// <see cref="SetAsync"/>, and the sandbox connector consults the table on every call. A counted
/// fault is decremented atomically by the call that uses it, so two workers never both use its last
/// count.
/// </summary>
public static class SandboxFaults
{
    /// <summary>The operation name that matches every write (and, for <c>down</c>, every call).</summary>
    public const string AnyOperation = "*";

    /// <summary>The operation name of <see cref="ITargetConnector.ReadAsync"/>.</summary>
    public const string ReadOperation = "read";

    /// <summary>Operation names a fault may name: <c>*</c>, <c>read</c> and each write kind in
    /// snake_case (<c>create</c>, <c>set_expiry</c>, <c>create_ticket</c> …).</summary>
    public static IReadOnlyList<string> Operations { get; } =
        [AnyOperation, ReadOperation, .. Enum.GetValues<TargetOperationKind>().Select(OperationName)];

    /// <summary>The snake_case name of a write kind: <c>AddToGroups</c> → <c>add_to_groups</c>.</summary>
    public static string OperationName(TargetOperationKind kind) => HandoffDbContext.SnakeCase(kind.ToString());

    public static string ModeName(SandboxFaultMode mode) => HandoffDbContext.SnakeCase(mode.ToString());

    /// <summary>Parses <c>down</c>, <c>slow</c>, <c>schema_violation</c> / <c>schema-violation</c>, <c>conflict</c>.</summary>
    public static SandboxFaultMode? ParseMode(string text) =>
        Enum.GetValues<SandboxFaultMode>().Cast<SandboxFaultMode?>()
            .FirstOrDefault(m => ModeName(m!.Value) == text.Trim().ToLowerInvariant().Replace('-', '_'));

    /// <summary>Adds a fault to a system.</summary>
    /// <param name="count">how many calls it affects (null: until <paramref name="until"/> or cleared)</param>
    /// <param name="until">when it stops (null: until its count runs out or it is cleared)</param>
    /// <param name="delay">for <see cref="SandboxFaultMode.Slow"/>: how long each call waits (default 2 s)</param>
    /// <param name="operation">one operation name (see <see cref="Operations"/>) or null for every write</param>
    public static async Task<SandboxFault> SetAsync(HandoffDbContext db, string systemId, SandboxFaultMode mode, int? count = null,
        DateTimeOffset? until = null, TimeSpan? delay = null, string? operation = null, CancellationToken ct = default, TimeProvider? clock = null)
    {
        var op = NormalizeOperation(operation);
        if (count is <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), count, "a fault's count must be at least 1");
        if (delay is { } d && d < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "a delay cannot be negative");
        var row = new SandboxFaultRow
        {
            SystemId = systemId,
            Operation = op,
            Mode = ModeName(mode),
            Remaining = count,
            Until = until,
            DelayMs = (int)(delay ?? (mode == SandboxFaultMode.Slow ? TimeSpan.FromSeconds(2) : TimeSpan.Zero)).TotalMilliseconds,
            CreatedAt = (clock ?? TimeProvider.System).GetUtcNow(),
        };
        db.SandboxFaults.Add(row);
        await db.SaveChangesAsync(ct);
        return ToFault(row);
    }

    /// <summary>Removes every fault of a system; returns how many there were.</summary>
    public static Task<int> ClearAsync(HandoffDbContext db, string systemId, CancellationToken ct = default) =>
        db.SandboxFaults.Where(f => f.SystemId == systemId).ExecuteDeleteAsync(ct);

    /// <summary>The faults of a system that still have an effect at <paramref name="now"/>.</summary>
    public static async Task<IReadOnlyList<SandboxFault>> ActiveAsync(HandoffDbContext db, string systemId, DateTimeOffset now, CancellationToken ct = default)
    {
        var rows = await db.SandboxFaults.AsNoTracking().Where(f => f.SystemId == systemId).OrderBy(f => f.Id).ToListAsync(ct);
        return [.. rows.Where(f => IsActive(f, now)).Select(ToFault)];
    }

    /// <summary>
    /// Finds the fault that applies to one call of <paramref name="operation"/> and uses it up: a fault
    /// naming the operation wins over <c>*</c>, older over newer; a counted fault is decremented with a
    /// conditional update (removed when it reaches zero), so its last count goes to exactly one caller.
    /// Writes consult faults for their operation and <c>*</c>; reads only faults naming <c>read</c>.
    /// </summary>
    public static async Task<SandboxFault?> ConsumeAsync(HandoffDbContext db, string systemId, string operation, DateTimeOffset now, CancellationToken ct = default)
    {
        var candidates = await db.SandboxFaults.AsNoTracking()
            .Where(f => f.SystemId == systemId && (f.Operation == operation || (operation != ReadOperation && f.Operation == AnyOperation)))
            .OrderBy(f => f.Id).ToListAsync(ct);
        foreach (var f in candidates.Where(f => IsActive(f, now)).OrderBy(f => f.Operation == AnyOperation).ThenBy(f => f.Id))
        {
            if (f.Remaining is null)
                return ToFault(f);
            var id = f.Id;
            var taken = await db.SandboxFaults.Where(x => x.Id == id && x.Remaining > 0)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Remaining, x => x.Remaining - 1), ct);
            if (taken == 0)
                continue; // another caller used its last count
            await db.SandboxFaults.Where(x => x.Id == id && x.Remaining <= 0).ExecuteDeleteAsync(ct);
            return ToFault(f) with { Remaining = f.Remaining - 1 };
        }
        return null;
    }

    /// <summary>An active <c>down</c> fault for every operation, without using it up: what makes the
    /// system unreachable for tests, schema discovery, lookups and validation.</summary>
    public static async Task<SandboxFault?> DownAsync(HandoffDbContext db, string systemId, DateTimeOffset now, CancellationToken ct = default)
    {
        var down = ModeName(SandboxFaultMode.Down);
        var rows = await db.SandboxFaults.AsNoTracking()
            .Where(f => f.SystemId == systemId && f.Mode == down && f.Operation == AnyOperation).OrderBy(f => f.Id).ToListAsync(ct);
        return rows.Where(f => IsActive(f, now)).Select(ToFault).FirstOrDefault();
    }

    public static string NormalizeOperation(string? operation)
    {
        var op = string.IsNullOrWhiteSpace(operation) ? AnyOperation : operation.Trim().ToLowerInvariant().Replace('-', '_');
        if (!Operations.Contains(op))
            throw new ArgumentException($"unknown operation \"{operation}\"; expected one of {string.Join(", ", Operations)}", nameof(operation));
        return op;
    }

    private static bool IsActive(SandboxFaultRow f, DateTimeOffset now) =>
        (f.Remaining is null || f.Remaining > 0) && (f.Until is null || f.Until > now);

    private static SandboxFault ToFault(SandboxFaultRow f) =>
        new(f.Id, f.SystemId, f.Operation, ParseMode(f.Mode) ?? throw new InvalidOperationException($"unknown fault mode \"{f.Mode}\""),
            f.Remaining, f.Until, TimeSpan.FromMilliseconds(f.DelayMs));
}
