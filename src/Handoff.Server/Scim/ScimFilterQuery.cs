using System.Linq.Expressions;
using Handoff.Core.Filters;
using Handoff.Data.Scim;

namespace Handoff.Server.Scim;

/// <summary>
/// Translates the part of a parsed SCIM filter that the indexed columns can answer (id, userName or a
/// group's displayName, externalId) into a database predicate. The translation is either exact (the
/// database answers the whole filter, so counting and paging happen there) or a narrowing: a
/// necessary condition, after which the shared evaluator decides on the remaining candidates.
/// </summary>
public static class ScimFilterQuery
{
    public sealed record Translation(Expression<Func<ScimResourceRow, bool>> Predicate, bool Exact);

    public static Translation? Translate(FilterExpression filter, ScimResourceType type)
    {
        var parameter = Expression.Parameter(typeof(ScimResourceRow), "r");
        var result = Visit(filter, type, parameter);
        return result is null ? null : new Translation(Expression.Lambda<Func<ScimResourceRow, bool>>(result.Value.Body, parameter), result.Value.Exact);
    }

    private static (Expression Body, bool Exact)? Visit(FilterExpression filter, ScimResourceType type, ParameterExpression r)
    {
        switch (filter)
        {
            case And a:
                {
                    var left = Visit(a.Left, type, r);
                    var right = Visit(a.Right, type, r);
                    if (left is { } l && right is { } rr)
                        return (Expression.AndAlso(l.Body, rr.Body), l.Exact && rr.Exact);
                    // One side narrows; the evaluator checks the other.
                    return left is { } only ? (only.Body, false) : right is { } other ? (other.Body, false) : null;
                }
            case Or o:
                {
                    var left = Visit(o.Left, type, r);
                    var right = Visit(o.Right, type, r);
                    return left is { } l && right is { } rr ? (Expression.OrElse(l.Body, rr.Body), l.Exact && rr.Exact) : null;
                }
            case Comparison { Value: FilterString s } c when c.Path.SubAttribute is null && IsCore(c.Path, type):
                return Compare(c, s.Value, type, r);
            default:
                return null;
        }
    }

    private static bool IsCore(AttributePath path, ScimResourceType type) =>
        path.Schema is null || string.Equals(path.Schema, type.Core.Id, StringComparison.OrdinalIgnoreCase);

    private static (Expression Body, bool Exact)? Compare(Comparison c, string value, ScimResourceType type, ParameterExpression r)
    {
        var name = c.Path.Name;
        var isName = type == ScimSchemas.Users
            ? string.Equals(name, "userName", StringComparison.OrdinalIgnoreCase)
            : string.Equals(name, "displayName", StringComparison.OrdinalIgnoreCase);
        if (isName)
        {
            // userName and a group's displayName are case-insensitive: the column holds them in lower case.
            var column = Expression.Property(r, nameof(ScimResourceRow.NameKey));
            var lower = Expression.Constant(value.ToLowerInvariant());
            return c.Op switch
            {
                ComparisonOperator.Eq => (Expression.Equal(column, lower), true),
                ComparisonOperator.Ne => (Expression.NotEqual(column, lower), true),
                // LIKE-based translations differ per provider in escaping; they narrow and the evaluator decides.
                ComparisonOperator.Sw => (Expression.Call(column, nameof(string.StartsWith), null, lower), false),
                _ => null,
            };
        }
        if (string.Equals(name, "externalId", StringComparison.OrdinalIgnoreCase))
        {
            var column = Expression.Property(r, nameof(ScimResourceRow.ExternalId));
            var constant = Expression.Constant(value, typeof(string));
            return c.Op switch
            {
                ComparisonOperator.Eq => (Expression.Equal(column, constant), true),
                _ => null,
            };
        }
        if (string.Equals(name, "id", StringComparison.OrdinalIgnoreCase) && c.Op == ComparisonOperator.Eq)
        {
            if (!Guid.TryParse(value, out var id))
                return (Expression.Constant(false), true);
            return (Expression.Equal(Expression.Property(r, nameof(ScimResourceRow.Id)), Expression.Constant(id)), true);
        }
        return null;
    }
}
