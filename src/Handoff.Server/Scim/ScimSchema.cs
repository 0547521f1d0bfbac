using Handoff.Core.Filters;

namespace Handoff.Server.Scim;

/// <summary>SCIM attribute data types (RFC 7643 §2.3).</summary>
public enum ScimType { String, Boolean, Decimal, Integer, DateTime, Binary, Reference, Complex }

/// <summary>One attribute of a SCIM schema (RFC 7643 §7): what the server enforces and publishes at /Schemas.</summary>
public sealed record ScimAttribute(
    string Name,
    ScimType Type,
    string Description,
    bool MultiValued = false,
    bool Required = false,
    bool CaseExact = false,
    string Mutability = "readWrite",
    string Returned = "default",
    string Uniqueness = "none",
    IReadOnlyList<ScimAttribute>? SubAttributes = null,
    IReadOnlyList<string>? CanonicalValues = null,
    IReadOnlyList<string>? ReferenceTypes = null)
{
    public IReadOnlyList<ScimAttribute> Subs => SubAttributes ?? [];

    public ScimAttribute? Sub(string name) => Subs.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    public bool ReadOnly => Mutability == "readOnly";
}

/// <summary>A schema: core User, core Group, or an extension (EnterpriseUser, Handoff's HR extension).</summary>
public sealed record ScimSchemaDefinition(string Id, string Name, string Description, IReadOnlyList<ScimAttribute> Attributes)
{
    public ScimAttribute? Find(string name) => Attributes.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A resource type (RFC 7643 §6): its endpoint, core schema and extensions.</summary>
public sealed record ScimResourceType(string Name, string Endpoint, ScimSchemaDefinition Core, IReadOnlyList<ScimSchemaDefinition> Extensions)
{
    public ScimSchemaDefinition? Extension(string urn) => Extensions.FirstOrDefault(e => string.Equals(e.Id, urn, StringComparison.OrdinalIgnoreCase));

    /// <summary>The attribute a filter, sort or projection path names, or null; <c>emails.type</c> gives the sub-attribute.</summary>
    public ScimAttribute? Resolve(AttributePath path)
    {
        ScimAttribute? top;
        if (path.Schema is not null)
        {
            if (string.Equals(path.Schema, Core.Id, StringComparison.OrdinalIgnoreCase))
                top = Core.Find(path.Name) ?? ScimSchemas.Common.FirstOrDefault(a => string.Equals(a.Name, path.Name, StringComparison.OrdinalIgnoreCase));
            else
                top = Extension(path.Schema)?.Find(path.Name);
        }
        else
        {
            top = ScimSchemas.Common.FirstOrDefault(a => string.Equals(a.Name, path.Name, StringComparison.OrdinalIgnoreCase)) ?? Core.Find(path.Name);
        }
        if (top is null || path.SubAttribute is null)
            return top;
        return top.Sub(path.SubAttribute);
    }
}

/// <summary>The schemas this server speaks. Attribute lists follow RFC 7643 §4; the Handoff extension
/// carries what an HR system knows and SCIM's core does not: hire date, termination date, worker type.</summary>
public static class ScimSchemas
{
    public const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string GroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
    public const string EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    public const string HrSchema = "urn:handoff:params:scim:schemas:extension:hr:2.0:User";
    public const string ListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    public const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    public const string BulkRequest = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
    public const string BulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
    public const string Error = "urn:ietf:params:scim:api:messages:2.0:Error";
    public const string SchemaSchema = "urn:ietf:params:scim:schemas:core:2.0:Schema";
    public const string ResourceTypeSchema = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
    public const string ServiceProviderConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

    private static ScimAttribute Text(string name, string description, bool caseExact = false, bool required = false) =>
        new(name, ScimType.String, description, CaseExact: caseExact, Required: required);

    private static ScimAttribute MultiComplex(string name, string description, params ScimAttribute[] subs) =>
        new(name, ScimType.Complex, description, MultiValued: true, SubAttributes: subs);

    private static ScimAttribute[] Typed(string what, ScimType valueType = ScimType.String, params string[] types) =>
    [
        new("value", valueType, $"The {what}."),
        Text("display", $"A name for the {what}, for display."),
        new("type", ScimType.String, $"The kind of {what}.", CanonicalValues: types),
        new("primary", ScimType.Boolean, $"Whether this is the primary {what}."),
    ];

    /// <summary>id, externalId and meta: on every resource (RFC 7643 §3.1).</summary>
    public static IReadOnlyList<ScimAttribute> Common { get; } =
    [
        new("id", ScimType.String, "The server's identifier of the resource.", CaseExact: true, Mutability: "readOnly", Returned: "always", Uniqueness: "server"),
        Text("externalId", "The client's identifier of the resource (e.g. the employee id).", caseExact: true),
        new("meta", ScimType.Complex, "Resource metadata.", Mutability: "readOnly", SubAttributes:
        [
            new("resourceType", ScimType.String, "User or Group.", CaseExact: true, Mutability: "readOnly"),
            new("created", ScimType.DateTime, "When the resource was created.", Mutability: "readOnly"),
            new("lastModified", ScimType.DateTime, "When the resource was last changed.", Mutability: "readOnly"),
            new("location", ScimType.Reference, "The resource's URI.", CaseExact: true, Mutability: "readOnly"),
            new("version", ScimType.String, "The resource's version (its ETag).", CaseExact: true, Mutability: "readOnly"),
        ]),
    ];

    public static ScimSchemaDefinition User { get; } = new(UserSchema, "User", "User Account",
    [
        new("userName", ScimType.String, "Unique identifier for the user, typically the sign-in name.", Required: true, Uniqueness: "server"),
        new("name", ScimType.Complex, "The components of the user's name.", SubAttributes:
        [
            Text("formatted", "The full name, formatted for display."),
            Text("familyName", "The family name (last name)."),
            Text("givenName", "The given name (first name)."),
            Text("middleName", "The middle name(s)."),
            Text("honorificPrefix", "Honorific prefix, e.g. Ms."),
            Text("honorificSuffix", "Honorific suffix, e.g. III."),
        ]),
        Text("displayName", "The name of the user, for display."),
        Text("nickName", "The casual name of the user."),
        new("profileUrl", ScimType.Reference, "A URI of the user's online profile.", ReferenceTypes: ["external"]),
        Text("title", "The user's job title."),
        Text("userType", "The relationship between the organization and the user."),
        Text("preferredLanguage", "The user's preferred written or spoken language."),
        Text("locale", "The user's default location for localization."),
        Text("timezone", "The user's time zone (IANA name)."),
        new("active", ScimType.Boolean, "Whether the user is active."),
        new("password", ScimType.String, "Never stored or returned by Handoff.", Mutability: "writeOnly", Returned: "never"),
        MultiComplex("emails", "Email addresses.", Typed("email address", ScimType.String, "work", "home", "other")),
        MultiComplex("phoneNumbers", "Phone numbers.", Typed("phone number", ScimType.String, "work", "home", "mobile", "fax", "pager", "other")),
        MultiComplex("ims", "Instant messaging addresses.", Typed("instant messaging address")),
        MultiComplex("photos", "URIs of photos of the user.", Typed("photo", ScimType.Reference, "photo", "thumbnail")),
        MultiComplex("addresses", "Physical mailing addresses.",
            Text("formatted", "The full address, formatted for display."),
            Text("streetAddress", "Street, house number."),
            Text("locality", "City or locality."),
            Text("region", "State or region."),
            Text("postalCode", "Postal code."),
            Text("country", "Country (ISO 3166-1 alpha-2)."),
            new("type", ScimType.String, "The kind of address.", CanonicalValues: ["work", "home", "other"]),
            new("primary", ScimType.Boolean, "Whether this is the primary address.")),
        new("groups", ScimType.Complex, "The groups the user belongs to (managed through /Groups).", MultiValued: true, Mutability: "readOnly", SubAttributes:
        [
            new("value", ScimType.String, "The group's id.", Mutability: "readOnly"),
            new("$ref", ScimType.Reference, "The group's URI.", Mutability: "readOnly", ReferenceTypes: ["Group"]),
            new("display", ScimType.String, "The group's displayName.", Mutability: "readOnly"),
            new("type", ScimType.String, "direct.", Mutability: "readOnly", CanonicalValues: ["direct", "indirect"]),
        ]),
        MultiComplex("entitlements", "Entitlements of the user.", Typed("entitlement")),
        MultiComplex("roles", "Roles of the user.", Typed("role")),
    ]);

    public static ScimSchemaDefinition Enterprise { get; } = new(EnterpriseSchema, "EnterpriseUser", "Enterprise User",
    [
        Text("employeeNumber", "The employee number the organization assigned."),
        Text("costCenter", "The cost center."),
        Text("organization", "The organization."),
        Text("division", "The division."),
        Text("department", "The department."),
        new("manager", ScimType.Complex, "The user's manager.", SubAttributes:
        [
            new("value", ScimType.String, "The manager's identifier (in Acme's feed: the manager's employee id).", CaseExact: true),
            new("$ref", ScimType.Reference, "The manager's URI.", ReferenceTypes: ["User"]),
            new("displayName", ScimType.String, "The manager's display name.", Mutability: "readOnly"),
        ]),
    ]);

    public static ScimSchemaDefinition Hr { get; } = new(HrSchema, "HandoffHrUser", "What an HR system knows about a worker (Handoff)",
    [
        Text("hireDate", "First day of work, ISO 8601 date (2027-01-04); a dateTime's date part is taken."),
        Text("terminationDate", "Last day of work, ISO 8601 date."),
        new("workerType", ScimType.String, "employee, contractor or intern.", CanonicalValues: ["employee", "contractor", "intern"]),
    ]);

    public static ScimSchemaDefinition Group { get; } = new(GroupSchema, "Group", "Group",
    [
        new("displayName", ScimType.String, "A name for the group.", Required: true),
        new("members", ScimType.Complex, "The members of the group.", MultiValued: true, SubAttributes:
        [
            new("value", ScimType.String, "The member's id.", CaseExact: true, Mutability: "immutable"),
            new("$ref", ScimType.Reference, "The member's URI.", Mutability: "immutable", ReferenceTypes: ["User", "Group"]),
            new("display", ScimType.String, "The member's name.", Mutability: "readOnly"),
            new("type", ScimType.String, "User or Group.", Mutability: "immutable", CanonicalValues: ["User", "Group"]),
        ]),
    ]);

    public static ScimResourceType Users { get; } = new("User", "/Users", User, [Enterprise, Hr]);
    public static ScimResourceType Groups { get; } = new("Group", "/Groups", Group, []);

    public static IReadOnlyList<ScimResourceType> ResourceTypes { get; } = [Users, Groups];
    public static IReadOnlyList<ScimSchemaDefinition> All { get; } = [User, Group, Enterprise, Hr];

    /// <summary>The filter type of a path for <see cref="ScimFilter.Validate"/>.</summary>
    public static FilterAttributeType? FilterTypeOf(ScimResourceType type, AttributePath path)
    {
        if (path.SubAttribute is null && path.Schema is null && string.Equals(path.Name, "schemas", StringComparison.OrdinalIgnoreCase))
            return FilterAttributeType.Reference;
        var attribute = type.Resolve(path);
        if (attribute is null)
            return null;
        return attribute.Type switch
        {
            ScimType.String => FilterAttributeType.String,
            ScimType.Boolean => FilterAttributeType.Boolean,
            ScimType.Decimal or ScimType.Integer => FilterAttributeType.Number,
            ScimType.DateTime => FilterAttributeType.DateTime,
            ScimType.Binary => FilterAttributeType.Binary,
            ScimType.Reference => FilterAttributeType.Reference,
            _ => FilterAttributeType.Complex,
        };
    }
}
