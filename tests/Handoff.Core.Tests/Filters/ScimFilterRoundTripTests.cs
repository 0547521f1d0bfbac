using CsCheck;
using Handoff.Core.Filters;

namespace Handoff.Core.Tests.Filters;

public class ScimFilterRoundTripTests
{
    private static readonly Gen<string> Name =
        Gen.Select(Gen.Char["abcxyzABCXYZ$"], Gen.String[Gen.Char["abcXYZ019-_"], 0, 6], (first, rest) => first + rest)
            .Where(name => !IsKeyword(name));

    private static bool IsKeyword(string name) =>
        name.ToLowerInvariant() is "and" or "or" or "not" or "pr" or "true" or "false" or "null";

    private static readonly Gen<string?> Schema = Gen.Frequency(
        (4, Gen.Const((string?)null)),
        (1, Gen.Const((string?)"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")),
        (1, Gen.Const((string?)"urn:acme:hr:1.0:Person")));

    private static readonly Gen<AttributePath> Path =
        Gen.Select(Schema, Name, Gen.Frequency((3, Gen.Const((string?)null)), (1, Name.Select(n => (string?)n))),
            (schema, name, sub) => new AttributePath(schema, name, sub));

    private static readonly Gen<AttributePath> SubPath = Name.Select(n => new AttributePath(null, n));

    private static readonly Gen<FilterValue?> Value = Gen.OneOf<FilterValue?>(
        Gen.String.Select(s => (FilterValue?)new FilterString(s)),
        Gen.String[Gen.Char["\"\\/\b\f\n\r\t\u0001 aé😀"], 0, 8].Select(s => (FilterValue?)new FilterString(s)),
        Gen.Decimal.Select(d => (FilterValue?)new FilterNumber(d)),
        Gen.Int.Select(i => (FilterValue?)new FilterNumber(i)),
        Gen.Bool.Select(b => (FilterValue?)new FilterBoolean(b)),
        Gen.Const((FilterValue?)null));

    private static Gen<FilterExpression> Expression(Gen<AttributePath> paths, bool allowValuePaths) =>
        Gen.Recursive<FilterExpression>((depth, self) =>
        {
            var leaf = Gen.OneOf<FilterExpression>(
                Gen.Select(paths, Gen.Enum<ComparisonOperator>(), Value, (p, op, v) => (FilterExpression)new Comparison(p, op, v)),
                paths.Select(p => (FilterExpression)new Present(p)));
            if (depth > 4)
                return leaf;
            var options = new List<(int, IGen<FilterExpression>)>
            {
                (4, leaf),
                (1, Gen.Select(self, self, (l, r) => (FilterExpression)new And(l, r))),
                (1, Gen.Select(self, self, (l, r) => (FilterExpression)new Or(l, r))),
                (1, self.Select(e => (FilterExpression)new Not(e))),
            };
            if (allowValuePaths)
            {
                options.Add((1, Gen.Select(
                    Gen.Select(Schema, Name, (s, n) => new AttributePath(s, n)),
                    Expression(SubPath, allowValuePaths: false),
                    Gen.Frequency((1, Gen.Const((string?)null)), (2, Name.Select(n => (string?)n))),
                    Gen.Frequency((1, Gen.Const((ComparisonOperator?)null)), (2, Gen.Enum<ComparisonOperator>().Select(o => (ComparisonOperator?)o))),
                    Value,
                    (p, inner, sub, op, v) => (FilterExpression)(sub is null
                        ? new ValuePathFilter(p, inner)
                        : op is null ? new ValuePathFilter(p, inner, sub) : new ValuePathFilter(p, inner, sub, op, v)))));
            }
            return Gen.Frequency(options.ToArray());
        });

    [Fact]
    public void ToString_parses_back_to_an_equal_expression()
    {
        var valuePaths = 0;
        Expression(Path, allowValuePaths: true).Sample(
            expression =>
            {
                var text = expression.ToString();
                if (text.Contains("]"))
                    Interlocked.Increment(ref valuePaths);
                var parsed = ScimFilter.Parse(text);
                Assert.Equal(expression, parsed);
                Assert.Equal(text, parsed.ToString());
            },
            seed: "0N0XIzNsQ0O2",
            iter: 2_000);
        Assert.True(valuePaths > 0, "the generator made no value path filters");
    }

    [Fact]
    public void Parsing_is_total_on_arbitrary_text()
    {
        // Any text either parses or fails with a FilterSyntaxException (never another exception).
        Gen.String[Gen.Char["ab ()[].\"\\:-1eEnotandorpqr"], 0, 40].Sample(
            text =>
            {
                if (ScimFilter.TryParse(text, out var expression, out var error))
                    Assert.Equal(expression, ScimFilter.Parse(expression.ToString()));
                else
                    Assert.InRange(error.Position, 0, text.Length);
            },
            seed: "0N0XIzNsQ0O2",
            iter: 5_000);
    }
}
