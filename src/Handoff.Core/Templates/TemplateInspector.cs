using Fluid.Ast;
using Fluid.Parser;

namespace Handoff.Core.Templates;

/// <summary>
/// Walks a parsed template: the root names it reads (before assigning them itself), the filters it calls,
/// and the constructs Handoff does not allow (tags that reach files or capture unbounded text, ranges
/// whose size is not known up front).
/// </summary>
internal sealed class TemplateInspector(int maxRange) : AstVisitor
{
    private readonly HashSet<string> _locals = new(StringComparer.Ordinal) { "forloop" };
    private readonly HashSet<string> _seenNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenFilters = new(StringComparer.Ordinal);

    public List<string> ReferencedNames { get; } = [];

    public List<string> FilterNames { get; } = [];

    public List<string> Problems { get; } = [];

    protected override Expression VisitMemberExpression(MemberExpression memberExpression)
    {
        if (memberExpression.Segments.Count > 0 && memberExpression.Segments[0] is IdentifierSegment root
            && !_locals.Contains(root.Identifier) && _seenNames.Add(root.Identifier))
            ReferencedNames.Add(root.Identifier);
        return base.VisitMemberExpression(memberExpression);
    }

    protected override Expression VisitFilterExpression(FilterExpression filterExpression)
    {
        if (_seenFilters.Add(filterExpression.Name))
            FilterNames.Add(filterExpression.Name);
        return base.VisitFilterExpression(filterExpression);
    }

    protected override Statement VisitAssignStatement(AssignStatement assignStatement)
    {
        var result = base.VisitAssignStatement(assignStatement);
        _locals.Add(assignStatement.Identifier);
        return result;
    }

    protected override Statement VisitForStatement(ForStatement forStatement)
    {
        Visit(forStatement.Source);
        _locals.Add(forStatement.Identifier);
        return base.VisitForStatement(forStatement);
    }

    protected override Expression VisitRangeExpression(RangeExpression rangeExpression)
    {
        if (rangeExpression.From is LiteralExpression from && rangeExpression.To is LiteralExpression to
            && Math.Abs(to.Value.ToNumberValue() - from.Value.ToNumberValue()) < maxRange)
            return base.VisitRangeExpression(rangeExpression);
        Problems.Add($"a range needs literal bounds at most {maxRange} apart, e.g. (1..10)");
        return rangeExpression;
    }

    protected override Statement VisitCaptureStatement(CaptureStatement s) => NotAllowed("capture", s);

    protected override Statement VisitIncludeStatement(IncludeStatement s) => NotAllowed("include", s);

    protected override Statement VisitRenderStatement(RenderStatement s) => NotAllowed("render", s);

    protected override Statement VisitCycleStatement(CycleStatement s) => NotAllowed("cycle", s);

    protected override Statement VisitTableRowStatement(TableRowStatement s) => NotAllowed("tablerow", s);

    protected override Statement VisitLiquidStatement(LiquidStatement s) => NotAllowed("liquid", s);

    protected override Statement VisitMacroStatement(MacroStatement s) => NotAllowed("macro", s);

    protected override Statement VisitFromStatement(FromStatement s) => NotAllowed("from", s);

    protected override Statement VisitCallbackStatement(CallbackStatement s) => NotAllowed("callback", s);

    protected override Statement VisitParserTagStatement<T>(ParserTagStatement<T> s) => NotAllowed("custom", s);

    protected override Statement VisitParserBlockStatement<T>(ParserBlockStatement<T> s) => NotAllowed("custom", s);

    private Statement NotAllowed(string tag, Statement statement)
    {
        Problems.Add($"the {{% {tag} %}} tag is not allowed in Handoff templates");
        return statement;
    }
}
