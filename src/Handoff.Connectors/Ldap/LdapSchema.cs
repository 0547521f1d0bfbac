using System.Text.RegularExpressions;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;

namespace Handoff.Connectors.Ldap;

/// <summary>The object classes and attribute types of a server, parsed from its subschema entry
/// (RFC 4512 §4.1 descriptions such as <c>( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY … )</c>).</summary>
public sealed partial class LdapSchema
{
    public sealed record ClassDefinition(string Name, IReadOnlyList<string> Superiors, IReadOnlyList<string> Must, IReadOnlyList<string> May);

    public sealed record AttributeDefinition(string Name, string? Syntax, int? Length, bool SingleValued, string? Superior);

    private readonly Dictionary<string, ClassDefinition> _classes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, AttributeDefinition> _attributes = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<string, ClassDefinition> Classes => _classes;

    public IReadOnlyDictionary<string, AttributeDefinition> AttributeTypes => _attributes;

    public static LdapSchema Parse(IEnumerable<string> objectClasses, IEnumerable<string> attributeTypes)
    {
        var schema = new LdapSchema();
        foreach (var text in objectClasses)
        {
            var names = Names(text);
            if (names.Count == 0)
                continue;
            var definition = new ClassDefinition(names[0], Keyword(text, "SUP"), Keyword(text, "MUST"), Keyword(text, "MAY"));
            foreach (var name in names)
                schema._classes[name] = definition;
        }
        foreach (var text in attributeTypes)
        {
            var names = Names(text);
            if (names.Count == 0)
                continue;
            var syntax = SyntaxPattern().Match(text);
            var definition = new AttributeDefinition(names[0],
                syntax.Success ? syntax.Groups[1].Value : null,
                syntax.Success && syntax.Groups[2].Success ? int.Parse(syntax.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : null,
                text.Contains(" SINGLE-VALUE", StringComparison.Ordinal),
                Keyword(text, "SUP").FirstOrDefault());
            foreach (var name in names)
                schema._attributes[name] = definition;
        }
        return schema;
    }

    /// <summary>The class and its superiors, most specific first.</summary>
    public IReadOnlyList<string> Chain(string objectClass)
    {
        var chain = new List<string>();
        var queue = new Queue<string>([objectClass]);
        while (queue.TryDequeue(out var name))
        {
            if (!_classes.TryGetValue(name, out var c) || chain.Contains(c.Name, StringComparer.OrdinalIgnoreCase))
                continue;
            chain.Add(c.Name);
            foreach (var sup in c.Superiors)
                queue.Enqueue(sup);
        }
        return chain;
    }

    /// <summary>Every attribute an entry of the class (plus the auxiliary classes) may carry: required
    /// ones from MUST, their syntax, single- or multi-valued, the length bound; the twin dialect adds
    /// the limits and uniqueness the schema does not state (AD's 20-character sAMAccountName).</summary>
    public IReadOnlyList<TargetAttribute> ClassAttributes(string objectClass, IEnumerable<string> auxiliary, AccountDialect? twin)
    {
        var must = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var all = new List<string>();
        foreach (var name in Chain(objectClass).Concat(auxiliary.SelectMany(Chain)))
        {
            var c = _classes[name];
            foreach (var a in c.Must)
            {
                if (name.Equals(objectClass, StringComparison.OrdinalIgnoreCase) || Chain(objectClass).Contains(name))
                    must.Add(a);
            }
            all.AddRange(c.Must.Concat(c.May));
        }
        return [.. all.Distinct(StringComparer.OrdinalIgnoreCase).Select(a =>
        {
            var type = _attributes.GetValueOrDefault(a);
            var known = twin?.Attribute(a);
            var name = type?.Name ?? a;
            return new TargetAttribute(name, TypeOf(type), must.Contains(a) || (known?.Required ?? false), !(type?.SingleValued ?? false),
                known?.Unique ?? false, known?.MaxLength ?? type?.Length);
        })];
    }

    private string TypeOf(AttributeDefinition? type)
    {
        var syntax = type?.Syntax;
        for (var t = type; syntax is null && t?.Superior is { } sup && _attributes.TryGetValue(sup, out var parent) && parent != t; t = parent)
            syntax = parent.Syntax;
        return syntax switch
        {
            "1.3.6.1.4.1.1466.115.121.1.27" or "1.2.840.113556.1.4.906" => "int",
            "1.3.6.1.4.1.1466.115.121.1.7" => "bool",
            "1.3.6.1.4.1.1466.115.121.1.24" or "1.3.6.1.4.1.1466.115.121.1.53" => "datetime",
            "1.3.6.1.4.1.1466.115.121.1.12" or "1.2.840.113556.1.4.903" => "dn",
            "1.3.6.1.4.1.1466.115.121.1.40" or "1.3.6.1.4.1.1466.115.121.1.5" => "binary",
            _ => "string",
        };
    }

    private static List<string> Names(string text)
    {
        var m = NamePattern().Match(text);
        if (!m.Success)
            return [];
        return [.. QuotedPattern().Matches(m.Groups[1].Value).Select(q => q.Groups[1].Value)];
    }

    /// <summary>The values after a keyword: <c>MUST cn</c> or <c>MUST ( sn $ cn )</c>.</summary>
    private static List<string> Keyword(string text, string keyword)
    {
        var m = Regex.Match(text, $@"\s{keyword}\s+(\(([^)]*)\)|([^\s()]+))");
        if (!m.Success)
            return [];
        var raw = m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value;
        return [.. raw.Split(['$', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => v.Trim('\''))];
    }

    [GeneratedRegex(@"\sNAME\s+(\([^)]*\)|'[^']*')")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex QuotedPattern();

    [GeneratedRegex(@"\sSYNTAX\s+'?([0-9.]+)'?(?:\{(\d+)\})?")]
    private static partial Regex SyntaxPattern();
}
