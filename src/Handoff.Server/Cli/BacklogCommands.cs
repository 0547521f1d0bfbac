using System.ComponentModel;
using System.Globalization;
using Handoff.Core.Governance;
using Handoff.Data.Governance;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

/// <summary>The backlog's failures are one-line messages too.</summary>
public abstract class BacklogCommand<TSettings> : HandoffCommand<TSettings> where TSettings : HandoffSettings
{
    protected sealed override async Task<int> RunAsync(HandoffRuntime runtime, TSettings settings, CancellationToken ct)
    {
        try
        {
            return await RunBacklogAsync(runtime, settings, ct);
        }
        catch (Exception e) when (e is BacklogException or BacklogScoreException or ChangePlanException or FeedbackException)
        {
            throw new HandoffCliException(e.Message);
        }
    }

    protected abstract Task<int> RunBacklogAsync(HandoffRuntime runtime, TSettings settings, CancellationToken ct);
}

public class BacklogActorSettings : HandoffSettings
{
    [CommandOption("--by <MEMBER>")]
    [Description("Who does it: a charter member id (default: the OS user name).")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class BacklogAddSettings : BacklogActorSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("The candidate's id (lower-case letters, digits, - or _).")]
    public string Id { get; init; } = "";

    [CommandOption("--name <NAME>")]
    [Description("What the candidate workflow would do.")]
    public string? Name { get; init; }

    [CommandOption("--reads <FIELDS>")]
    [Description("Canonical fields it would read, comma-separated (for the dependency warning).")]
    public string? Reads { get; init; }

    [CommandOption("--description <TEXT>")]
    public string? Description { get; init; }
}

/// <summary><c>handoff backlog add ID --name NAME [--reads a,b] --by MEMBER</c>.</summary>
public sealed class BacklogAddCommand : BacklogCommand<BacklogAddSettings>
{
    protected override async Task<int> RunBacklogAsync(HandoffRuntime runtime, BacklogAddSettings settings, CancellationToken ct)
    {
        var reads = (settings.Reads ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        await runtime.Backlog.AddAsync(settings.Id, settings.Name ?? settings.Id, reads, settings.Description, settings.Actor, ct);
        Console.MarkupLineInterpolated($"[green]{settings.Id}[/] added; HR scores it with --hr VALUE,VOLUME,PAIN and IT with --it EFFORT,RISK,AVAILABILITY");
        return 0;
    }
}

public sealed class BacklogScoreSettings : BacklogActorSettings
{
    [CommandArgument(0, "<ID>")]
    public string Id { get; init; } = "";

    [CommandOption("--hr <VALUE,VOLUME,PAIN>")]
    [Description("HR's scores, each 1-5.")]
    public string? Hr { get; init; }

    [CommandOption("--it <EFFORT,RISK,AVAILABILITY>")]
    [Description("IT's scores, each 1-5 (availability: 5 = every integration it needs is connected).")]
    public string? It { get; init; }

    public override ValidationResult Validate()
    {
        if ((Hr is null) == (It is null))
            return ValidationResult.Error("give exactly one of --hr VALUE,VOLUME,PAIN or --it EFFORT,RISK,AVAILABILITY");
        var (option, text) = Hr is not null ? ("--hr", Hr) : ("--it", It!);
        return Parse(text) is null
            ? ValidationResult.Error($"{option}: \"{text}\" is not three whole numbers separated by commas (e.g. 4,3,5)")
            : base.Validate();
    }

    public static int[]? Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var numbers = parts.Select(p => int.TryParse(p, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : (int?)null).ToList();
        return parts.Length == 3 && numbers.All(n => n is not null) ? numbers.Select(n => n!.Value).ToArray() : null;
    }
}

/// <summary><c>handoff backlog score ID --hr 4,3,5 --by hector</c> or <c>--it 2,3,4 --by ivan</c>: each side scores its own.</summary>
public sealed class BacklogScoreCommand : BacklogCommand<BacklogScoreSettings>
{
    protected override async Task<int> RunBacklogAsync(HandoffRuntime runtime, BacklogScoreSettings settings, CancellationToken ct)
    {
        if (settings.Hr is { } hr)
        {
            var n = BacklogScoreSettings.Parse(hr)!;
            await runtime.Backlog.ScoreHrAsync(settings.Id, BacklogRanking.Hr(n[0], n[1], n[2]), settings.Actor, ct);
        }
        else
        {
            var n = BacklogScoreSettings.Parse(settings.It!)!;
            await runtime.Backlog.ScoreItAsync(settings.Id, BacklogRanking.It(n[0], n[1], n[2]), settings.Actor, ct);
        }
        var entry = (await runtime.Backlog.ListAsync(ct)).First(e => e.Row.Id == settings.Id);
        Console.MarkupLineInterpolated($"{settings.Id}: rank {(entry.Rank is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "— (the other side has not scored yet)")}");
        return 0;
    }
}

/// <summary><c>handoff backlog list</c>: best joint rank first, with the dependency warnings.</summary>
public sealed class BacklogListCommand : BacklogCommand<HandoffSettings>
{
    protected override async Task<int> RunBacklogAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var entries = await runtime.Backlog.ListAsync(ct);
        var table = new Table().AddColumns("rank", "candidate", "HR value/volume/pain", "IT effort/risk/availability", "warnings");
        foreach (var e in entries)
        {
            table.AddRow(e.Rank?.ToString("0.00", CultureInfo.InvariantCulture) ?? "—",
                Markup.Escape($"{e.Row.Id} ({e.Row.Name})"),
                e.Hr is { } hr ? $"{hr.Value}/{hr.Volume}/{hr.Pain}" : "—",
                e.It is { } it ? $"{it.Effort}/{it.Risk}/{it.Availability}" : "—",
                Markup.Escape(string.Join("\n", e.Warnings)));
        }
        Console.Write(table);
        Console.MarkupLine("rank = (value + volume + pain) / (effort + risk + (6 - availability))");
        return 0;
    }
}

public sealed class BacklogCheckpointSettings : BacklogActorSettings
{
    [CommandArgument(0, "<WORKFLOW>")]
    public string Workflow { get; init; } = "";

    [CommandArgument(1, "<DAY>")]
    [Description("30, 60 or 90.")]
    public int Day { get; init; }

    [CommandOption("--note <TEXT>")]
    [Description("What the review found.")]
    public string? Note { get; init; }
}

/// <summary><c>handoff backlog checkpoint WORKFLOW 30|60|90 --by MEMBER</c>: records a live workflow's governance review.</summary>
public sealed class BacklogCheckpointCommand : BacklogCommand<BacklogCheckpointSettings>
{
    protected override async Task<int> RunBacklogAsync(HandoffRuntime runtime, BacklogCheckpointSettings settings, CancellationToken ct)
    {
        var row = await runtime.Backlog.CheckpointAsync(settings.Workflow, settings.Day, settings.Actor, settings.Note, ct);
        Console.MarkupLineInterpolated($"[green]{row.WorkflowId}: {row.Day}-day review recorded[/] by {row.RecordedBy}");
        return 0;
    }
}

/// <summary><c>handoff feedback check</c>: one pass of the SLA clock (the server does this every minute).</summary>
public sealed class FeedbackCheckCommand : BacklogCommand<HandoffSettings>
{
    protected override async Task<int> RunBacklogAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var report = await runtime.Feedback.CheckSlasAsync(ct);
        Console.MarkupLineInterpolated($"{report.Reminders} reminder(s), {report.Breaches} breach(es), {report.Escalations} escalation(s)");
        foreach (var problem in report.MailProblems)
            Console.MarkupLineInterpolated($"[yellow]{problem}[/]");
        return 0;
    }
}
