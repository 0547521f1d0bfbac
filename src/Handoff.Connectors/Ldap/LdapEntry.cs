using System.DirectoryServices.Protocols;
using System.Text;

namespace Handoff.Connectors.Ldap;

/// <summary>One entry read from the directory: its DN and its values as text (attribute names
/// compared without case, as LDAP does).</summary>
public sealed class LdapEntry(string dn, Dictionary<string, List<string>> values)
{
    public string Dn { get; } = dn;

    public IReadOnlyDictionary<string, List<string>> Values { get; } = values;

    public string? First(string attribute) => Values.TryGetValue(attribute, out var v) && v.Count > 0 ? v[0] : null;

    public IReadOnlyList<string> All(string attribute) => Values.TryGetValue(attribute, out var v) ? v : [];

    public bool Has(string attribute, string value) =>
        All(attribute).Any(v => string.Equals(v, value, StringComparison.OrdinalIgnoreCase));

    internal static LdapEntry From(SearchResultEntry entry)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in entry.Attributes.AttributeNames)
        {
            var attribute = entry.Attributes[name];
            var list = new List<string>(attribute.Count);
            for (var i = 0; i < attribute.Count; i++)
            {
                list.Add(attribute[i] switch
                {
                    string s => s,
                    byte[] bytes => Text(bytes),
                    var other => other?.ToString() ?? "",
                });
            }
            values[name] = list;
        }
        return new LdapEntry(entry.DistinguishedName, values);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Text values come as UTF-8; binary ones (objectGUID, objectSid) as base64.</summary>
    internal static string Text(byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Convert.ToBase64String(bytes);
        }
    }
}
