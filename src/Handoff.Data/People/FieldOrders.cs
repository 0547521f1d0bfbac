using Handoff.Core.Sources;

namespace Handoff.Data.People;

/// <summary>The ordering facts of one source record's values, stored compactly: <c>{"*": order}</c>
/// when every value has the same one (the usual case: one row stated them all), with an entry per
/// field only where a later partial delivery moved it.</summary>
internal static class FieldOrders
{
    private const string Default = "*";

    public static Dictionary<string, string> Parse(string? json)
    {
        if (string.IsNullOrEmpty(json) || json == "{}")
            return new(StringComparer.Ordinal);
        return JsonDefaults.Deserialize<Dictionary<string, string>>(json) is { } map
            ? new Dictionary<string, string>(map, StringComparer.Ordinal)
            : new(StringComparer.Ordinal);
    }

    public static string Of(Dictionary<string, string> orders, string field) =>
        orders.TryGetValue(field, out var order) ? order : orders.GetValueOrDefault(Default) ?? RecordOrder.None;

    public static string Serialize(Dictionary<string, string> orders, IEnumerable<string> fields)
    {
        var perField = fields.ToDictionary(f => f, f => Of(orders, f), StringComparer.Ordinal);
        if (perField.Count == 0)
            return "{}";
        var common = perField.Values.GroupBy(o => o, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key, StringComparer.Ordinal).First().Key;
        var compact = new Dictionary<string, string>(StringComparer.Ordinal) { [Default] = common };
        foreach (var (field, order) in perField)
        {
            if (order != common)
                compact[field] = order;
        }
        return JsonDefaults.Serialize(compact);
    }
}
