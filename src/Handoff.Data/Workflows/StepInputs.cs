using System.Globalization;
using Handoff.Core.Dictionary;
using Handoff.Core.Workflows;

namespace Handoff.Data.Workflows;

/// <summary>Renders a step's inputs (given or default) into typed values, and a redacted copy for the run history.</summary>
public static class StepInputs
{
    public const string Redacted = "[redacted]";

    public static (Dictionary<string, object?> Values, Dictionary<string, object?> ForHistory) Render(
        StepDefinition step, StepDescriptor descriptor, IReadOnlyDictionary<string, object?> context, DictionaryDefinition dictionary)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        var history = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var input in descriptor.Inputs)
        {
            var given = step.With.GetValueOrDefault(input.Name);
            if (given is null && input.Default is null)
                continue;
            var raw = given ?? StepInputValue.Of(input.Default!);
            object? value = input.Kind switch
            {
                InputKind.Duration => WorkflowTime.TryParseDuration(raw.Text, out var span) ? span : null,
                InputKind.Role or InputKind.Field => raw.Text,
                InputKind.List => (raw.List ?? (raw.Text is { } t ? [t] : []))
                    .Select(item => WorkflowExpressions.Render(item, context).Trim()).Where(s => s.Length > 0).ToList(),
                InputKind.Map => (raw.Map ?? new Dictionary<string, string>())
                    .ToDictionary(p => p.Key, p => WorkflowExpressions.Render(p.Value, context)),
                InputKind.Bool => ParseBool(step, input, WorkflowExpressions.Render(raw.Text ?? "", context)),
                InputKind.Date => ParseDate(step, input, WorkflowExpressions.Render(raw.Text ?? "", context)),
                InputKind.Email => ParseEmail(step, input, WorkflowExpressions.Render(raw.Text ?? "", context)),
                _ => WorkflowExpressions.Render(raw.Text ?? "", context),
            };
            values[input.Name] = value;
            history[input.Name] = ReadsSensitive(raw, dictionary) ? Redacted : value is TimeSpan ts ? WorkflowTime.Format(ts) : value;
        }
        return (values, history);
    }

    private static bool ReadsSensitive(StepInputValue raw, DictionaryDefinition dictionary) =>
        raw.Texts.Any(text => WorkflowExpressions.CheckTemplate(text, out var names) is null
            && names.Any(n => dictionary.FindField(n)?.Classification == Classification.Sensitive));

    private static bool? ParseBool(StepDefinition step, StepInput input, string text) => text.Trim().ToLowerInvariant() switch
    {
        "" => null,
        "true" or "yes" or "1" => true,
        "false" or "no" or "0" => false,
        var other => throw new StepInputException(step.Id, input.Name, $"rendered \"{other}\", which is not true or false"),
    };

    /// <summary>A mail address input: empty stays empty; anything else must be one bare address, so a
    /// template whose part rendered empty (<c>@acme.example</c>) fails the step instead of writing it.</summary>
    private static string ParseEmail(StepDefinition step, StepInput input, string text)
    {
        text = text.Trim();
        if (text.Length == 0 || IsEmail(text))
            return text;
        throw new StepInputException(step.Id, input.Name, $"rendered \"{text}\", which is not an email address (expected a bare address like name@example.com)");
    }

    private static bool IsEmail(string text) =>
        System.Net.Mail.MailAddress.TryCreate(text, out var address) && address.Address == text && !text.Any(char.IsWhiteSpace);

    /// <summary>A value a step writes to a canonical field, in the field's canonical form (dates ISO,
    /// mail addresses lower case …); a value of the wrong kind (<c>@acme.example</c> for an email
    /// field) fails the step with the field's own message instead of being stored.</summary>
    public static string? Canonical(StepDefinition step, FieldDefinition field, string? value)
    {
        if (value is null)
            return null;
        if (!ValueConverter.TryToCanonical(field, null, value, out var canonical, out var error))
            throw new StepInputException(step.Id, "value", $"for the {field.Type.ToString().ToLowerInvariant()} field \"{field.Name}\": {error}");
        return canonical;
    }

    private static DateOnly? ParseDate(StepDefinition step, StepInput input, string text)
    {
        text = text.Trim();
        if (text.Length == 0)
            return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            return d;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            return DateOnly.FromDateTime(t.UtcDateTime);
        throw new StepInputException(step.Id, input.Name, $"rendered \"{text}\", which is not a date (yyyy-MM-dd)");
    }
}
