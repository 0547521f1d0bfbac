namespace Handoff.Core.Filters;

/// <summary>An attribute's data type as <see cref="ScimFilter.Validate"/> needs it (RFC 7643 §2.3).</summary>
public enum FilterAttributeType
{
    String,
    Boolean,
    /// <summary>Integer or decimal.</summary>
    Number,
    /// <summary>A calendar date (<c>yyyy-MM-dd</c>).</summary>
    Date,
    /// <summary>A date and time (xsd:dateTime).</summary>
    DateTime,
    /// <summary>A URI reference; compared like a string.</summary>
    Reference,
    Binary,
    /// <summary>A complex attribute: only its sub-attributes can be compared.</summary>
    Complex,
}
