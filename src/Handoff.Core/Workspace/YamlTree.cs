using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Handoff.Core.Workspace;

/// <summary>A minimal YAML node tree that keeps every node's position and, unlike YamlDotNet's
/// representation model, tolerates duplicate keys so they can be reported instead of aborting.</summary>
internal abstract record YamlTreeNode(int Line, int Column)
{
    /// <summary>Nodes in this subtree, counting alias expansions (used to refuse alias bombs).</summary>
    public long Size { get; set; } = 1;

    public abstract string Describe { get; }
}

internal sealed record YamlTreeScalar(int Line, int Column, string Value, ScalarStyle Style) : YamlTreeNode(Line, Column)
{
    /// <summary>A plain <c>~</c>, <c>null</c> or empty scalar: the YAML spelling of "no value".</summary>
    public bool IsNull => Style is ScalarStyle.Plain or ScalarStyle.Any
        && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe => IsNull ? "null" : "a scalar";
}

internal sealed record YamlTreeSequence(int Line, int Column, IReadOnlyList<YamlTreeNode> Items) : YamlTreeNode(Line, Column)
{
    public override string Describe => "a list";
}

internal sealed record YamlTreeMapping(int Line, int Column, IReadOnlyList<(YamlTreeNode Key, YamlTreeNode Value)> Entries)
    : YamlTreeNode(Line, Column)
{
    public override string Describe => "a mapping";
}

/// <summary>Builds a <see cref="YamlTreeNode"/> from YAML text with YamlDotNet's parser.</summary>
internal static class YamlTree
{
    /// <summary>Caps the nodes a document may expand to, so a "billion laughs" alias bomb is refused
    /// instead of exhausting memory or time when the tree is walked.</summary>
    public const long MaxNodes = 100_000;

    /// <summary>Parses one YAML document. An empty document yields an empty mapping.</summary>
    public static YamlTreeNode? Parse(string text, string file, List<WorkspaceError> errors)
    {
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _))
                return new YamlTreeMapping(1, 1, []);
            parser.Consume<DocumentStart>();
            var anchors = new Dictionary<string, YamlTreeNode>();
            long total = 0;
            var root = ReadNode(parser, anchors, ref total);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var extra))
            {
                errors.Add(new(file, (int)extra.Start.Line, (int)extra.Start.Column,
                    "only one YAML document is allowed per file"));
                return null;
            }
            return root;
        }
        catch (AliasBombException bomb)
        {
            errors.Add(new(file, (int)bomb.At.Line, (int)bomb.At.Column,
                $"document expands to more than {MaxNodes:N0} nodes (alias expansion bomb?); refusing to load it"));
            return null;
        }
        catch (YamlException ex)
        {
            // YamlDotNet wraps some errors; the innermost message is the one a person can act on.
            var message = (ex.InnerException as YamlException)?.Message ?? ex.Message;
            errors.Add(new(file, (int)ex.Start.Line, (int)ex.Start.Column, $"YAML syntax error: {message}"));
            return null;
        }
    }

    private sealed class AliasBombException(Mark at) : Exception
    {
        public Mark At { get; } = at;
    }

    private static YamlTreeNode ReadNode(IParser parser, Dictionary<string, YamlTreeNode> anchors, ref long total)
    {
        var start = parser.Current!.Start;
        YamlTreeNode node;
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
                throw new YamlException(alias.Start, alias.End, $"unknown alias *{alias.Value.Value}");
            // The aliased subtree is shared, not copied, but it counts as if it were expanded.
            total += target.Size;
            if (total > MaxNodes)
                throw new AliasBombException(start);
            return target;
        }

        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor;
            node = new YamlTreeScalar((int)start.Line, (int)start.Column, scalar.Value, scalar.Style);
            total++;
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            anchor = seqStart.Anchor;
            total++;
            var items = new List<YamlTreeNode>();
            long size = 1;
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                var item = ReadNode(parser, anchors, ref total);
                size += item.Size;
                items.Add(item);
            }
            node = new YamlTreeSequence((int)start.Line, (int)start.Column, items) { Size = size };
        }
        else if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            anchor = mapStart.Anchor;
            total++;
            var entries = new List<(YamlTreeNode, YamlTreeNode)>();
            long size = 1;
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = ReadNode(parser, anchors, ref total);
                var value = ReadNode(parser, anchors, ref total);
                size += key.Size + value.Size;
                entries.Add((key, value));
            }
            node = new YamlTreeMapping((int)start.Line, (int)start.Column, entries) { Size = size };
        }
        else
        {
            throw new YamlException(start, parser.Current.End, $"unexpected {parser.Current.GetType().Name}");
        }

        if (total > MaxNodes)
            throw new AliasBombException(start);
        if (!anchor.IsEmpty)
            anchors[anchor.Value] = node;
        return node;
    }
}
