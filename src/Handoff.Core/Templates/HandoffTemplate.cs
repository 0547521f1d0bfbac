using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Fluid;
using Fluid.Values;

namespace Handoff.Core.Templates;

/// <summary>
/// A Liquid template over a person's canonical fields, e.g.
/// <c>{{ first_name | slug }}.{{ last_name | slug }}</c> or
/// <c>{{ start_date | add_days: -3 | format_date: "yyyy-MM-dd" }}</c>.
/// Parsing checks every filter against <see cref="KnownFilters"/>; <see cref="ReferencedNames"/> tells which
/// fields the template reads, for least-privilege checks. Rendering is bounded: at most
/// <see cref="MaxSteps"/> statements, <see cref="MaxOutputLength"/> characters, no file access.
/// Values are output as they are: a value that contains <c>{{ x }}</c> is never evaluated again.
/// </summary>
public sealed partial class HandoffTemplate
{
    /// <summary>The longest template text <see cref="Parse"/> accepts.</summary>
    public const int MaxSourceLength = 20_000;

    /// <summary>How many statements one rendering may execute (loops count every iteration).</summary>
    public const int MaxSteps = 10_000;

    /// <summary>The longest text a rendering, or any filter on the way, may produce.</summary>
    public const int MaxOutputLength = 64 * 1024;

    private static readonly FluidParser Parser = new(new FluidParserOptions { AllowFunctions = false, AllowLiquidTag = false });

    private static readonly TemplateOptions Options = CreateOptions();

    private readonly IFluidTemplate _template;

    private HandoffTemplate(string source, IFluidTemplate template, IReadOnlyList<string> referencedNames, IReadOnlyList<string> filterNames)
    {
        Source = source;
        _template = template;
        ReferencedNames = referencedNames;
        FilterNames = filterNames;
    }

    /// <summary>Every filter a template may use: Liquid's standard filters and Handoff's HR filters.</summary>
    public static IReadOnlyList<string> KnownFilters { get; } = Options.Filters.Select(f => f.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>
    /// The root names the template reads, in order of first use: <c>first_name</c> for
    /// <c>{{ first_name | slug }}</c>, <c>manager</c> for <c>{{ manager.email }}</c>. Names the template assigns
    /// itself (<c>assign</c>, <c>for</c> variables) are left out.
    /// </summary>
    public IReadOnlyList<string> ReferencedNames { get; }

    /// <summary>The filters the template calls, in order of first use.</summary>
    public IReadOnlyList<string> FilterNames { get; }

    /// <summary>Parses <paramref name="source"/>.</summary>
    /// <exception cref="TemplateSyntaxException">Invalid Liquid, an unknown filter, a tag Handoff does not allow, or too long.</exception>
    public static HandoffTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length > MaxSourceLength)
            throw new TemplateSyntaxException($"the template is {source.Length} characters long; the limit is {MaxSourceLength}", 1, 1);
        if (!Parser.TryParse(source, out var template, out var error))
            throw SyntaxError(source, error);

        var inspector = new TemplateInspector(MaxSteps);
        inspector.VisitTemplate(template);
        if (inspector.Problems.Count > 0)
            throw new TemplateSyntaxException(inspector.Problems[0], 1, 1);
        foreach (var filter in inspector.FilterNames)
        {
            if (!Options.Filters.TryGetValue(filter, out _))
            {
                var (line, column) = FilterPosition(source, filter);
                throw new TemplateSyntaxException(
                    $"unknown filter \"{filter}\" at line {line}, column {column}; known filters: {string.Join(", ", KnownFilters)}", line, column);
            }
        }
        return new HandoffTemplate(source, template, inspector.ReferencedNames, inspector.FilterNames);
    }

    /// <summary>Parses <paramref name="source"/>, or returns <see langword="false"/> with the reason.</summary>
    public static bool TryParse(
        string source,
        [NotNullWhen(true)] out HandoffTemplate? template,
        [NotNullWhen(false)] out TemplateSyntaxException? error)
    {
        try
        {
            template = Parse(source);
            error = null;
            return true;
        }
        catch (TemplateSyntaxException e)
        {
            template = null;
            error = e;
            return false;
        }
    }

    /// <summary>
    /// Renders the template with <paramref name="values"/> (strings, booleans, numbers, DateOnly, DateTime,
    /// DateTimeOffset, lists and dictionaries of them). Dates render as <c>yyyy-MM-dd</c>, date-times as UTC
    /// <c>yyyy-MM-ddTHH:mm:ssZ</c>; names that are not given render as nothing.
    /// </summary>
    /// <exception cref="TemplateRenderException">A limit was reached or a filter got input it cannot use.</exception>
    public string Render(IReadOnlyDictionary<string, object?> values) =>
        RenderAsync(values).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc cref="Render"/>
    public async ValueTask<string> RenderAsync(IReadOnlyDictionary<string, object?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var context = new TemplateContext(Options, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in values)
            context.SetValue(name, value is null ? NilValue.Instance : FluidValue.Create(value, Options));

        await using var output = new BoundedWriter(MaxOutputLength);
        try
        {
            await _template.RenderAsync(output, NullEncoder.Default, context);
        }
        catch (InvalidOperationException e) when (e is not TemplateRenderException)
        {
            // Fluid reports both its step and recursion limits this way.
            throw new TemplateRenderException(
                $"the template ran longer than allowed ({MaxSteps} steps); check its loops", e);
        }
        return output.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Source;

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions
        {
            MaxSteps = MaxSteps,
            MaxRecursion = 16,
            StrictFilters = true,
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = TimeZoneInfo.Utc,
        };
        options.ValueConverters.Add(HrFilters.ConvertValue);
        HrFilters.Register(options.Filters);

        // Every filter's result is bounded so a loop cannot double a string or list until memory runs out.
        foreach (var (name, filter) in options.Filters.ToList())
            options.Filters.AddFilter(name, Bounded(name, filter));
        return options;
    }

    private static FilterDelegate Bounded(string name, FilterDelegate filter) => async (input, arguments, context) =>
    {
        var result = await filter(input, arguments, context);
        var size = result switch
        {
            StringValue s => s.ToStringValue().Length,
            ArrayValue a => a.Values.Count,
            _ => 0,
        };
        if (size > MaxOutputLength)
            throw new TemplateRenderException($"the {name} filter produced more than {MaxOutputLength} characters or items");
        return result;
    };

    private static TemplateSyntaxException SyntaxError(string source, string error)
    {
        var message = error.Split('\n')[0].Trim();
        var match = FluidPosition().Match(message);
        var line = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 1;
        var column = match.Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 1;
        if (match.Success)
            message = message[..match.Index].TrimEnd() + $" at line {line}, column {column}";
        return new TemplateSyntaxException(message, line, column);
    }

    private static (int Line, int Column) FilterPosition(string source, string filter)
    {
        var match = Regex.Match(source, @"\|\s*" + Regex.Escape(filter) + @"\b");
        if (!match.Success)
            return (1, 1);
        var index = match.Index + match.Length - filter.Length;
        var line = 1 + source.AsSpan(0, index).Count('\n');
        var column = index - (source.LastIndexOf('\n', Math.Max(0, index - 1)) + 1) + 1;
        return (line, column);
    }

    [GeneratedRegex(@"at \((\d+):(\d+)\)")]
    private static partial Regex FluidPosition();

    /// <summary>A StringWriter that refuses to grow past a limit, so output cannot exhaust memory.</summary>
    private sealed class BoundedWriter(int limit) : StringWriter(CultureInfo.InvariantCulture)
    {
        private StringBuilder Buffer => GetStringBuilder();

        public override void Write(char value)
        {
            Check(1);
            base.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            Check(count);
            base.Write(buffer, index, count);
        }

        public override void Write(string? value)
        {
            Check(value?.Length ?? 0);
            base.Write(value);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            Check(buffer.Length);
            base.Write(buffer);
        }

        public override Task WriteAsync(char value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(char[] buffer, int index, int count)
        {
            Write(buffer, index, count);
            return Task.CompletedTask;
        }

        private void Check(int count)
        {
            if (Buffer.Length + count > limit)
                throw new TemplateRenderException($"the template's output is longer than {limit} characters");
        }
    }
}
