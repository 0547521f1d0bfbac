using System.Text.Json.Nodes;

namespace Handoff.Server.Scim;

/// <summary>
/// A SCIM error (RFC 7644 §3.12): the HTTP status, the <c>scimType</c> for 400 and 409 answers
/// (invalidSyntax, invalidValue, invalidFilter, invalidPath, noTarget, uniqueness, mutability, tooMany)
/// and a detail that names the attribute at fault.
/// </summary>
public sealed class ScimException(int status, string? scimType, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string? ScimType { get; } = scimType;

    public static ScimException InvalidSyntax(string detail) => new(400, "invalidSyntax", detail);
    public static ScimException InvalidValue(string detail) => new(400, "invalidValue", detail);
    public static ScimException InvalidFilter(string detail) => new(400, "invalidFilter", detail);
    public static ScimException InvalidPath(string detail) => new(400, "invalidPath", detail);
    public static ScimException NoTarget(string detail) => new(400, "noTarget", detail);
    public static ScimException Mutability(string detail) => new(400, "mutability", detail);
    public static ScimException Uniqueness(string detail) => new(409, "uniqueness", detail);

    /// <summary>A write the caller's system may not make because another system owns the person's
    /// lifecycle: 409 (it conflicts with the person's current state, not with the request's form), with
    /// the closest registered scimType, <c>mutability</c> ("not compatible with … current state").</summary>
    public static ScimException LifecycleOwned(string detail) => new(409, "mutability", detail);
    public static ScimException NotFound(string detail) => new(404, null, detail);
    public static ScimException PreconditionFailed(string detail) => new(412, null, detail);

    /// <summary>The error body; <c>status</c> is a string, as RFC 7644 §3.12 has it.</summary>
    public JsonObject ToJson() => Body(Status, ScimType, Message);

    public static JsonObject Body(int status, string? scimType, string detail)
    {
        var body = new JsonObject
        {
            ["schemas"] = new JsonArray(ScimSchemas.Error),
            ["status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (scimType is not null)
            body["scimType"] = scimType;
        body["detail"] = detail;
        return body;
    }
}
