using Handoff.Core.Audit;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.People;

/// <summary>A reviewer's decision on a held record.</summary>
public abstract record ReviewDecision
{
    /// <summary>The record belongs to this existing person.</summary>
    public sealed record Link(Guid PersonId) : ReviewDecision;

    /// <summary>The record is a different person: create them.</summary>
    public sealed record NewPerson : ReviewDecision;

    /// <summary>Drop the record (a true duplicate, test data); the source should be fixed.</summary>
    public sealed record Dismiss : ReviewDecision;

    /// <summary>For a manual-rule field: the value of this system wins.</summary>
    public sealed record Accept(string System) : ReviewDecision;
}

/// <summary>The review queue: what Handoff would not guess, and the decisions people make on it.
/// A decision and its effect on the person commit together.</summary>
public sealed class ReviewQueue(DatabaseOptions database, TimeProvider clock, KeyMaterial keys, AuditLog audit)
{
    public async Task<IReadOnlyList<ReviewItemRow>> ListAsync(bool includeResolved, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.ReviewItems.AsNoTracking()
            .Where(r => includeResolved || r.Status == "open")
            .OrderBy(r => r.Id).ToListAsync(ct);
    }

    /// <summary>"Report a problem" on one of a person's values: files a <c>reported</c> review item for
    /// that field, naming the source the value came from. It is resolved like a manual conflict: accept
    /// another system's value, or dismiss once the source was fixed.</summary>
    public async Task<ReviewItemRow> ReportAsync(Guid personId, string field, string note, string actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(note))
            throw new ReviewException("say what is wrong with the value");
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        var person = await db.People.AsNoTracking().SingleOrDefaultAsync(p => p.Id == personId, ct)
            ?? throw new ReviewException($"person {personId} does not exist");
        var values = JsonDefaults.Deserialize<Dictionary<string, Core.People.ResolvedValue>>(person.ValuesJson);
        if (!values.TryGetValue(field, out var value))
            throw new ReviewException($"{person.DisplayName} has no value for {field}");
        var item = new ReviewItemRow
        {
            Kind = "reported",
            System = value.System,
            NativeKey = value.NativeKey,
            PersonId = personId,
            Field = field,
            Reason = $"reported by {actor}: {note.Trim()}",
            CreatedAt = now,
        };
        db.ReviewItems.Add(item);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        // The note is free text about a person's value: the log keeps only that a report was made.
        await audit.AppendAsync(db, new AuditDraft($"user:{actor}", "review.reported", "review_item", item.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [new("field", null, field), new("person", null, personId.ToString())], value.System, $"review:{item.Id}", now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return item;
    }

    public async Task<ReviewItemRow> ResolveAsync(WorkspaceDefinition workspace, long id, ReviewDecision decision, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        var item = await db.ReviewItems.SingleOrDefaultAsync(r => r.Id == id, ct)
            ?? throw new ReviewException($"review item {id} does not exist");
        if (item.Status != "open")
            throw new ReviewException($"review item {id} is already {item.Status} ({item.Resolution})");

        var drafts = new List<AuditDraft>();
        if (item.Field is not null)
        {
            await ResolveManualFieldAsync(db, workspace, new FieldProtection(workspace.Dictionary, keys), item, decision, now, ct);
            if (item.Resolution?.EndsWith(" wins", StringComparison.Ordinal) == true)
                drafts.Add(new AuditDraft($"user:{actor}", "person.changed", "person", item.PersonId!.Value.ToString(),
                    [new(item.Field, null, item.Resolution)], null, $"review:{id}", now));
        }
        else
        {
            var protection = new FieldProtection(workspace.Dictionary, keys);
            var record = protection.DeserializeHeld(item.RecordJson).ToMapped();
            var people = new PersonBatch(db, workspace.Dictionary, protection, now) { Actor = $"user:{actor}", CorrelationId = $"review:{id}" };
            switch (decision)
            {
                case ReviewDecision.Link link:
                    if (!await db.People.AnyAsync(p => p.Id == link.PersonId, ct))
                        throw new ReviewException($"person {link.PersonId} does not exist");
                    await people.LoadAsync(record.System, [record], ct);
                    await people.LoadPeopleAsync([link.PersonId], ct);
                    people.Apply(record, link.PersonId, now);
                    drafts.AddRange(people.AuditDrafts);
                    item.Resolution = $"linked to {link.PersonId}";
                    break;
                case ReviewDecision.NewPerson:
                    await people.LoadAsync(record.System, [record], ct);
                    people.Apply(record, null, now);
                    drafts.AddRange(people.AuditDrafts);
                    item.Resolution = "new person";
                    break;
                case ReviewDecision.Dismiss:
                    item.Resolution = "dismissed";
                    break;
                default:
                    throw new ReviewException($"a {item.Kind} item is resolved with --link, --new or --dismiss");
            }
        }

        item.Status = "resolved";
        item.ResolvedBy = actor;
        item.ResolvedAt = now;
        drafts.Add(new AuditDraft($"user:{actor}", "review.resolved", "review_item", id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [new("kind", null, item.Kind), new("resolution", null, item.Resolution)], item.System, $"review:{id}", now));
        db.ChangeTracker.DetectChanges();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await audit.AppendAsync(db, drafts, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return item;
    }

    private static async Task ResolveManualFieldAsync(HandoffDbContext db, WorkspaceDefinition workspace, FieldProtection protection, ReviewItemRow item, ReviewDecision decision, DateTimeOffset now, CancellationToken ct)
    {
        switch (decision)
        {
            case ReviewDecision.Accept accept:
                var person = await db.People.SingleAsync(p => p.Id == item.PersonId, ct);
                var source = await db.SourceRecords.AsNoTracking()
                    .FirstOrDefaultAsync(s => s.PersonId == person.Id && s.System == accept.System, ct)
                    ?? throw new ReviewException($"{accept.System} has no record for this person");
                var said = protection.DeserializeValues(source.ValuesJson);
                if (!said.TryGetValue(item.Field!, out var value) || value is null)
                    throw new ReviewException($"{accept.System} has no value for {item.Field}");
                var values = protection.DeserializeResolved(person.ValuesJson);
                var before = values.TryGetValue(item.Field!, out var old) ? old.Value : null;
                values[item.Field!] = new Core.People.ResolvedValue(value, source.System, source.NativeKey, source.ObservedAt, source.EffectiveFrom);
                person.ValuesJson = protection.SerializeResolved(values);
                person.UpdatedAt = now;
                person.Version++;
                if (before != value)
                {
                    var sensitive = workspace.Dictionary.FindField(item.Field!)?.Classification == Core.Dictionary.Classification.Sensitive;
                    db.OutboxEvents.Add(new Events.OutboxEventRow
                    {
                        PersonId = person.Id,
                        Type = "person.changed",
                        PayloadJson = JsonDefaults.Serialize(new
                        {
                            fields = new[] { item.Field },
                            changes = new[] { sensitive ? (object)new { field = item.Field, source = accept.System, sensitive = true } : new { field = item.Field, from = before, to = value, source = accept.System } },
                            source = "review",
                        }),
                        OccurredAt = now,
                    });
                }
                item.Resolution = $"{accept.System} wins";
                break;
            case ReviewDecision.Dismiss:
                item.Resolution = "dismissed";
                break;
            default:
                throw new ReviewException($"a {item.Kind} item is resolved with --accept SYSTEM or --dismiss");
        }
    }
}

public sealed class ReviewException(string message) : Exception(message);
