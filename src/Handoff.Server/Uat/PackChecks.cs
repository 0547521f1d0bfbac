using System.Globalization;
using Handoff.Core.People;
using Handoff.Data.People;
using Handoff.Data.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Uat;

/// <summary>
/// Checks a pack's expectations against the database after its last step. Each check stops at the first
/// difference and says it as "what: expected …, actual …". Sensitive values are compared but never shown.
/// </summary>
internal sealed class PackChecks
{
    private readonly HandoffRuntime _runtime;
    private readonly FieldProtection _protection;
    private readonly List<(PersonRow Row, Dictionary<string, ResolvedValue> Values)> _people;

    private PackChecks(HandoffRuntime runtime, FieldProtection protection, List<(PersonRow, Dictionary<string, ResolvedValue>)> people)
    {
        _runtime = runtime;
        _protection = protection;
        _people = people;
    }

    public static async Task<PackChecks> LoadAsync(HandoffRuntime runtime, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var protection = new FieldProtection(workspace.Definition.Dictionary, runtime.Keys);
        await using var db = runtime.Database.CreateContext();
        var people = (await db.People.AsNoTracking().ToListAsync(ct)).Select(p => (p, protection.DeserializeResolved(p.ValuesJson))).ToList();
        return new PackChecks(runtime, protection, people);
    }

    public async Task<ExpectationResult> CheckAsync(PackExpectation expectation, CancellationToken ct)
    {
        var difference = expectation switch
        {
            PersonExpectation p => Person(p),
            PeopleExpectation p => People(p),
            DeliveriesExpectation d => await DeliveriesAsync(d, ct),
            AccountExpectation a => await AccountAsync(a, ct),
            RunsExpectation r => await RunsAsync(r, ct),
            EventsExpectation e => await EventsAsync(e, ct),
            _ => $"unknown expectation {expectation}",
        };
        return new ExpectationResult(expectation, difference is null, difference);
    }

    private string? Person(PersonExpectation e)
    {
        var (person, problem) = Find(e.KeyField, e.KeyValue);
        if (person is null)
            return problem;
        var (row, values) = person.Value;
        if (e.State is not null && e.State != row.State)
            return $"state: expected {e.State}, actual {row.State}";
        foreach (var (field, expected) in e.Fields)
        {
            var actual = values.GetValueOrDefault(field)?.Value;
            if (actual == expected)
                continue;
            if (_protection.IsSensitive(field))
                return $"{field}: {(actual is null ? "expected a value, actual none" : expected is null ? "expected none, actual a value" : "differs")} (sensitive: not shown)";
            return $"{field}: expected {Show(expected)}, actual {Show(actual)}";
        }
        return null;
    }

    private string? People(PeopleExpectation e)
    {
        var people = _people.Where(p => e.State is null || p.Row.State == e.State).ToList();
        var which = e.State is null ? "people" : $"{e.State} people";
        if (e.Count is { } count && people.Count != count)
            return $"{which}: expected {count}, actual {people.Count}";
        foreach (var field in e.AllHave)
        {
            var without = people.Where(p => p.Values.GetValueOrDefault(field)?.Value is null).ToList();
            if (without.Count > 0)
                return $"{field}: expected a value for every one of the {people.Count} {which}, actual none for {without.Count}{List(without.Select(p => p.Row.DisplayName))}";
        }
        return null;
    }

    private async Task<string?> DeliveriesAsync(DeliveriesExpectation e, CancellationToken ct)
    {
        await using var db = _runtime.Database.CreateContext();
        var rows = await db.Deliveries.AsNoTracking().Where(d => e.System == null || d.System == e.System).OrderBy(d => d.Id).ToListAsync(ct);
        foreach (var (status, count) in e.Counts)
        {
            var actual = rows.Count(r => r.Status == status);
            if (actual != count)
                return $"{status} deliveries: expected {count}, actual {actual}{List(rows.Where(r => r.Status == status).Select(r => $"{r.System}/{r.Name}"))}";
        }
        if (e.Last is null && e.ReasonContains is null && e.DecidedBy is null)
            return null;
        var last = rows.LastOrDefault();
        if (last is null)
            return $"last delivery: expected one, actual none{(e.System is null ? "" : $" of {e.System}")}";
        var name = $"{last.System}/{last.Name} (delivery {last.Id})";
        if (e.Last is not null && last.Status != e.Last)
            return $"last delivery {name}: expected {e.Last}, actual {last.Status}{(last.Reason is null ? "" : $" ({last.Reason})")}";
        if (e.ReasonContains is not null && !(last.Reason ?? "").Contains(e.ReasonContains, StringComparison.Ordinal))
            return $"last delivery {name}: expected a reason containing \"{e.ReasonContains}\", actual {Show(last.Reason)}";
        if (e.DecidedBy is not null && last.DecidedBy != e.DecidedBy && last.DecidedBy != "user:" + e.DecidedBy)
            return $"last delivery {name}: expected decided by {e.DecidedBy}, actual {Show(last.DecidedBy)}";
        return null;
    }

    private async Task<string?> AccountAsync(AccountExpectation e, CancellationToken ct)
    {
        await using var db = _runtime.Database.CreateContext();
        var unique = e.Username.ToLowerInvariant();
        var account = await db.SandboxObjects.AsNoTracking()
            .FirstOrDefaultAsync(o => o.SystemId == e.System && o.ObjectClass == "account" && o.UniqueValue == unique, ct);
        if (account is null)
            return e.Exists ? $"account {e.System}/{e.Username}: expected to exist, actual none" : null;
        if (!e.Exists)
            return $"account {e.System}/{e.Username}: expected none, actual one ({(account.Enabled ? "enabled" : "disabled")}, {account.NativeId})";
        if (e.Enabled is { } enabled && account.Enabled != enabled)
            return $"enabled: expected {Lower(enabled)}, actual {Lower(account.Enabled)}";
        var expires = account.Expires?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (e.CheckExpires && expires != e.Expires)
            return $"expires: expected {e.Expires ?? "never"}, actual {expires ?? "never"}";
        var groups = Data.JsonDefaults.Deserialize<List<string>>(account.GroupsJson);
        foreach (var group in e.Groups)
        {
            if (!groups.Contains(group, StringComparer.OrdinalIgnoreCase))
                return $"groups: expected {group}, actual [{string.Join(", ", groups)}]";
        }
        if (e.Attributes.Count > 0)
        {
            var attributes = System.Text.Json.Nodes.JsonNode.Parse(account.AttributesJson) as System.Text.Json.Nodes.JsonObject ?? [];
            foreach (var (name, expected) in e.Attributes)
            {
                var node = attributes.FirstOrDefault(a => string.Equals(a.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
                var actual = node is null ? null : node is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text) ? text : node.ToJsonString();
                if (actual != expected)
                    return $"{name}: expected {Show(expected)}, actual {Show(actual)}";
            }
        }
        return null;
    }

    private async Task<string?> RunsAsync(RunsExpectation e, CancellationToken ct)
    {
        var (person, problem) = FindByAnyKey(e.Person);
        if (person is null)
            return problem;
        var id = person.Value.Row.Id;
        await using var db = _runtime.Database.CreateContext();
        var runs = await db.Runs.AsNoTracking().Where(r => r.WorkflowId == e.Workflow && r.PersonId == id).OrderBy(r => r.CreatedAt).ToListAsync(ct);
        if (e.Count is { } count && runs.Count != count)
            return $"runs of {e.Workflow} for {e.Person}: expected {count}, actual {runs.Count}{List(runs.Select(r => $"{r.Status} ({r.TriggerKey}){(r.Error is null ? "" : ": " + r.Error)}"))}";
        if (e.Status is not null)
        {
            if (runs.Count == 0)
                return $"the latest run of {e.Workflow} for {e.Person}: expected {e.Status}, actual no run";
            var latest = runs[^1];
            if (latest.Status != e.Status)
                return $"the latest run of {e.Workflow} for {e.Person}: expected {e.Status}, actual {latest.Status}{(latest.Error is null ? "" : $" ({latest.Error})")}";
        }
        return null;
    }

    private async Task<string?> EventsAsync(EventsExpectation e, CancellationToken ct)
    {
        var (person, problem) = FindByAnyKey(e.Person);
        if (person is null)
            return problem;
        var id = person.Value.Row.Id;
        await using var db = _runtime.Database.CreateContext();
        var events = await db.OutboxEvents.AsNoTracking().Where(x => x.PersonId == id).OrderBy(x => x.Id).Select(x => x.Type).ToListAsync(ct);
        foreach (var type in e.AllOf)
        {
            if (!events.Contains(type))
                return $"events of {e.Person}: expected {type}, actual [{string.Join(", ", events)}]";
        }
        foreach (var type in e.NoneOf)
        {
            if (events.Contains(type))
                return $"events of {e.Person}: expected no {type}, actual [{string.Join(", ", events)}]";
        }
        return null;
    }

    /// <summary>The one person whose canonical <paramref name="field"/> is <paramref name="value"/>.</summary>
    private ((PersonRow Row, Dictionary<string, ResolvedValue> Values)? Person, string? Problem) Find(string field, string value)
    {
        var matches = _people.Where(p => string.Equals(p.Values.GetValueOrDefault(field)?.Value, value, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => (matches[0], null),
            0 => (null, $"person {field}={value}: expected one, actual none"),
            _ => (null, $"person {field}={value}: expected one, actual {matches.Count} ({string.Join(", ", matches.Select(m => m.Row.DisplayName))})"),
        };
    }

    /// <summary>The one person with <paramref name="value"/> as a correlation key (employee id,
    /// candidate id, work email…), as runs and events name people.</summary>
    private ((PersonRow Row, Dictionary<string, ResolvedValue> Values)? Person, string? Problem) FindByAnyKey(string value)
    {
        var fields = new[] { "employee_id", "candidate_id", "work_email" };
        var matches = _people.Where(p => fields.Any(f => string.Equals(p.Values.GetValueOrDefault(f)?.Value, value, StringComparison.OrdinalIgnoreCase))).ToList();
        return matches.Count switch
        {
            1 => (matches[0], null),
            0 => (null, $"person {value} (employee_id, candidate_id or work_email): expected one, actual none"),
            _ => (null, $"person {value}: expected one, actual {matches.Count} ({string.Join(", ", matches.Select(m => m.Row.DisplayName))})"),
        };
    }

    private static string Show(string? value) => value is null ? "(none)" : $"\"{value}\"";

    private static string Lower(bool value) => value ? "true" : "false";

    private static string List(IEnumerable<string> items)
    {
        var shown = items.Take(5).ToList();
        return shown.Count == 0 ? "" : $" ({string.Join("; ", shown)})";
    }
}
