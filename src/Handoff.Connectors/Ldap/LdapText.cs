using System.Globalization;
using System.Text;

namespace Handoff.Connectors.Ldap;

/// <summary>Escaping of values placed in distinguished names (RFC 4514) and search filters (RFC 4515).
/// Every value that comes from people data goes through one of these before it reaches the server.</summary>
public static class LdapText
{
    /// <summary>Escapes an attribute value for one RDN (<c>cn=VALUE</c>): <c>, + " \ &lt; &gt; ; =</c> get a
    /// backslash; a leading <c>#</c> or space and a trailing space too; NUL and other control characters
    /// become <c>\XX</c> (their UTF-8 bytes). Other non-ASCII text stays as it is (RFC 4514 allows UTF-8).</summary>
    public static string EscapeDnValue(string value)
    {
        if (value.Length == 0)
            return value;
        var sb = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' or '=' || (c == '#' && i == 0) || (c == ' ' && (i == 0 || i == value.Length - 1)))
            {
                sb.Append('\\').Append(c);
            }
            else if (char.IsControl(c))
            {
                foreach (var b in Encoding.UTF8.GetBytes(c.ToString()))
                    sb.Append('\\').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>Escapes a value for an equality filter (<c>(cn=VALUE)</c>): <c>* ( ) \</c>, NUL and every
    /// byte outside printable ASCII become <c>\XX</c> of their UTF-8 bytes.</summary>
    public static string EscapeFilterValue(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is (byte)'*' or (byte)'(' or (byte)')' or (byte)'\\' or < 0x20 or >= 0x7F)
                sb.Append('\\').Append(b.ToString("x2", CultureInfo.InvariantCulture));
            else
                sb.Append((char)b);
        }
        return sb.ToString();
    }

    /// <summary><c>(attribute=value)</c> with the value escaped.</summary>
    public static string Equal(string attribute, string value) => $"({attribute}={EscapeFilterValue(value)})";

    /// <summary>Splits a DN into its first RDN and the rest (the parent), honouring escapes.</summary>
    public static (string Rdn, string Parent) SplitFirst(string dn)
    {
        var inQuotes = false;
        for (var i = 0; i < dn.Length; i++)
        {
            var c = dn[i];
            if (c == '\\')
            {
                i++;
                continue;
            }
            if (c == '"')
                inQuotes = !inQuotes;
            else if (c == ',' && !inQuotes)
                return (dn[..i], dn[(i + 1)..].TrimStart());
        }
        return (dn, "");
    }

    /// <summary>The unescaped value of an RDN such as <c>cn=Smith\, John</c> (RFC 4514 escapes, incl. <c>\XX</c> UTF-8 bytes).</summary>
    public static string RdnValue(string rdn)
    {
        var eq = rdn.IndexOf('=');
        var raw = eq < 0 ? rdn : rdn[(eq + 1)..];
        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length)
            {
                if (i + 2 < raw.Length && Uri.IsHexDigit(raw[i + 1]) && Uri.IsHexDigit(raw[i + 2]))
                {
                    bytes.Add(byte.Parse(raw.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                }
                else
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(raw[i + 1].ToString()));
                    i++;
                }
            }
            else if (char.IsHighSurrogate(raw[i]) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1]))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(raw.Substring(i, 2)));
                i++;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(raw[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>Joins DN parts, skipping empty ones.</summary>
    public static string Join(params string?[] parts) => string.Join(",", parts.Where(p => !string.IsNullOrEmpty(p)));
}
