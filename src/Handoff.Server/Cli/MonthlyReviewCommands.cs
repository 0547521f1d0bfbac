using System.ComponentModel;
using System.Globalization;
using Handoff.Core.Governance;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class MonthlyReviewGenerateSettings : HandoffSettings
{
    [CommandOption("--month <MONTH>")]
    [Description("The month to review, like 2026-11 (default: last month).")]
    public string? Month { get; init; }

    [CommandOption("--out <DIR>")]
    [Description("Also write review-MONTH-vN.html and .pdf into this folder.")]
    public string? Out { get; init; }

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;
}

/// <summary><c>handoff monthly-review generate</c>: a new archived version of a month's review (never an overwrite).</summary>
public sealed class MonthlyReviewGenerateCommand : HandoffCommand<MonthlyReviewGenerateSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, MonthlyReviewGenerateSettings settings, CancellationToken ct)
    {
        var month = settings.Month is null ? ReviewMonth.From(runtime.Clock.GetUtcNow()).Previous : MonthlyReviewCli.Month(settings.Month, "--month");
        Data.Governance.MonthlyReviewRow row;
        try
        {
            row = await runtime.Reviews.GenerateAsync(month, settings.Actor, ct);
        }
        catch (Exception e) when (e is ArgumentException or MonthlyReviewFontException)
        {
            throw new HandoffCliException(e.Message);
        }
        Console.MarkupLineInterpolated($"review {row.Month} version {row.Version}: HTML {row.Html.Length:N0} characters (sha256 {row.HtmlSha256[..12]}…), PDF {row.Pdf.Length:N0} bytes (sha256 {row.PdfSha256[..12]}…)");
        if (settings.Out is { } dir)
        {
            Directory.CreateDirectory(dir);
            var stem = Path.Combine(dir, $"review-{row.Month}-v{row.Version.ToString(CultureInfo.InvariantCulture)}");
            await File.WriteAllTextAsync(stem + ".html", row.Html, ct);
            await File.WriteAllBytesAsync(stem + ".pdf", row.Pdf, ct);
            Console.MarkupLineInterpolated($"wrote {stem}.html and {stem}.pdf");
        }
        return 0;
    }
}

/// <summary><c>handoff monthly-review list</c>: every archived version, newest month first.</summary>
public sealed class MonthlyReviewListCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var list = await runtime.Reviews.ListAsync(ct);
        if (list.Count == 0)
        {
            Console.MarkupLine("no review generated yet (handoff monthly-review generate)");
            return 0;
        }
        var table = new Table().AddColumns("month", "version", "generated", "by", "PDF bytes", "html sha256", "pdf sha256");
        foreach (var r in list)
        {
            table.AddRow(r.Month, r.Version.ToString(CultureInfo.InvariantCulture), r.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                Markup.Escape(r.GeneratedBy), r.PdfBytes.ToString("N0", CultureInfo.InvariantCulture), r.HtmlSha256, r.PdfSha256);
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"schedule: {await runtime.Reviews.ScheduleAsync(ct)} (UTC; handoff monthly-review schedule CRON)");
        return 0;
    }
}

public sealed class MonthlyReviewShowSettings : HandoffSettings
{
    [CommandArgument(0, "<MONTH>")]
    public string Month { get; init; } = "";

    [CommandOption("--version <N>")]
    [Description("An archived version (default: the latest).")]
    public int? Version { get; init; }

    [CommandOption("--pdf <FILE>")]
    public string? Pdf { get; init; }

    [CommandOption("--html <FILE>")]
    public string? Html { get; init; }
}

/// <summary><c>handoff monthly-review show MONTH</c>: a stored version's summary, or its files with --pdf/--html.</summary>
public sealed class MonthlyReviewShowCommand : HandoffCommand<MonthlyReviewShowSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, MonthlyReviewShowSettings settings, CancellationToken ct)
    {
        var month = MonthlyReviewCli.Month(settings.Month, "MONTH");
        var row = await runtime.Reviews.GetAsync(month, settings.Version, ct)
            ?? throw new HandoffCliException(settings.Version is { } v ? $"review {month} has no version {v} (handoff monthly-review list)" : $"no review of {month} yet (handoff monthly-review generate --month {month})");
        Console.MarkupLineInterpolated($"review {row.Month} version {row.Version}, generated {row.GeneratedAt.UtcDateTime:yyyy-MM-dd HH:mm} by {row.GeneratedBy}");
        Console.MarkupLineInterpolated($"html sha256 {row.HtmlSha256}, pdf sha256 {row.PdfSha256}");
        if (settings.Html is { } html)
        {
            await File.WriteAllTextAsync(html, row.Html, ct);
            Console.MarkupLineInterpolated($"wrote {html}");
        }
        if (settings.Pdf is { } pdf)
        {
            await File.WriteAllBytesAsync(pdf, row.Pdf, ct);
            Console.MarkupLineInterpolated($"wrote {pdf}");
        }
        return 0;
    }
}

public sealed class MonthlyReviewScheduleSettings : HandoffSettings
{
    [CommandArgument(0, "[CRON]")]
    [Description("Five-field cron in UTC, e.g. \"0 6 1 * *\" (06:00 on the 1st). Without it: show the schedule.")]
    public string? Cron { get; init; }

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;
}

/// <summary><c>handoff monthly-review schedule [CRON]</c>: when the server generates last month's review.</summary>
public sealed class MonthlyReviewScheduleCommand : HandoffCommand<MonthlyReviewScheduleSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, MonthlyReviewScheduleSettings settings, CancellationToken ct)
    {
        if (settings.Cron is { } cron)
        {
            try
            {
                await runtime.Reviews.SetScheduleAsync(cron, settings.Actor, ct);
            }
            catch (ArgumentException e)
            {
                throw new HandoffCliException(e.Message);
            }
        }
        Console.MarkupLineInterpolated($"monthly review schedule: {await runtime.Reviews.ScheduleAsync(ct)} (UTC); each run generates the previous month's review");
        return 0;
    }
}

internal static class MonthlyReviewCli
{
    public static ReviewMonth Month(string text, string where) =>
        ReviewMonth.TryParse(text, out var month) ? month : throw new HandoffCliException($"{where}: expected a month like 2026-11, found \"{text}\"");
}
