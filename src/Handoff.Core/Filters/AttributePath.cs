namespace Handoff.Core.Filters;

/// <summary>
/// An attribute a filter reads: <c>userName</c>, <c>name.familyName</c> or, with a schema URN,
/// <c>urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber</c>.
/// Attribute names are case-insensitive (RFC 7643 §2.1), so two paths that differ only in case are equal.
/// </summary>
/// <param name="Schema">The schema URN prefix, or <see langword="null"/> for an unqualified name.</param>
/// <param name="Name">The attribute name.</param>
/// <param name="SubAttribute">The sub-attribute of a complex attribute (<c>familyName</c> in <c>name.familyName</c>).</param>
public sealed record AttributePath(string? Schema, string Name, string? SubAttribute = null)
{
    /// <summary>The path without its sub-attribute: <c>name</c> for <c>name.familyName</c>.</summary>
    public AttributePath Parent => SubAttribute is null ? this : this with { SubAttribute = null };

    /// <summary>This attribute's sub-attribute <paramref name="subAttribute"/>.</summary>
    public AttributePath Sub(string subAttribute) => this with { SubAttribute = subAttribute };

    public bool Equals(AttributePath? other) =>
        other is not null
        && string.Equals(Schema, other.Schema, StringComparison.OrdinalIgnoreCase)
        && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase)
        && string.Equals(SubAttribute, other.SubAttribute, StringComparison.OrdinalIgnoreCase);

    public override int GetHashCode() => HashCode.Combine(
        Schema is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(Schema),
        StringComparer.OrdinalIgnoreCase.GetHashCode(Name),
        SubAttribute is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(SubAttribute));

    /// <summary>The path as written in a filter: <c>[schema:]name[.subAttribute]</c>.</summary>
    public override string ToString() =>
        (Schema is null ? "" : Schema + ":") + Name + (SubAttribute is null ? "" : "." + SubAttribute);
}
