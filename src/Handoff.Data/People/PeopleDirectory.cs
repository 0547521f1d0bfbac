using Handoff.Core.Dictionary;
using Handoff.Core.People;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.People;

/// <summary>One line of a people list.</summary>
public sealed record PersonSummary(Guid Id, string DisplayName, string State, string? EmployeeId, string? StartDate, string? Department);

/// <summary>A person's value for one field and where it came from. Sensitive values are masked.</summary>
public sealed record FieldValue(string Field, string Label, string Classification, string Value, bool Masked, string System, string NativeKey,
    DateTimeOffset ObservedAt, DateOnly? EffectiveFrom);

public sealed record SourceLink(string System, string NativeKey, string Location, DateTimeOffset ObservedAt, DateOnly? EffectiveFrom);

public sealed record PendingLink(string System, string NativeKey, DateOnly EffectiveFrom, string Location);

public sealed record OpenFinding(long Id, string Field, string DetailJson, string? ChosenSystem);

public sealed record TimelineEntry(DateTimeOffset At, string Kind, string What, string Detail);

/// <summary>Everything known about one person: values with provenance, source records, future-dated
/// changes, findings, open review items and the timeline (outbox events and audit entries).</summary>
public sealed record PersonDetail(Guid Id, string DisplayName, string State, DateOnly? ReviewOn, IReadOnlyList<FieldValue> Fields,
    IReadOnlyList<SourceLink> Sources, IReadOnlyList<PendingLink> Pending, IReadOnlyList<OpenFinding> Findings,
    IReadOnlyList<ReviewItemRow> OpenReviews, IReadOnlyList<TimelineEntry> Timeline);

/// <summary>No person matches a reference.</summary>
public sealed class PersonNotFoundException(string message) : Exception(message);

/// <summary>Reads people for the CLI, the pages and the API: search, counts, one person in full.</summary>
public sealed class PeopleDirectory(DatabaseOptions database)
{
    public async Task<(IReadOnlyList<PersonSummary> People, int Total)> SearchAsync(string? search, string? state, int limit, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var query = db.People.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(state))
            query = query.Where(p => p.State == state);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var text = search.Trim().ToLower();
            // Name, or any correlation key (employee id, candidate id, work email) exactly.
            var byKey = db.PersonKeys.Where(k => k.Value == text).Select(k => k.PersonId);
            query = query.Where(p => p.DisplayName.ToLower().Contains(text) || byKey.Contains(p.Id));
        }
        var total = await query.CountAsync(ct);
        var rows = await query.OrderBy(p => p.DisplayName).Take(limit).ToListAsync(ct);
        return (rows.Select(Summary).ToList(), total);
    }

    public async Task<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var states = await db.People.GroupBy(p => p.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return states.ToDictionary(s => s.Key, s => s.Count);
    }

    /// <summary>Finds a person by id, id prefix, or any correlation key (employee id, email…).</summary>
    public static async Task<PersonRow> FindAsync(HandoffDbContext db, string reference, CancellationToken ct)
    {
        if (Guid.TryParse(reference, out var id))
            return await db.People.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw new PersonNotFoundException($"no person {id}");
        var key = reference.Trim().ToLowerInvariant();
        var byKey = await db.PersonKeys.AsNoTracking().Where(k => k.Value == key).Select(k => k.PersonId).Distinct().ToListAsync(ct);
        if (byKey.Count == 1)
            return await db.People.AsNoTracking().FirstAsync(p => p.Id == byKey[0], ct);
        if (byKey.Count > 1)
            throw new PersonNotFoundException($"'{reference}' matches {byKey.Count} people; use the person id");
        if (key.Length >= 8)
        {
            // Part of an id (ids are time-ordered, so their start is shared by people created together;
            // the end is random): compare in memory because the providers store Guids differently.
            var ids = await db.People.AsNoTracking().Select(p => p.Id).ToListAsync(ct);
            var hits = ids.Where(i => i.ToString().StartsWith(key, StringComparison.Ordinal) || i.ToString().EndsWith(key, StringComparison.Ordinal)).Take(2).ToList();
            if (hits.Count == 1)
                return await db.People.AsNoTracking().FirstAsync(p => p.Id == hits[0], ct);
        }
        throw new PersonNotFoundException($"no person matches '{reference}' (try an id, employee id, candidate id or work email)");
    }

    public async Task<PersonDetail> GetAsync(string reference, DictionaryDefinition dictionary, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var person = await FindAsync(db, reference, ct);
        var values = JsonDefaults.Deserialize<Dictionary<string, ResolvedValue>>(person.ValuesJson);
        var fields = new List<FieldValue>();
        foreach (var field in dictionary.Fields)
        {
            if (!values.TryGetValue(field.Name, out var v))
                continue;
            var masked = field.Classification == Classification.Sensitive;
            fields.Add(new FieldValue(field.Name, field.Label, field.Classification.ToString().ToLowerInvariant(), masked ? "•••• (sensitive)" : v.Value, masked,
                v.System, v.NativeKey, v.ObservedAt, v.EffectiveFrom));
        }

        var sources = await db.SourceRecords.AsNoTracking().Where(s => s.PersonId == person.Id).OrderBy(s => s.System).ToListAsync(ct);
        var keys = sources.Select(s => s.NativeKey).ToList();
        var pending = (await db.PendingChanges.AsNoTracking().Where(p => p.AppliedAt == null && keys.Contains(p.NativeKey)).ToListAsync(ct))
            .Where(p => sources.Any(s => s.System == p.System && s.NativeKey == p.NativeKey))
            .Select(p => new PendingLink(p.System, p.NativeKey, p.EffectiveFrom, p.Location)).ToList();
        var findings = await db.Findings.AsNoTracking().Where(f => f.PersonId == person.Id && f.Status == "open")
            .Select(f => new OpenFinding(f.Id, f.Field, f.DetailJson, f.ChosenSystem)).ToListAsync(ct);
        var reviews = await db.ReviewItems.AsNoTracking().Where(r => r.PersonId == person.Id && r.Status == "open").OrderBy(r => r.Id).ToListAsync(ct);

        var timeline = new List<TimelineEntry>();
        foreach (var e in await db.OutboxEvents.AsNoTracking().Where(e => e.PersonId == person.Id).OrderBy(e => e.Id).ToListAsync(ct))
            timeline.Add(new TimelineEntry(e.OccurredAt, "event", e.Type, e.PayloadJson));
        var id = person.Id.ToString();
        foreach (var a in await db.AuditEntries.AsNoTracking().Where(a => a.ObjectType == "person" && a.ObjectId == id).OrderBy(a => a.Sequence).ToListAsync(ct))
            timeline.Add(new TimelineEntry(a.At, "audit", a.Action, $"#{a.Sequence} by {a.Actor}: {a.FieldsJson}"));

        return new PersonDetail(person.Id, person.DisplayName, person.State, person.ReviewOn, fields,
            sources.Select(s => new SourceLink(s.System, s.NativeKey, s.Location, s.ObservedAt, s.EffectiveFrom)).ToList(),
            pending, findings, reviews, [.. timeline.OrderBy(t => t.At).ThenBy(t => t.Kind, StringComparer.Ordinal)]);
    }

    private static PersonSummary Summary(PersonRow p)
    {
        var values = JsonDefaults.Deserialize<Dictionary<string, ResolvedValue>>(p.ValuesJson);
        return new PersonSummary(p.Id, p.DisplayName, p.State, values.GetValueOrDefault("employee_id")?.Value,
            values.GetValueOrDefault("start_date")?.Value, values.GetValueOrDefault("department")?.Value);
    }
}
