using System.Globalization;
using System.Text;

namespace Handoff.Core.Filters;

/// <summary>Recursive descent over RFC 7644 §3.4.2.2's grammar; precedence not &gt; and &gt; or.</summary>
internal sealed class FilterParser
{
    private const string Operators = "(eq, ne, co, sw, ew, pr, gt, ge, lt, le)";
    private const string FilterStart = "an attribute path, \"not (\" or \"(\"";

    private enum TokenKind { End, Word, String, Number, LParen, RParen, LBracket, RBracket, Dot, Other }

    private readonly record struct Token(TokenKind Kind, int Position, string Text, string? Value = null);

    private readonly string _text;
    private readonly int _maxDepth;
    private int _offset;
    private Token _current;
    private int _depth;

    private FilterParser(string text, int maxDepth)
    {
        _text = text;
        _maxDepth = maxDepth;
        _current = Scan();
    }

    public static FilterExpression Parse(string text, int maxLength, int maxDepth)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > maxLength)
            throw new FilterSyntaxException(
                $"the filter is {text.Length} characters long; the limit is {maxLength}", maxLength);
        var parser = new FilterParser(text, maxDepth);
        var expression = parser.ParseOr(inValuePath: false);
        if (parser._current.Kind != TokenKind.End)
            throw parser.Expected("\"and\", \"or\" or the end of the filter");
        return expression;
    }

    private FilterExpression ParseOr(bool inValuePath)
    {
        var left = ParseAnd(inValuePath);
        while (IsKeyword(_current, "or"))
        {
            Advance();
            left = new Or(left, ParseAnd(inValuePath));
        }
        return left;
    }

    private FilterExpression ParseAnd(bool inValuePath)
    {
        var left = ParseUnary(inValuePath);
        while (IsKeyword(_current, "and"))
        {
            Advance();
            left = new And(left, ParseUnary(inValuePath));
        }
        return left;
    }

    private FilterExpression ParseUnary(bool inValuePath)
    {
        if (IsKeyword(_current, "not"))
        {
            Advance();
            if (_current.Kind != TokenKind.LParen)
                throw Expected("\"(\" after \"not\"");
            return new Not(ParseGroup(inValuePath));
        }
        if (_current.Kind == TokenKind.LParen)
            return ParseGroup(inValuePath);
        return ParseAttributeExpression(inValuePath);
    }

    private FilterExpression ParseGroup(bool inValuePath)
    {
        Enter();
        Advance();
        var inner = ParseOr(inValuePath);
        if (_current.Kind != TokenKind.RParen)
            throw Expected("\"and\", \"or\" or \")\"");
        Advance();
        _depth--;
        return inner;
    }

    private FilterExpression ParseAttributeExpression(bool inValuePath)
    {
        if (_current.Kind != TokenKind.Word || IsKeyword(_current, "and") || IsKeyword(_current, "or"))
            throw Expected(inValuePath ? "a sub-attribute name, \"not (\" or \"(\"" : FilterStart);
        var pathToken = _current;
        var path = ParsePath(pathToken);
        if (inValuePath && (path.Schema is not null || path.SubAttribute is not null))
            throw new FilterSyntaxException(
                $"expected a plain sub-attribute name inside [...] at column {pathToken.Position + 1}, found {Found(pathToken)}",
                pathToken.Position);
        Advance();

        if (_current.Kind == TokenKind.LBracket)
        {
            if (inValuePath)
                throw new FilterSyntaxException(
                    $"value filters cannot be nested: unexpected \"[\" at column {_current.Position + 1}", _current.Position);
            if (path.SubAttribute is not null)
                throw new FilterSyntaxException(
                    $"expected an attribute without a sub-attribute before \"[\" at column {pathToken.Position + 1}, found {Found(pathToken)}",
                    pathToken.Position);
            Enter();
            Advance();
            var inner = ParseOr(inValuePath: true);
            if (_current.Kind != TokenKind.RBracket)
                throw Expected("\"and\", \"or\" or \"]\"");
            Advance();
            _depth--;
            if (_current.Kind != TokenKind.Dot)
                return new ValuePathFilter(path, inner);
            Advance();
            if (_current.Kind != TokenKind.Word || !IsAttributeName(_current.Text))
                throw Expected("a sub-attribute name after \"].\"");
            var sub = _current.Text;
            Advance();
            if (IsKeyword(_current, "pr"))
            {
                Advance();
                return new ValuePathFilter(path, inner, sub);
            }
            if (TryOperator(_current, out var subOp))
            {
                Advance();
                return new ValuePathFilter(path, inner, sub, subOp, ParseValue());
            }
            return new ValuePathFilter(path, inner, sub);
        }

        if (IsKeyword(_current, "pr"))
        {
            Advance();
            return new Present(path);
        }
        if (!TryOperator(_current, out var op))
            throw Expected($"a comparison operator {Operators}");
        Advance();
        return new Comparison(path, op, ParseValue());
    }

    private FilterValue? ParseValue()
    {
        var token = _current;
        FilterValue? value;
        switch (token.Kind)
        {
            case TokenKind.String:
                value = new FilterString(token.Value!);
                break;
            case TokenKind.Number:
                if (!decimal.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                    throw new FilterSyntaxException(
                        $"the number {token.Text} at column {token.Position + 1} is out of range", token.Position);
                value = new FilterNumber(number);
                break;
            case TokenKind.Word when IsKeyword(token, "true"):
                value = new FilterBoolean(true);
                break;
            case TokenKind.Word when IsKeyword(token, "false"):
                value = new FilterBoolean(false);
                break;
            case TokenKind.Word when IsKeyword(token, "null"):
                value = null;
                break;
            default:
                throw Expected("a value (a \"string\", a number, true, false or null)");
        }
        Advance();
        return value;
    }

    private AttributePath ParsePath(Token token)
    {
        var text = token.Text;
        string? schema = null;
        var rest = text;
        if (text.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            var colon = text.LastIndexOf(':');
            schema = text[..colon];
            rest = text[(colon + 1)..];
        }
        else if (text.Contains(':'))
        {
            throw InvalidPath(token, "a schema prefix must be a URN (urn:...)");
        }

        var parts = rest.Split('.');
        if (schema is not null && schema.Length <= "urn:".Length)
            throw InvalidPath(token, "the schema URN is empty");
        if (parts.Length > 2)
            throw InvalidPath(token, "an attribute path has at most one sub-attribute");
        foreach (var part in parts)
        {
            if (!IsAttributeName(part))
                throw InvalidPath(token, "names start with a letter and hold letters, digits, \"-\" and \"_\"");
        }
        return new AttributePath(schema, parts[0], parts.Length == 2 ? parts[1] : null);
    }

    private static bool IsAttributeName(string name) =>
        name.Length > 0
        && (char.IsAsciiLetter(name[0]) || name[0] == '$')
        && name.Skip(1).All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private FilterSyntaxException InvalidPath(Token token, string why) =>
        new($"invalid attribute path {Found(token)} at column {token.Position + 1}: {why}", token.Position);

    private static bool TryOperator(Token token, out ComparisonOperator op)
    {
        op = default;
        if (token.Kind != TokenKind.Word || token.Text.Length != 2)
            return false;
        switch (token.Text.ToLowerInvariant())
        {
            case "eq": op = ComparisonOperator.Eq; return true;
            case "ne": op = ComparisonOperator.Ne; return true;
            case "co": op = ComparisonOperator.Co; return true;
            case "sw": op = ComparisonOperator.Sw; return true;
            case "ew": op = ComparisonOperator.Ew; return true;
            case "gt": op = ComparisonOperator.Gt; return true;
            case "ge": op = ComparisonOperator.Ge; return true;
            case "lt": op = ComparisonOperator.Lt; return true;
            case "le": op = ComparisonOperator.Le; return true;
            default: return false;
        }
    }

    private static bool IsKeyword(Token token, string keyword) =>
        token.Kind == TokenKind.Word && string.Equals(token.Text, keyword, StringComparison.OrdinalIgnoreCase);

    private void Enter()
    {
        if (++_depth > _maxDepth)
            throw new FilterSyntaxException(
                $"the filter nests more than {_maxDepth} levels deep at column {_current.Position + 1}", _current.Position);
    }

    private FilterSyntaxException Expected(string what) =>
        new($"expected {what} at column {_current.Position + 1}, found {Found(_current)}", _current.Position);

    private static string Found(Token token)
    {
        if (token.Kind == TokenKind.End)
            return "the end of the filter";
        var text = token.Text.Length > 40 ? token.Text[..40] + "…" : token.Text;
        return "\"" + text + "\"";
    }

    private void Advance() => _current = Scan();

    private Token Scan()
    {
        while (_offset < _text.Length && char.IsWhiteSpace(_text[_offset]))
            _offset++;
        var start = _offset;
        if (_offset >= _text.Length)
            return new Token(TokenKind.End, start, "");

        var c = _text[_offset];
        switch (c)
        {
            case '(': _offset++; return new Token(TokenKind.LParen, start, "(");
            case ')': _offset++; return new Token(TokenKind.RParen, start, ")");
            case '[': _offset++; return new Token(TokenKind.LBracket, start, "[");
            case ']': _offset++; return new Token(TokenKind.RBracket, start, "]");
            case '.': _offset++; return new Token(TokenKind.Dot, start, ".");
            case '"': return ScanString(start);
        }
        if (c == '-' || char.IsAsciiDigit(c))
            return ScanNumber(start);
        if (char.IsAsciiLetter(c) || c == '$')
        {
            while (_offset < _text.Length && IsWordChar(_text[_offset]))
                _offset++;
            return new Token(TokenKind.Word, start, _text[start.._offset]);
        }
        // Anything else (=, !, ', …) is reported whole up to the next space so the message shows what was typed.
        while (_offset < _text.Length && !char.IsWhiteSpace(_text[_offset]) && _text[_offset] is not ('(' or ')' or '[' or ']' or '"'))
            _offset++;
        if (_offset == start)
            _offset++;
        return new Token(TokenKind.Other, start, _text[start.._offset]);
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':' or '.' or '$';

    private Token ScanNumber(int start)
    {
        // JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
        var i = start;
        if (i < _text.Length && _text[i] == '-')
            i++;
        var digits = i;
        while (i < _text.Length && char.IsAsciiDigit(_text[i]))
            i++;
        var valid = i > digits && !(_text[digits] == '0' && i - digits > 1);
        if (valid && i < _text.Length && _text[i] == '.')
        {
            var fraction = ++i;
            while (i < _text.Length && char.IsAsciiDigit(_text[i]))
                i++;
            valid = i > fraction;
        }
        if (valid && i < _text.Length && _text[i] is 'e' or 'E')
        {
            i++;
            if (i < _text.Length && _text[i] is '+' or '-')
                i++;
            var exponent = i;
            while (i < _text.Length && char.IsAsciiDigit(_text[i]))
                i++;
            valid = i > exponent;
        }
        if (valid && i < _text.Length && IsWordChar(_text[i]))
            valid = false;
        if (!valid)
        {
            while (i < _text.Length && (IsWordChar(_text[i]) || _text[i] is '+'))
                i++;
            throw new FilterSyntaxException(
                $"expected a JSON number at column {start + 1}, found \"{_text[start..i]}\"", start);
        }
        _offset = i;
        return new Token(TokenKind.Number, start, _text[start..i]);
    }

    private Token ScanString(int start)
    {
        var value = new StringBuilder();
        var i = start + 1;
        while (true)
        {
            if (i >= _text.Length)
                throw new FilterSyntaxException(
                    $"expected a closing quote (\") for the string that starts at column {start + 1}, found the end of the filter", start);
            var c = _text[i];
            if (c == '"')
                break;
            if (c != '\\')
            {
                value.Append(c);
                i++;
                continue;
            }
            if (i + 1 >= _text.Length)
                throw new FilterSyntaxException(
                    $"expected an escape character after \"\\\" at column {i + 1}, found the end of the filter", i);
            var escape = _text[i + 1];
            switch (escape)
            {
                case '"': value.Append('"'); break;
                case '\\': value.Append('\\'); break;
                case '/': value.Append('/'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'n': value.Append('\n'); break;
                case 'r': value.Append('\r'); break;
                case 't': value.Append('\t'); break;
                case 'u':
                    if (i + 6 > _text.Length
                        || !ushort.TryParse(_text.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        throw new FilterSyntaxException(
                            $"expected four hex digits after \"\\u\" at column {i + 1}", i);
                    value.Append((char)code);
                    i += 4;
                    break;
                default:
                    throw new FilterSyntaxException(
                        $"expected an escape (\\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX) at column {i + 1}, found \"\\{escape}\"", i);
            }
            i += 2;
        }
        _offset = i + 1;
        return new Token(TokenKind.String, start, _text[start.._offset], value.ToString());
    }
}
