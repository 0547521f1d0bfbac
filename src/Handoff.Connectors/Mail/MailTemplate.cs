using Handoff.Core.Templates;

namespace Handoff.Connectors.Mail;

/// <summary>
/// A mail template file, <c>TEMPLATES/NAME.liquid</c>: an optional first line <c>Subject: …</c>, a blank
/// line, then the body — the shape of a mail itself, so a template reads like the message it makes.
/// Both parts are Liquid (<see cref="HandoffTemplate"/>: the HR filters, bounded rendering, no file access).
/// </summary>
/// <example>
/// <code>
/// Subject: Welcome to Acme, {{ first_name }}
///
/// Hello {{ first_name }},
/// your account {{ username }} is ready for {{ start_date | format_date: "d MMMM" }}.
/// </code>
/// </example>
public sealed record MailTemplate(string Name, HandoffTemplate? Subject, HandoffTemplate Body)
{
    public const string Extension = ".liquid";

    /// <summary>Loads template <paramref name="name"/> (e.g. <c>welcome</c> or <c>onboarding/welcome</c>) from <paramref name="folder"/>.</summary>
    /// <exception cref="MailTemplateException">The name leaves the folder, the file is missing, or its Liquid is invalid.</exception>
    public static MailTemplate Load(string folder, string name)
    {
        if (name.Length == 0 || Path.IsPathRooted(name) || name.Split('/', '\\').Any(part => part is "" or "." or ".."))
            throw new MailTemplateException($"template \"{name}\" is not a name inside the templates folder (letters, digits, - and _, folders separated by /)");
        var file = Path.Combine(folder, name + Extension);
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MailTemplateException($"template \"{name}\" not found: {file} does not exist");
        }
        return Parse(name, file, text.ReplaceLineEndings("\n"));
    }

    internal static MailTemplate Parse(string name, string file, string text)
    {
        HandoffTemplate? subject = null;
        var body = text;
        var bodyLine = 1;
        const string Prefix = "Subject:";
        if (text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            var end = text.IndexOf('\n');
            var line = end < 0 ? text : text[..end];
            body = end < 0 ? "" : text[(end + 1)..];
            bodyLine = 2;
            if (body.StartsWith('\n'))
            {
                body = body[1..];
                bodyLine = 3;
            }
            subject = ParsePart(file, line[Prefix.Length..].Trim(), 1);
        }
        return new MailTemplate(name, subject, ParsePart(file, body, bodyLine));
    }

    private static HandoffTemplate ParsePart(string file, string source, int firstLine)
    {
        try
        {
            return HandoffTemplate.Parse(source);
        }
        catch (TemplateSyntaxException e)
        {
            throw new MailTemplateException($"{file}:{e.Line + firstLine - 1}: {e.Message}");
        }
    }
}

/// <summary>A mail template cannot be found or parsed; the message names the file.</summary>
public sealed class MailTemplateException(string message) : Exception(message);
