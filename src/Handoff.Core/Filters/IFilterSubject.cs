using System.Collections;

namespace Handoff.Core.Filters;

/// <summary>
/// Something a filter is evaluated against: a person's canonical fields, a SCIM resource.
/// </summary>
public interface IFilterSubject
{
    /// <summary>
    /// Reads the attribute <paramref name="path"/> (including its sub-attribute, if any). Returns
    /// <see langword="false"/> when the attribute is absent. A value is a string, bool, number, DateOnly,
    /// DateTime, DateTimeOffset, <see langword="null"/>, a list of such values (multi-valued), or for complex
    /// attributes an <see cref="IReadOnlyDictionary{TKey,TValue}"/> of string to object (or a list of them).
    /// </summary>
    bool TryGet(AttributePath path, out object? value);
}

/// <summary>
/// A filter subject over a dictionary of attribute values. Keys are matched case-insensitively whatever the
/// dictionary's comparer. A schema-qualified path is looked up as <c>"schema:name"</c>, then under a nested
/// dictionary keyed by the schema URN (the SCIM JSON layout), then as the bare name.
/// Complex attributes are nested dictionaries; a sub-attribute of a list of dictionaries is the list of
/// each element's sub-attribute.
/// </summary>
public sealed class DictionaryFilterSubject(IReadOnlyDictionary<string, object?> values) : IFilterSubject
{
    private readonly IReadOnlyDictionary<string, object?> _values = values ?? throw new ArgumentNullException(nameof(values));

    /// <inheritdoc />
    public bool TryGet(AttributePath path, out object? value)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!TryGetTop(path, out value))
            return false;
        if (path.SubAttribute is null)
            return true;
        return TryGetSub(value, path.SubAttribute, out value);
    }

    private bool TryGetTop(AttributePath path, out object? value)
    {
        if (path.Schema is not null)
        {
            if (TryLookup(_values, path.Schema + ":" + path.Name, out value))
                return true;
            if (TryLookup(_values, path.Schema, out var extension) && AsDictionary(extension) is { } nested
                && TryLookup(nested, path.Name, out value))
                return true;
        }
        return TryLookup(_values, path.Name, out value);
    }

    private static bool TryGetSub(object? value, string subAttribute, out object? result)
    {
        result = null;
        if (value is null)
            return false;
        if (AsDictionary(value) is { } complex)
            return TryLookup(complex, subAttribute, out result);
        if (value is IEnumerable elements and not string)
        {
            var values = new List<object?>();
            foreach (var element in elements)
            {
                if (AsDictionary(element) is { } item && TryLookup(item, subAttribute, out var sub))
                    values.Add(sub);
            }
            result = values;
            return values.Count > 0;
        }
        return false;
    }

    internal static IReadOnlyDictionary<string, object?>? AsDictionary(object? value) => value switch
    {
        IReadOnlyDictionary<string, object?> d => d,
        IDictionary<string, object?> d => d.AsReadOnly(),
        _ => null,
    };

    private static bool TryLookup(IReadOnlyDictionary<string, object?> values, string key, out object? value)
    {
        if (values.TryGetValue(key, out value))
            return true;
        foreach (var (candidate, candidateValue) in values)
        {
            if (string.Equals(candidate, key, StringComparison.OrdinalIgnoreCase))
            {
                value = candidateValue;
                return true;
            }
        }
        value = null;
        return false;
    }
}
