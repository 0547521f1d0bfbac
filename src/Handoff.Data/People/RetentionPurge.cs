using System.Globalization;
using System.Text.Json.Nodes;
using Handoff.Core.Audit;
using Handoff.Core.Dictionary;
using Handoff.Core.People;
using Handoff.Data.Audit;
using Handoff.Data.Events;
using Handoff.Data.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.People;

/// <summary>Pseudonyms: a keyed hash of the value (the installation's blind-index key), stable so that
/// counts and joins still work, and not reversible by guessing likely values without the key.</summary>
public static class Pseudonym
{
    public const string Prefix = "pseudo:";

    public static string Of(KeyMaterial keys, string field, string value) =>
        Prefix + keys.Blind.HashExact("pseudonym/" + field, value)[..22];

    public static bool IsPseudonym(string value) => value.StartsWith(Prefix, StringComparison.Ordinal);
}

/// <summary>What retention did (or, in a dry run, would do) to one person. Names no personal data:
/// the person id, the policies and the field names.</summary>
public sealed record PurgeAction(Guid PersonId, IReadOnlyList<(string Field, string Policy, RetentionAction Action)> Fields, bool Purged);

/// <summary>
/// Applies the dictionary's retention policies to terminated workers: each field whose policy's period
/// has run out since the termination date is pseudonymized or deleted — on the person, on every source
/// record and future-dated change of theirs, in their findings, review items and event payloads — and
/// the person becomes <c>purged</c> once no personal or sensitive value is left. One transaction per
/// batch of people, so a run can stop between batches and the next run finishes the job; a value already pseudonymized
/// or deleted is never due again, so a second run does nothing.
/// </summary>
public sealed class RetentionPurge(DatabaseOptions database, TimeProvider clock, KeyMaterial keys, AuditLog audit)
{
    /// <summary>The canonical field that says which jurisdiction a worker's data falls under.</summary>
    public const string JurisdictionField = "country";

    /// <summary>People per transaction.</summary>
    public int BatchSize { get; init; } = 500;

    public async Task<IReadOnlyList<PurgeAction>> RunAsync(DictionaryDefinition dictionary, bool dryRun, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var actions = new List<PurgeAction>();
        if (dictionary.Retention.Count == 0)
            return actions;

        List<Guid> ids;
        await using (var db = database.CreateContext())
            ids = await db.People.Where(p => p.State == "terminated").OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);

        var protection = new FieldProtection(dictionary, keys);
        // Batches of people, one transaction (and one audit head lock) per batch, with the rows of the
        // whole batch read and changed by a few set-based statements: one transaction and ten statements
        // per person made a purge of 100,000 leavers take most of an hour.
        foreach (var chunk in ids.Chunk(BatchSize))
        {
            ct.ThrowIfCancellationRequested();
            await using var db = database.CreateContext();
            var people = await db.People.Where(p => chunk.Contains(p.Id)).OrderBy(p => p.Id).ToListAsync(ct);
            var plans = new List<(PersonRow Person, Dictionary<string, ResolvedValue> Values, List<(string Field, string Policy, RetentionAction Action)> Due, bool Purged)>();
            foreach (var person in people)
            {
                var values = protection.DeserializeResolved(person.ValuesJson);
                var due = Due(dictionary, values, today);
                if (due.Count == 0)
                    continue;
                var remainingPersonal = dictionary.Fields.Any(f =>
                    f.Classification is Classification.Personal or Classification.Sensitive
                    && values.TryGetValue(f.Name, out var v) && !Pseudonym.IsPseudonym(v.Value)
                    && !due.Any(d => d.Field == f.Name));
                actions.Add(new PurgeAction(person.Id, due, !remainingPersonal));
                plans.Add((person, values, due, !remainingPersonal));
            }
            if (dryRun || plans.Count == 0)
                continue;

            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var planned = plans.Select(p => p.Person.Id).ToList();
            var sources = (await db.SourceRecords.Where(s => planned.Contains(s.PersonId)).ToListAsync(ct)).ToLookup(s => s.PersonId);
            var events = (await db.OutboxEvents.Where(e => planned.Contains(e.PersonId)).ToListAsync(ct)).ToLookup(e => e.PersonId);
            var pending = new List<(string System, string NativeKey)>();
            var byFields = new Dictionary<string, (HashSet<string> Fields, List<Guid> People)>(StringComparer.Ordinal);
            var drafts = new List<AuditDraft>();

            foreach (var (person, values, due, purged) in plans)
            {
                var id = person.Id;
                string? Replace(string field, string? value) => value is null ? null
                    : due.First(d => d.Field == field).Action == RetentionAction.Delete ? null
                    : Pseudonym.IsPseudonym(value) ? value : Pseudonym.Of(keys, field, value);

                foreach (var (field, _, action) in due)
                {
                    if (action == RetentionAction.Delete)
                        values.Remove(field);
                    else
                        values[field] = values[field] with { Value = Replace(field, values[field].Value)! };
                }
                person.ValuesJson = protection.SerializeResolved(values);
                var purgedFields = due.Select(d => d.Field).ToHashSet();
                if (purgedFields.Contains("first_name") || purgedFields.Contains("last_name") || purgedFields.Contains("preferred_name"))
                    person.DisplayName = $"(purged {id.ToString()[^12..]})";
                person.UpdatedAt = now;
                person.Version++;

                foreach (var source in sources[id])
                {
                    var said = protection.DeserializeValues(source.ValuesJson);
                    foreach (var field in purgedFields.Where(said.ContainsKey))
                    {
                        if (Replace(field, said[field]) is { } replaced)
                            said[field] = replaced;
                        else
                            said.Remove(field);
                    }
                    source.ValuesJson = protection.SerializeValues(said);
                    source.Location = "";
                    // The hash stays: the same row exported again is "unchanged" and does not bring the data back.
                    pending.Add((source.System, source.NativeKey));
                }

                var key = string.Join('\n', purgedFields.Order(StringComparer.Ordinal));
                if (!byFields.TryGetValue(key, out var group))
                    byFields[key] = group = (purgedFields, []);
                group.People.Add(id);

                foreach (var e in events[id])
                    e.PayloadJson = ScrubPayload(e.PayloadJson, purgedFields);

                var policies = due.Select(d => d.Policy).Distinct().ToList();
                // One entry per purge naming the policies and fields, and no personal data.
                drafts.Add(new AuditDraft("system:retention", purged ? "person.purged" : "person.retention_applied", "person", id.ToString(),
                    due.Select(d => new AuditFieldChange(d.Field, null, $"{d.Action.ToString().ToLowerInvariant()} by {d.Policy}")).ToList(), null, "retention", now));
                if (purged)
                {
                    person.State = LifecycleState.Purged.ToName();
                    person.ReviewOn = null;
                    db.OutboxEvents.Add(new OutboxEventRow
                    {
                        PersonId = id,
                        Type = "person.purged",
                        OccurredAt = now,
                        PayloadJson = JsonDefaults.Serialize(new { policies, fields = purgedFields.Count }),
                    });
                }
            }

            foreach (var system in pending.Select(p => p.System).Distinct())
            {
                var nativeKeys = pending.Where(p => p.System == system).Select(p => p.NativeKey).ToList();
                await db.PendingChanges.Where(p => p.System == system && nativeKeys.Contains(p.NativeKey) && p.AppliedAt == null).ExecuteDeleteAsync(ct);
            }
            foreach (var (fields, group) in byFields.Values)
            {
                await db.Findings.Where(f => group.Contains(f.PersonId) && fields.Contains(f.Field)).ExecuteDeleteAsync(ct);
                // Keys built from purged fields (names, personal email) would still identify the person.
                var keyRules = dictionary.Correlation.Where(r => r.Fields.Any(fields.Contains)).Select(r => r.Name).ToList();
                if (keyRules.Count > 0)
                    await db.PersonKeys.Where(k => group.Contains(k.PersonId) && keyRules.Contains(k.Rule)).ExecuteDeleteAsync(ct);
            }
            var nullable = planned.Select(id => (Guid?)id).ToList();
            await db.ReviewItems.Where(r => nullable.Contains(r.PersonId))
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.RecordJson, "{}").SetProperty(r => r.CandidatesJson, "[]"), ct);
            await audit.AppendAsync(db, drafts, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return actions;
    }

    private static List<(string Field, string Policy, RetentionAction Action)> Due(
        DictionaryDefinition dictionary, Dictionary<string, ResolvedValue> values, DateOnly today)
    {
        var due = new List<(string, string, RetentionAction)>();
        if (!values.TryGetValue(dictionary.Lifecycle.TerminationDate, out var end)
            || !DateOnly.TryParseExact(end.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var terminated))
            return due;
        var country = values.TryGetValue(JurisdictionField, out var c) ? c.Value : null;
        foreach (var field in dictionary.Fields)
        {
            if (!values.TryGetValue(field.Name, out var value) || dictionary.RetentionFor(field, country) is not { } policy)
                continue;
            if (policy.After.After(terminated) > today)
                continue;
            if (policy.Action == RetentionAction.Pseudonymize && Pseudonym.IsPseudonym(value.Value))
                continue;
            due.Add((field.Name, policy.Name, policy.Action));
        }
        return due;
    }

    /// <summary>Drops the from/to values of purged fields from an event payload, keeping its shape.</summary>
    private static string ScrubPayload(string json, HashSet<string> fields)
    {
        if (JsonNode.Parse(json) is not JsonObject payload || payload["changes"] is not JsonArray changes)
            return json;
        foreach (var change in changes.OfType<JsonObject>())
        {
            if (change["field"]?.GetValue<string>() is { } field && fields.Contains(field))
            {
                change.Remove("from");
                change.Remove("to");
                change["purged"] = true;
            }
        }
        return payload.ToJsonString();
    }
}
