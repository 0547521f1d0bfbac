using Handoff.Core.Audit;
using Handoff.Core.Dictionary;
using Handoff.Core.People;
using Handoff.Core.Sources;
using Handoff.Data.Events;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.People;

/// <summary>What applying one record did to its person.</summary>
public enum ApplyOutcome { Created, Updated, Unchanged, Held }

/// <summary>
/// The people touched by one batch of source records, loaded with all their source records and
/// keys in a few queries, then changed in memory and saved by the caller in one transaction.
/// It is also the correlation index for the batch, so a record sees the people that earlier
/// records of the same batch created. New rows go to <paramref name="inserts"/> when given (written
/// by <see cref="BatchWriter"/> in the caller's transaction, without EF's change tracking), else
/// they are added to the context.
/// </summary>
internal sealed class PersonBatch(HandoffDbContext db, DictionaryDefinition dictionary, FieldProtection protection, DateTimeOffset now, List<object>? inserts = null) : ICorrelationIndex
{
    public FieldProtection Protection => protection;

    /// <summary>The audit entries of what this batch changed, appended by the caller in the same
    /// transaction as the changes.</summary>
    public List<AuditDraft> AuditDrafts { get; } = [];

    /// <summary>Who acts (a reviewer <c>user:alice</c>); null: the source system (<c>system:hris</c>).</summary>
    public string? Actor { get; init; }

    /// <summary>Ties the audit entries to what caused them (<c>sync:42</c>, <c>review:7</c>).</summary>
    public string? CorrelationId { get; init; }

    private readonly Dictionary<(string Rule, string Value, Guid PersonId), PersonKeyRow> _keyRows = [];
    private readonly HashSet<PersonKeyRow> _newKeyRows = new(ReferenceEqualityComparer.Instance);

    private void Insert(object row)
    {
        if (inserts is null)
            db.Add(row);
        else
            inserts.Add(row);
    }

    private readonly Dictionary<Guid, PersonRow> _people = [];
    private readonly Dictionary<Guid, List<SourceRecordRow>> _sourcesByPerson = [];
    private readonly Dictionary<(string System, string Key), SourceRecordRow> _links = [];
    private readonly Dictionary<(string Rule, string Value), HashSet<Guid>> _keys = [];
    private readonly Dictionary<Guid, Dictionary<string, string>> _keysByPerson = [];
    private readonly Dictionary<Guid, List<FindingRow>> _findings = [];
    private readonly Dictionary<(string System, string Key), ReviewItemRow> _openReviews = [];
    private readonly HashSet<(Guid, string)> _openManualReviews = [];

    /// <summary>What the sources said when someone last decided a manual-rule field: the same
    /// disagreement seen again is already decided and does not come back to the queue.</summary>
    private readonly Dictionary<(Guid, string), string> _decidedManual = [];

    /// <summary>Loads everything the records can touch: their links, the people their keys point to,
    /// those people's other source records, keys, open findings and the open reviews of the records.</summary>
    public async Task LoadAsync(string system, IReadOnlyList<MappedRecord> records, CancellationToken ct)
    {
        var nativeKeys = records.Select(r => r.NativeKey).Distinct().ToList();
        // Per rule, so that the lookup uses the (rule, value, person) primary key instead of scanning
        // every key of every person once per batch.
        var keyValues = dictionary.Correlation
            .Select(rule => (Rule: rule.Name, Values: records.Select(r => Correlator.KeyValue(rule, protection.ForCorrelation(r.Values))).OfType<string>().Distinct().ToList()))
            .ToList();

        var personIds = new HashSet<Guid>();
        foreach (var chunk in nativeKeys.Chunk(500))
        {
            var links = await db.SourceRecords.Where(s => s.System == system && chunk.Contains(s.NativeKey)).ToListAsync(ct);
            foreach (var l in links)
                personIds.Add(l.PersonId);
        }
        foreach (var (rule, values) in keyValues)
        {
            foreach (var chunk in values.Chunk(500))
            {
                var hits = await db.PersonKeys.Where(k => k.Rule == rule && chunk.Contains(k.Value)).Select(k => k.PersonId).ToListAsync(ct);
                personIds.UnionWith(hits);
            }
        }
        await LoadPeopleAsync(personIds, ct);

        foreach (var chunk in nativeKeys.Chunk(500))
        {
            var reviews = await db.ReviewItems
                .Where(r => r.Status == "open" && r.System == system && r.Field == null && chunk.Contains(r.NativeKey))
                .ToListAsync(ct);
            foreach (var r in reviews)
                _openReviews[(r.System, r.NativeKey)] = r;
        }
    }

    public async Task LoadPeopleAsync(IEnumerable<Guid> ids, CancellationToken ct)
    {
        var missing = ids.Where(id => !_people.ContainsKey(id)).ToList();
        foreach (var chunk in missing.Chunk(500))
        {
            foreach (var p in await db.People.Where(p => chunk.Contains(p.Id)).ToListAsync(ct))
            {
                _people[p.Id] = p;
                _sourcesByPerson[p.Id] = [];
                _keysByPerson[p.Id] = [];
                _findings[p.Id] = [];
            }
            foreach (var s in await db.SourceRecords.Where(s => chunk.Contains(s.PersonId)).ToListAsync(ct))
            {
                _sourcesByPerson[s.PersonId].Add(s);
                _links[(s.System, s.NativeKey)] = s;
            }
            foreach (var k in await db.PersonKeys.Where(k => chunk.Contains(k.PersonId)).ToListAsync(ct))
            {
                IndexKey(k.Rule, k.Value, k.PersonId);
                _keyRows[(k.Rule, k.Value, k.PersonId)] = k;
            }
            foreach (var f in await db.Findings.Where(f => f.Status == "open" && chunk.Contains(f.PersonId)).ToListAsync(ct))
                _findings[f.PersonId].Add(f);
            foreach (var r in await db.ReviewItems.Where(r => r.Field != null && r.PersonId != null && chunk.Contains(r.PersonId!.Value)).OrderBy(r => r.Id).ToListAsync(ct))
            {
                if (r.Status == "open")
                    _openManualReviews.Add((r.PersonId!.Value, r.Field!));
                else
                    _decidedManual[(r.PersonId!.Value, r.Field!)] = r.CandidatesJson;
            }
        }
    }

    public Guid? LinkedPerson(string system, string nativeKey) =>
        _links.TryGetValue((system, nativeKey), out var s) ? s.PersonId : null;

    public IReadOnlyCollection<Guid> PeopleWithKey(string rule, string value) =>
        _keys.TryGetValue((rule, value), out var set) ? set : [];

    public string? KeyOf(Guid person, string rule) =>
        _keysByPerson.TryGetValue(person, out var keys) && keys.TryGetValue(rule, out var v) ? v : null;

    public bool IsHeld(MappedRecord record, out ReviewItemRow? review) =>
        _openReviews.TryGetValue((record.System, record.NativeKey), out review);

    public SourceRecordRow? Link(string system, string nativeKey) =>
        _links.TryGetValue((system, nativeKey), out var s) ? s : null;

    /// <summary>Sends a record to the review queue (or refreshes the one already waiting).</summary>
    public void Hold(MappedRecord record, string kind, IReadOnlyList<Guid> candidates, string reason)
    {
        var json = protection.SerializeHeld(HeldRecord.From(record));
        if (_openReviews.TryGetValue((record.System, record.NativeKey), out var existing))
        {
            existing.RecordJson = json;
            return;
        }
        var item = new ReviewItemRow
        {
            Kind = kind,
            System = record.System,
            NativeKey = record.NativeKey,
            PersonId = candidates.Count > 0 ? candidates[0] : null,
            CandidatesJson = JsonDefaults.Serialize(candidates),
            RecordJson = json,
            Reason = reason,
            CreatedAt = now,
        };
        Insert(item);
        _openReviews[(record.System, record.NativeKey)] = item;
    }

    /// <summary>Applies a record to a person (a new one when <paramref name="personId"/> is null):
    /// stores what the source said, re-resolves every field under its conflict rule, records
    /// findings, re-derives the lifecycle state and writes the events.</summary>
    public ApplyOutcome Apply(MappedRecord record, Guid? personId, DateTimeOffset observedAt)
    {
        PersonRow person;
        var created = false;
        if (personId is { } id)
        {
            person = _people[id];
        }
        else
        {
            person = new PersonRow { Id = Guid.CreateVersion7(now), CreatedAt = now, UpdatedAt = now };
            Insert(person);
            _people[person.Id] = person;
            _sourcesByPerson[person.Id] = [];
            _keysByPerson[person.Id] = [];
            _findings[person.Id] = [];
            created = true;
        }

        // A purged person's data is gone on purpose: a source still exporting them brings nothing back.
        if (!created && person.State == "purged")
            return ApplyOutcome.Unchanged;

        var link = Link(record.System, record.NativeKey);
        if (link is not null && link.PersonId != person.Id)
            throw new InvalidOperationException($"{record.System}:{record.NativeKey} is linked to another person");
        var newLink = link is null;
        if (link is null)
        {
            link = new SourceRecordRow { System = record.System, NativeKey = record.NativeKey, PersonId = person.Id };
            Insert(link);
            _links[(record.System, record.NativeKey)] = link;
            _sourcesByPerson[person.Id].Add(link);
        }
        if (!Merge(link, newLink, record, observedAt) && !created)
            return ApplyOutcome.Unchanged;

        var before = created ? new Dictionary<string, ResolvedValue>() : protection.DeserializeResolved(person.ValuesJson);
        var after = new Dictionary<string, ResolvedValue>(before.Count + 4);
        var changes = new List<FieldChange>();
        var sources = _sourcesByPerson[person.Id];
        var repeated = sources.GroupBy(s => s.System).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var field in dictionary.Fields)
        {
            before.TryGetValue(field.Name, out var current);
            var observations = new List<Observation>(sources.Count);
            var observationOrders = new List<string>(sources.Count);
            // The lifecycle's owner (the system of record of the termination date) ends the people it
            // knows; another writer's termination date counts only for people the owner does not know.
            var ownedEnd = field.Name == dictionary.Lifecycle.TerminationDate && field.SystemOfRecord is { } owner
                && sources.Any(s => s.System == owner);
            foreach (var s in sources)
            {
                if (ownedEnd && s.System != field.SystemOfRecord)
                    continue;
                var values = ValuesOf(s);
                if (!values.TryGetValue(field.Name, out var v))
                    continue;
                if (repeated.Contains(s.System))
                {
                    // Two records of one system for one person (a contractor hired as an employee under a
                    // new id, linked by HR): the system speaks once per field, with its newest statement.
                    var order = FieldOrders.Of(OrdersOf(s), field.Name);
                    var other = observations.FindIndex(o => o.System == s.System);
                    if (other >= 0)
                    {
                        if (string.CompareOrdinal(order, observationOrders[other]) < 0)
                            continue;
                        observations.RemoveAt(other);
                        observationOrders.RemoveAt(other);
                    }
                    observationOrders.Add(order);
                }
                else
                {
                    observationOrders.Add(RecordOrder.None);
                }
                observations.Add(new Observation(s.System, s.NativeKey, v, s.ObservedAt, s.EffectiveFrom));
            }
            var resolution = ConflictResolver.Resolve(field, observations, current);
            if (resolution.Winner is not null)
                after[field.Name] = resolution.Winner;
            if (current?.Value != resolution.Winner?.Value)
                changes.Add(new FieldChange(field.Name, current?.Value, resolution.Winner?.Value, resolution.Winner?.System ?? record.System, field.Classification));
            TrackFinding(person.Id, field, resolution);
            var candidates = resolution.NeedsReview
                ? JsonDefaults.Serialize(resolution.Conflicting.Select(o => new { o.System, Value = protection.IsSensitive(field.Name) && o.Value is not null ? "hmac:" + protection.Keys.Blind.Hash(field.Name, o.Value) : o.Value }))
                : null;
            if (candidates is not null && _decidedManual.GetValueOrDefault((person.Id, field.Name)) != candidates
                && _openManualReviews.Add((person.Id, field.Name)))
            {
                Insert(new ReviewItemRow
                {
                    Kind = "manual_conflict",
                    System = record.System,
                    NativeKey = record.NativeKey,
                    PersonId = person.Id,
                    Field = field.Name,
                    CandidatesJson = candidates,
                    Reason = $"{field.Name} is decided by hand and its sources disagree",
                    CreatedAt = now,
                });
            }
        }

        var flat = after.ToDictionary(p => p.Key, p => (string?)p.Value.Value);
        var previousState = created ? (LifecycleState?)null : LifecycleStateNames.Parse(person.State);
        var today = PersonClock.Today(dictionary.Lifecycle, flat, now);
        var assessment = LifecyclePolicy.Assess(dictionary.Lifecycle, flat, today, previousState);

        UpdateKeys(person.Id, protection.ForCorrelation(flat));

        if (!created && changes.Count == 0 && previousState == assessment.State)
            return ApplyOutcome.Unchanged;

        person.ValuesJson = protection.SerializeResolved(after);
        person.DisplayName = DisplayName(flat);
        person.State = assessment.State.ToName();
        person.ReviewOn = assessment.ReviewOn;
        person.UpdatedAt = now;
        person.Version++;

        if (created)
        {
            Emit(person.Id, "person.created", new { state = person.State, fields = changes.Select(c => c.Field), source = record.System }, record.System, AuditFields(changes));
            Emit(person.Id, $"person.{person.State}", new { from = (string?)null, to = person.State }, record.System, [new("lifecycle_state", null, person.State)]);
        }
        else
        {
            if (changes.Count > 0)
                Emit(person.Id, "person.changed", new { fields = changes.Select(c => c.Field), changes = changes.Select(c => c.ForEvent()), source = record.System }, record.System, AuditFields(changes));
            EmitTransition(person.Id, previousState!.Value, assessment.State, record.System);
            EmitConversion(person.Id, changes, record.System);
        }
        return created ? ApplyOutcome.Created : ApplyOutcome.Updated;
    }

    /// <summary>Records whose every differing value was older than the one in force (counted, not applied).</summary>
    public int StaleRecords { get; private set; }

    /// <summary>
    /// Folds a record into what its source has said: a delivery states facts and absence is not a
    /// fact, so a field the record does not carry keeps its value, and a value whose ordering fact
    /// is older than the one in force for that field is not taken. False when nothing changed.
    /// </summary>
    private bool Merge(SourceRecordRow link, bool newLink, MappedRecord record, DateTimeOffset observedAt)
    {
        var order = string.IsNullOrEmpty(record.Order) ? RecordOrder.Of(observedAt, 0) : record.Order;
        var previous = newLink ? new Dictionary<string, string?>() : ValuesOf(link);
        var orders = newLink ? new Dictionary<string, string>(StringComparer.Ordinal) : FieldOrders.Parse(link.OrderJson);
        var merged = new Dictionary<string, string?>(previous, StringComparer.Ordinal);
        var changed = newLink;
        var stale = false;
        foreach (var (field, value) in record.Values)
        {
            var known = previous.TryGetValue(field, out var before);
            if (known && !RecordOrder.IsNotOlder(order, FieldOrders.Of(orders, field)))
            {
                stale |= before != value;
                continue;
            }
            merged[field] = value;
            orders[field] = order;
            changed |= !known || before != value;
        }
        if (stale)
            StaleRecords++;
        if (!changed)
        {
            // The same facts again (or only older ones): what is in force stays, with its own order.
            if (!stale && !newLink)
                link.OrderJson = FieldOrders.Serialize(orders, merged.Keys);
            return false;
        }
        link.Hash = MergedHash(merged, record);
        link.ValuesJson = protection.SerializeValues(merged);
        link.OrderJson = FieldOrders.Serialize(orders, merged.Keys);
        link.ObservedAt = observedAt;
        if (record.EffectiveFrom is not null || newLink)
            link.EffectiveFrom = record.EffectiveFrom;
        link.Location = record.Location;
        _parsedLinkValues[link] = merged;
        return true;
    }

    /// <summary>The hash of what the source has said in all: the record's own when it carried every
    /// field, so that the same full row read again is recognised as unchanged without a lookup.</summary>
    private string MergedHash(Dictionary<string, string?> merged, MappedRecord record) =>
        merged.Count == record.Values.Count ? record.Hash : MappedRecordHash(merged, record.EffectiveFrom);

    private string MappedRecordHash(Dictionary<string, string?> values, DateOnly? effective) =>
        RecordMapper.HashOf(values, effective, protection.Keys.ContentHash);

    /// <summary>Re-derives the lifecycle state of a person whose start or end date has arrived.</summary>
    public bool Reassess(Guid personId)
    {
        var person = _people[personId];
        var values = protection.DeserializeResolved(person.ValuesJson)
            .ToDictionary(p => p.Key, p => (string?)p.Value.Value);
        var previous = LifecycleStateNames.Parse(person.State);
        var assessment = LifecyclePolicy.Assess(dictionary.Lifecycle, values, PersonClock.Today(dictionary.Lifecycle, values, now), previous);
        person.ReviewOn = assessment.ReviewOn;
        if (assessment.State == previous)
            return false;
        person.State = assessment.State.ToName();
        person.UpdatedAt = now;
        person.Version++;
        EmitTransition(personId, previous, assessment.State, null);
        return true;
    }

    private readonly Dictionary<SourceRecordRow, IReadOnlyDictionary<string, string?>> _parsedLinkValues = new(ReferenceEqualityComparer.Instance);

    private static Dictionary<string, string> OrdersOf(SourceRecordRow s) => FieldOrders.Parse(s.OrderJson);

    private IReadOnlyDictionary<string, string?> ValuesOf(SourceRecordRow s)
    {
        if (_parsedLinkValues.TryGetValue(s, out var v))
            return v;
        var parsed = protection.DeserializeValues(s.ValuesJson);
        _parsedLinkValues[s] = parsed;
        return parsed;
    }

    private void TrackFinding(Guid personId, FieldDefinition field, Resolution resolution)
    {
        var open = _findings[personId].FirstOrDefault(f => f.Field == field.Name && f.Kind == "conflict");
        if (resolution.Conflicting.Count == 0)
        {
            if (open is not null)
            {
                open.Status = "resolved";
                open.LastSeen = now;
                _findings[personId].Remove(open);
            }
            return;
        }
        var sensitive = field.Classification == Classification.Sensitive;
        var detail = JsonDefaults.Serialize(resolution.Conflicting.Select(o => new
        {
            system = o.System,
            key = o.NativeKey,
            value = sensitive ? "(sensitive)" : o.Value,
            observed_at = o.ObservedAt,
        }));
        if (open is null)
        {
            open = new FindingRow { PersonId = personId, Field = field.Name, Kind = "conflict", FirstSeen = now };
            Insert(open);
            _findings[personId].Add(open);
        }
        open.DetailJson = detail;
        open.ChosenSystem = resolution.Winner?.System;
        open.LastSeen = now;
    }

    private void UpdateKeys(Guid personId, IReadOnlyDictionary<string, string?> values)
    {
        var held = _keysByPerson[personId];
        foreach (var rule in dictionary.Correlation)
        {
            var value = Correlator.KeyValue(rule, values);
            held.TryGetValue(rule.Name, out var old);
            if (old == value)
                continue;
            if (old is not null)
            {
                if (!_keyRows.Remove((rule.Name, old, personId), out var row))
                    db.PersonKeys.Remove(new PersonKeyRow { Rule = rule.Name, Value = old, PersonId = personId });
                else if (inserts is not null && _newKeyRows.Remove(row))
                    inserts.Remove(row);
                else
                    db.PersonKeys.Remove(row);
                _keys[(rule.Name, old)].Remove(personId);
                held.Remove(rule.Name);
            }
            if (value is not null)
            {
                var row = new PersonKeyRow { Rule = rule.Name, Value = value, PersonId = personId };
                Insert(row);
                _keyRows[(rule.Name, value, personId)] = row;
                _newKeyRows.Add(row);
                IndexKey(rule.Name, value, personId);
            }
        }
    }

    private void IndexKey(string rule, string value, Guid personId)
    {
        if (!_keys.TryGetValue((rule, value), out var set))
            _keys[(rule, value)] = set = [];
        set.Add(personId);
        _keysByPerson[personId][rule] = value;
    }

    private void EmitTransition(Guid personId, LifecycleState from, LifecycleState to, string? system)
    {
        if (from == to)
            return;
        AuditFieldChange[] state = [new("lifecycle_state", from.ToName(), to.ToName())];
        if (from == LifecycleState.Terminated && to is LifecycleState.PreHire or LifecycleState.Active)
            Emit(personId, "person.rehired", new { from = from.ToName(), to = to.ToName() }, system, state);
        Emit(personId, $"person.{to.ToName()}", new { from = from.ToName(), to = to.ToName() }, system, state);
    }

    private void EmitConversion(Guid personId, List<FieldChange> changes, string system)
    {
        var workerType = dictionary.Lifecycle.WorkerType;
        var change = changes.FirstOrDefault(c => c.Field == workerType);
        if (change is { From: not null, To: not null })
            Emit(personId, "person.converted", new { field = workerType, from = change.From, to = change.To }, system, [new(workerType!, change.From, change.To)]);
    }

    /// <summary>Writes the event to the outbox and its audit entry to the batch's drafts: every change
    /// of a person is logged in the same transaction as the change itself.</summary>
    private void Emit(Guid personId, string type, object payload, string? system, IReadOnlyList<AuditFieldChange> fields)
    {
        Insert(new OutboxEventRow { PersonId = personId, Type = type, PayloadJson = JsonDefaults.Serialize(payload), OccurredAt = now });
        AuditDrafts.Add(new AuditDraft(Actor ?? (system is null ? "system:schedule" : $"system:{system}"), type, "person", personId.ToString(),
            fields, system, CorrelationId, now));
    }

    /// <summary>Field changes for the audit log. The log is append-only and kept for years, so personal
    /// and sensitive values go in only as keyed hashes (provable with the key, readable by no one, and
    /// no obstacle to retention); internal and public values are kept as they are.</summary>
    private List<AuditFieldChange> AuditFields(List<FieldChange> changes) =>
        changes.Select(c => c.Classification is Classification.Personal or Classification.Sensitive
            ? new AuditFieldChange(c.Field, Keyed(c.Field, c.From), Keyed(c.Field, c.To))
            : new AuditFieldChange(c.Field, c.From, c.To)).ToList();

    private string? Keyed(string field, string? value) => value is null ? null : "hmac:" + protection.Keys.Blind.HashExact("audit/" + field, value);

    private static string DisplayName(IReadOnlyDictionary<string, string?> v)
    {
        v.TryGetValue("preferred_name", out var preferred);
        v.TryGetValue("first_name", out var first);
        v.TryGetValue("last_name", out var last);
        var name = $"{preferred ?? first} {last}".Trim();
        return name.Length > 300 ? name[..300] : name;
    }

    private sealed record FieldChange(string Field, string? From, string? To, string Source, Classification Classification)
    {
        // Events feed workflows and the timeline; a sensitive value never travels in one.
        public object ForEvent() => Classification == Classification.Sensitive
            ? new { field = Field, source = Source, sensitive = true }
            : new { field = Field, from = From, to = To, source = Source };
    }
}

/// <summary>A record waiting in the review queue, with everything needed to apply it later.</summary>
public sealed record HeldRecord(string System, string NativeKey, Dictionary<string, string?> Values, DateOnly? EffectiveFrom, string Hash, string Location)
{
    /// <summary>The record's ordering fact, so a record applied after review keeps its place in time.</summary>
    public string? Order { get; init; }

    public static HeldRecord From(MappedRecord r) =>
        new(r.System, r.NativeKey, new Dictionary<string, string?>(r.Values), r.EffectiveFrom, r.Hash, r.Location) { Order = r.Order };

    public MappedRecord ToMapped() => new(System, NativeKey, Values, EffectiveFrom, Hash, Location) { Order = Order ?? RecordOrder.None };
}
