using System.DirectoryServices.Protocols;
using System.Formats.Asn1;
using System.Text;

namespace Handoff.Connectors.Ldap;

/// <summary>
/// The LDAP pre-read control (RFC 4527): a modify that carries it gets back, in the same response, the
/// entry's named attributes as they were before the change. An update then costs one request instead
/// of a read and a modify, and still tells "already applied" (the values were already those) from a
/// real change. OpenLDAP supports it; Active Directory does not (the connector reads first there).
/// </summary>
internal static class LdapPreRead
{
    public const string Oid = "1.3.6.1.1.13.1";

    /// <summary>The control asking for <paramref name="attributes"/>: AttributeSelection ::= SEQUENCE OF LDAPString.</summary>
    public static DirectoryControl Control(IEnumerable<string> attributes)
    {
        var writer = new AsnWriter(AsnEncodingRules.BER);
        using (writer.PushSequence())
        {
            foreach (var a in attributes)
                writer.WriteOctetString(Encoding.UTF8.GetBytes(a));
        }
        return new DirectoryControl(Oid, writer.Encode(), isCritical: true, serverSide: true);
    }

    /// <summary>The entry before the change, from the response's control: a SearchResultEntry
    /// ([APPLICATION 4] SEQUENCE { objectName, SEQUENCE OF SEQUENCE { type, SET OF value } }); null
    /// when the server sent none.</summary>
    public static LdapEntry? Before(DirectoryResponse response)
    {
        var control = response.Controls?.FirstOrDefault(c => c.Type == Oid);
        if (control?.GetValue() is not { Length: > 0 } value)
            return null;
        var reader = new AsnReader(value, AsnEncodingRules.BER);
        var entry = reader.ReadSequence(new Asn1Tag(TagClass.Application, 4, isConstructed: true));
        var dn = Encoding.UTF8.GetString(entry.ReadOctetString());
        var values = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var attributes = entry.ReadSequence();
        while (attributes.HasData)
        {
            var attribute = attributes.ReadSequence();
            var name = Encoding.UTF8.GetString(attribute.ReadOctetString());
            var set = attribute.ReadSetOf(skipSortOrderValidation: true);
            var list = new List<string>();
            while (set.HasData)
                list.Add(LdapEntry.Text(set.ReadOctetString()));
            values[name] = list;
        }
        return new LdapEntry(dn, values);
    }
}
