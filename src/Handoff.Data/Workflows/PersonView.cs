using System.Globalization;
using Handoff.Core.Dictionary;
using Handoff.Core.Workflows;
using Handoff.Data.People;
using Handoff.Data.Security;

namespace Handoff.Data.Workflows;

/// <summary>
/// What a workflow may see of a person: only the fields its <c>permissions.read</c> declares, typed
/// by the dictionary (dates as <see cref="DateOnly"/>, booleans, numbers), plus the run's context
/// (<c>person</c>, <c>steps</c>, <c>today</c> …). A template that names an undeclared field finds nothing —
/// least privilege holds at run time even if the dictionary changed after the workflow was approved.
/// </summary>
public sealed class PersonView
{
    public required Guid PersonId { get; init; }
    public required string Name { get; init; }
    public required string State { get; init; }
    public required TimeZoneInfo Zone { get; init; }
    /// <summary>Every resolved value (cleartext), for the engine's own decisions; never given to templates whole.</summary>
    public required IReadOnlyDictionary<string, string?> All { get; init; }
    /// <summary>The declared fields, typed.</summary>
    public required Dictionary<string, object?> Visible { get; init; }

    public static PersonView Of(PersonRow person, DictionaryDefinition dictionary, FieldProtection protection, WorkflowPermissions permissions)
    {
        var resolved = protection.DeserializeResolved(person.ValuesJson);
        var all = resolved.ToDictionary(p => p.Key, p => (string?)p.Value.Value, StringComparer.Ordinal);
        var visible = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in permissions.Read)
        {
            var definition = dictionary.FindField(field);
            all.TryGetValue(field, out var value);
            visible[field] = definition is null ? value : Typed(definition.Type, value);
        }
        all.TryGetValue(dictionary.Lifecycle.TimeZone ?? "time_zone", out var zone);
        return new PersonView
        {
            PersonId = person.Id,
            Name = person.DisplayName,
            State = person.State,
            Zone = WorkflowTime.Zone(zone),
            All = all,
            Visible = visible,
        };
    }

    /// <summary>Typed values for filters and templates; a value that does not parse stays text.</summary>
    public static object? Typed(FieldType type, string? value)
    {
        if (value is null)
            return null;
        return type switch
        {
            FieldType.Date when DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) => d,
            FieldType.DateTime when DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) => t,
            FieldType.Bool when bool.TryParse(value, out var b) => b,
            FieldType.Number when decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) => n,
            _ => value,
        };
    }

    /// <summary>The values a template or filter sees: declared fields and the run's context.</summary>
    public Dictionary<string, object?> TemplateValues(string workflowName, Guid runId, DateTimeOffset now, IReadOnlyDictionary<string, Dictionary<string, object?>> steps)
    {
        var values = new Dictionary<string, object?>(Visible, StringComparer.OrdinalIgnoreCase)
        {
            ["person"] = new Dictionary<string, object?> { ["id"] = PersonId.ToString(), ["name"] = Name, ["state"] = State },
            ["steps"] = steps.ToDictionary(s => s.Key, s => (object?)s.Value),
            ["run"] = new Dictionary<string, object?> { ["id"] = runId.ToString("N") },
            ["today"] = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Zone).DateTime),
            ["now"] = now,
            ["workflow"] = workflowName,
        };
        return values;
    }
}
