using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Governance;

public sealed class ChangePlanException(string message) : Exception(message);

/// <summary>A workflow's change plan: its communications and its training pages per role.</summary>
public sealed record ChangePlan(string WorkflowId, IReadOnlyList<ChangeCommunicationRow> Communications, IReadOnlyList<ChangeTrainingRow> Training);

/// <summary>
/// The change plan of each workflow: who is told what, through which channel, when and by whom
/// (planned → sent → done), and training material per role as Markdown. Every change is audited.
/// </summary>
public sealed class ChangePlanStore(DatabaseOptions database, TimeProvider clock, AuditLog audit)
{
    public static readonly string[] Statuses = ["planned", "sent", "done"];
    public static readonly string[] Channels = ["email", "chat", "meeting", "intranet", "letter", "other"];
    public static readonly string[] Roles = ["hr_admin", "hr_operator", "it_admin", "it_operator", "auditor", "viewer", "employee", "manager"];

    public async Task<ChangePlan> GetAsync(string workflowId, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        await RequireWorkflowAsync(db, workflowId, ct);
        var comms = await db.ChangeCommunications.AsNoTracking().Where(c => c.WorkflowId == workflowId).ToListAsync(ct);
        var training = await db.ChangeTraining.AsNoTracking().Where(t => t.WorkflowId == workflowId).OrderBy(t => t.Role).ToListAsync(ct);
        return new ChangePlan(workflowId, comms.OrderBy(c => c.Date).ThenBy(c => c.Id).ToList(), training);
    }

    public async Task<ChangeCommunicationRow> AddCommunicationAsync(string workflowId, string audience, string message, string channel, DateOnly date, string owner, string actor, CancellationToken ct)
    {
        Require(audience, "audience", 200);
        Require(message, "message", 4000);
        Require(owner, "owner", 200);
        if (!Channels.Contains(channel))
            throw new ChangePlanException($"channel \"{channel}\": expected one of {string.Join(", ", Channels)}");
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await RequireWorkflowAsync(db, workflowId, ct);
        var row = new ChangeCommunicationRow
        {
            WorkflowId = workflowId,
            Audience = audience.Trim(),
            Message = message.Trim(),
            Channel = channel,
            Date = date,
            Owner = owner.Trim(),
            Status = "planned",
            UpdatedBy = actor,
            UpdatedAt = now,
        };
        db.ChangeCommunications.Add(row);
        await db.SaveChangesAsync(ct);
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "change.communication.planned", "change_communication", row.Id.ToString(CultureInfo.InvariantCulture),
            [new("workflow", null, workflowId), new("audience", null, row.Audience), new("channel", null, channel), new("date", null, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    public async Task<ChangeCommunicationRow> SetCommunicationStatusAsync(long id, string status, string actor, CancellationToken ct)
    {
        if (!Statuses.Contains(status))
            throw new ChangePlanException($"status \"{status}\": expected one of {string.Join(", ", Statuses)}");
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.ChangeCommunications.SingleOrDefaultAsync(c => c.Id == id, ct)
            ?? throw new ChangePlanException($"communication #{id} does not exist");
        var before = row.Status;
        (row.Status, row.UpdatedBy, row.UpdatedAt) = (status, actor, now);
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "change.communication.status", "change_communication", id.ToString(CultureInfo.InvariantCulture),
            [new("status", before, status)], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>Creates or replaces the training page of one role for one workflow.</summary>
    public async Task<ChangeTrainingRow> SaveTrainingAsync(string workflowId, string role, string title, string markdown, string actor, CancellationToken ct)
    {
        if (!Roles.Contains(role))
            throw new ChangePlanException($"role \"{role}\": expected one of {string.Join(", ", Roles)}");
        Require(title, "title", 200);
        Require(markdown, "training text", 100_000);
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await RequireWorkflowAsync(db, workflowId, ct);
        var row = await db.ChangeTraining.SingleOrDefaultAsync(t => t.WorkflowId == workflowId && t.Role == role, ct);
        var created = row is null;
        if (row is null)
            db.ChangeTraining.Add(row = new ChangeTrainingRow { WorkflowId = workflowId, Role = role });
        (row.Title, row.Markdown, row.UpdatedBy, row.UpdatedAt) = (title.Trim(), markdown, actor, now);
        await db.SaveChangesAsync(ct);
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", created ? "change.training.created" : "change.training.updated", "change_training", $"{workflowId}/{role}",
            [new("title", null, row.Title), new("characters", null, markdown.Length.ToString(CultureInfo.InvariantCulture))], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row;
    }

    private static void Require(string? value, string what, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ChangePlanException($"{what} is required");
        if (value.Length > max)
            throw new ChangePlanException($"{what} is {value.Length} characters; at most {max}");
    }

    private static async Task RequireWorkflowAsync(HandoffDbContext db, string workflowId, CancellationToken ct)
    {
        if (!await db.WorkflowVersions.AnyAsync(v => v.WorkflowId == workflowId, ct))
            throw new ChangePlanException($"no workflow \"{workflowId}\": a change plan belongs to a proposed or live workflow");
    }
}
