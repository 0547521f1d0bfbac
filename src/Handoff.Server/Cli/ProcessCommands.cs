using System.ComponentModel;
using System.Globalization;
using Handoff.Core.Governance;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class ProcessImportSettings : HandoffSettings
{
    [CommandArgument(0, "<PATH>")]
    [Description("A process map YAML file, or a folder of them (*.yaml, *.yml).")]
    public string Path { get; init; } = "";

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class ProcessImportCommand : HandoffCommand<ProcessImportSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ProcessImportSettings settings, CancellationToken ct)
    {
        string[] files = Directory.Exists(settings.Path)
            ? [.. Directory.EnumerateFiles(settings.Path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]
            : File.Exists(settings.Path) ? [settings.Path] : throw new HandoffCliException($"{settings.Path}: no such file or folder");
        foreach (var file in files)
        {
            var report = await runtime.Processes.SaveAsync(await File.ReadAllTextAsync(file, ct), System.IO.Path.GetFileName(file), settings.Actor, ct);
            Console.MarkupLineInterpolated($"{report.Id}: {(report.Created ? "imported" : report.Changed ? "updated" : "unchanged")} (v{report.Version})");
        }
        return 0;
    }

    /// <summary>The demo's step: the workspace's <c>processes/</c> maps (if any) with their yearly cost.</summary>
    public static async Task ImportWorkspaceProcessesAsync(IAnsiConsole console, HandoffRuntime runtime, string workspaceDir, CancellationToken ct)
    {
        var dir = System.IO.Path.Combine(workspaceDir, "processes");
        if (!Directory.Exists(dir))
            return;
        console.Write(new Rule("process audit").LeftJustified());
        var settings = await runtime.Processes.SettingsAsync(ct);
        foreach (var file in Directory.EnumerateFiles(dir, "*.yaml").Order(StringComparer.Ordinal))
        {
            var report = await runtime.Processes.SaveAsync(await File.ReadAllTextAsync(file, ct), System.IO.Path.GetFileName(file), "demo", ct);
            var cost = ProcessAuditCost.Compute((await runtime.Processes.FindAsync(report.Id, ct))!.Map, settings);
            console.MarkupLineInterpolated($"process {report.Id}: {ProcessFigures.Hours(cost.ManualHoursPerYear)} manual hours and {ProcessFigures.Money(cost.TotalCostPerYear)} a year today; projected saving {ProcessFigures.Money(cost.ProjectedSavingPerYear)} a year (handoff process show {report.Id}, /Processes)");
        }
    }
}

public sealed class ProcessListCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var rate = await runtime.Processes.SettingsAsync(ct);
        var table = new Table().AddColumns("process", "name", "steps", "manual h/year", "cost/year", "projected saving/year", "version", "updated");
        foreach (var p in await runtime.Processes.ListAsync(ct))
        {
            var cost = ProcessAuditCost.Compute(p.Map, rate);
            table.AddRow(Markup.Escape(p.Map.Id), Markup.Escape(p.Map.Name), p.Map.Steps.Count.ToString(CultureInfo.InvariantCulture),
                ProcessFigures.Hours(cost.ManualHoursPerYear), ProcessFigures.Money(cost.TotalCostPerYear), ProcessFigures.Money(cost.ProjectedSavingPerYear),
                $"v{p.Row.Version}", Markup.Escape($"{p.Row.UpdatedAt:u} by {p.Row.UpdatedBy}"));
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"hourly rate: {ProcessFigures.Money(rate.HourlyRate, 2)}");
        return 0;
    }
}

public sealed class ProcessIdSettings : HandoffSettings
{
    [CommandArgument(0, "<PROCESS>")]
    public string Id { get; init; } = "";
}

public sealed class ProcessShowCommand : HandoffCommand<ProcessIdSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ProcessIdSettings settings, CancellationToken ct)
    {
        var p = await runtime.Processes.FindAsync(settings.Id, ct) ?? throw new HandoffCliException($"process {settings.Id} does not exist");
        var cost = ProcessAuditCost.Compute(p.Map, await runtime.Processes.SettingsAsync(ct));
        Console.MarkupLineInterpolated($"[bold]{p.Map.Name}[/] ({p.Map.Id} v{p.Row.Version}) — trigger: {p.Map.Trigger}");
        var table = new Table().AddColumns("step", "owner", "system", "min × volume/month", "error rate", "manual h/month", "h/year", "labour/year", "errors/year", "automated", "saving/year");
        foreach (var s in cost.Steps)
        {
            table.AddRow(Markup.Escape(s.Step.Name), Markup.Escape(s.Step.OwnerRole), Markup.Escape(s.Step.System),
                $"{ProcessAuditYaml.Format(s.Step.MinutesPerExecution)} × {ProcessAuditYaml.Format(s.Step.MonthlyVolume)}",
                s.Step.ErrorRate.ToString("0.##%", CultureInfo.InvariantCulture), ProcessFigures.Hours(s.ManualHoursPerMonth), ProcessFigures.Hours(s.ManualHoursPerYear),
                ProcessFigures.Money(s.LabourCostPerYear), ProcessFigures.Money(s.ErrorCostPerYear),
                Markup.Escape(s.Step.AutomatedBy is { } wf ? $"by {wf}" : s.Step.AutomationShare > 0 ? s.Step.AutomationShare.ToString("0.##%", CultureInfo.InvariantCulture) : "no"),
                ProcessFigures.Money(s.ProjectedSavingPerYear));
        }
        Console.Write(table);
        foreach (var h in p.Map.Handoffs)
            Console.MarkupLineInterpolated($"handoff: {h.From} → {h.To} by {ProcessAuditDiagram.MethodLabel(h.Method)}{(h.Data is null ? "" : $" ({h.Data})")}");
        Console.MarkupLineInterpolated($"total: {ProcessFigures.Hours(cost.ManualHoursPerYear)} manual hours a year ({cost.FullTimeEquivalents:0.00} FTE), {ProcessFigures.Money(cost.TotalCostPerYear)} a year ({ProcessFigures.Money(cost.LabourCostPerYear)} labour at {ProcessFigures.Money(cost.Settings.HourlyRate, 2)}/h + {ProcessFigures.Money(cost.ErrorCostPerYear)} errors); projected saving {ProcessFigures.Money(cost.ProjectedSavingPerYear)} a year");
        return 0;
    }
}

public sealed class ProcessExportSettings : HandoffSettings
{
    [CommandArgument(0, "<PROCESS>")]
    public string Id { get; init; } = "";

    [CommandOption("-o|--output <FILE>")]
    [Description("Write to this file instead of the console.")]
    public string? Output { get; init; }

    [CommandOption("--csv")]
    [Description("The steps with their cost figures as CSV instead of the map as YAML.")]
    public bool Csv { get; init; }
}

public sealed class ProcessExportCommand : HandoffCommand<ProcessExportSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ProcessExportSettings settings, CancellationToken ct)
    {
        var p = await runtime.Processes.FindAsync(settings.Id, ct) ?? throw new HandoffCliException($"process {settings.Id} does not exist");
        var text = settings.Csv ? ProcessAuditYaml.StepsToCsv(p.Map, await runtime.Processes.SettingsAsync(ct)) : p.Row.Yaml;
        if (settings.Output is null)
            Console.Profile.Out.Writer.Write(text);
        else
        {
            await File.WriteAllTextAsync(settings.Output, text, ct);
            Console.MarkupLineInterpolated($"wrote {settings.Output}");
        }
        return 0;
    }
}

public sealed class ProcessDeleteSettings : HandoffSettings
{
    [CommandArgument(0, "<PROCESS>")]
    public string Id { get; init; } = "";

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class ProcessDeleteCommand : HandoffCommand<ProcessDeleteSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ProcessDeleteSettings settings, CancellationToken ct)
    {
        if (!await runtime.Processes.DeleteAsync(settings.Id, settings.Actor, ct))
            throw new HandoffCliException($"process {settings.Id} does not exist");
        Console.MarkupLineInterpolated($"process {settings.Id} deleted");
        return 0;
    }
}

public sealed class ProcessRateSettings : HandoffSettings
{
    [CommandArgument(0, "[RATE]")]
    [Description("The new hourly rate (e.g. 13.70); without it the current rate is shown.")]
    public string? Rate { get; init; }

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class ProcessRateCommand : HandoffCommand<ProcessRateSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ProcessRateSettings settings, CancellationToken ct)
    {
        if (settings.Rate is { } text)
        {
            if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate))
                throw new HandoffCliException($"RATE: \"{text}\" is not a number (use a point for decimals: 13.70)");
            try
            {
                await runtime.Processes.SetRateAsync(rate, settings.Actor, ct);
            }
            catch (ArgumentOutOfRangeException)
            {
                throw new HandoffCliException($"RATE: {text} is out of range; the hourly rate must be above 0 and at most {Data.Governance.ProcessAuditStore.MaxHourlyRate:0}");
            }
        }
        var current = await runtime.Processes.SettingsAsync(ct);
        Console.MarkupLineInterpolated($"hourly rate: {ProcessFigures.Money(current.HourlyRate, 2)} (default {ProcessFigures.Money(ProcessCostSettings.DefaultHourlyRate, 2)} = $28,500 a year / 2,080 paid hours)");
        return 0;
    }
}

public sealed class ProcessDiscoverSettings : HandoffSettings
{
    [CommandArgument(0, "<FILES>")]
    [Description("Two or more CSV extracts of different systems (each followed by its --key).")]
    public string[] Files { get; init; } = [];

    [CommandOption("--key <COLUMN>")]
    [Description("The column that correlates records, once per file, in the order of the files.")]
    public string[] Keys { get; init; } = [];

    [CommandOption("--system <ID>")]
    [Description("The system id of each file, in order (default: the file name without extension). Needed with --accept.")]
    public string[]? Systems { get; init; }

    [CommandOption("--min-confidence <N>")]
    [Description("Leave out suggestions below this confidence (0..1, default 0.5).")]
    public double MinConfidence { get; init; } = 0.5;

    [CommandOption("--records <N>")]
    [Description("Disagreeing records shown per suggestion (default 5).")]
    public int Records { get; init; } = 5;

    [CommandOption("--accept <N>")]
    [Description("Turn suggestion N of the list into a proposed dictionary version (it still needs HR and IT sign-off).")]
    public int? Accept { get; init; }

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;

    public override ValidationResult Validate()
    {
        if (Files.Length < 2)
            return ValidationResult.Error("give at least two extracts: handoff process discover FILE1 --key COL FILE2 --key COL");
        if (Keys.Length != Files.Length)
            return ValidationResult.Error($"--key: {Files.Length} files but {Keys.Length} --key options; give one key column per file, in the same order");
        if (Systems is { } s && s.Length != Files.Length)
            return ValidationResult.Error($"--system: {Files.Length} files but {s.Length} --system options; give one per file or none");
        if (MinConfidence is < 0 or > 1)
            return ValidationResult.Error($"--min-confidence: {MinConfidence} is not between 0 and 1");
        return base.Validate();
    }
}

/// <summary>Field-mismatch discovery. Listing needs no database; <c>--accept</c> proposes through the dictionary's sign-off.</summary>
public sealed class ProcessDiscoverCommand : HandoffCommand<ProcessDiscoverSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, ProcessDiscoverSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Accept is not null)
            return base.ExecuteAsync(context, settings, cancellationToken);
        Print(Discover(settings), settings);
        return Task.FromResult(0);
    }

    protected override async Task<int> RunAsync(HandoffRuntime runtime, ProcessDiscoverSettings settings, CancellationToken ct)
    {
        var suggestions = Discover(settings);
        Print(suggestions, settings);
        var n = settings.Accept!.Value;
        if (n < 1 || n > suggestions.Count)
            throw new HandoffCliException($"--accept {n}: there are {suggestions.Count} suggestions, numbered 1 to {suggestions.Count}");
        try
        {
            var (version, summary) = await runtime.Processes.ProposeFieldMatchAsync(suggestions[n - 1], settings.Actor, ct);
            Console.MarkupLineInterpolated($"accepted #{n}: {summary}");
            Console.MarkupLineInterpolated($"dictionary v{version} proposed by {settings.Actor}; it takes effect after one HR and one IT approval (handoff dictionary approve {version} --as NAME)");
        }
        catch (FieldDiscoveryException e)
        {
            throw new HandoffCliException($"--accept {n}: {e.Message}");
        }
        return 0;
    }

    private static IReadOnlyList<FieldMatchSuggestion> Discover(ProcessDiscoverSettings settings)
    {
        try
        {
            var tables = settings.Files.Select((f, i) => ExtractTable.ReadCsv(f, settings.Keys[i], settings.Systems?[i])).ToList();
            return ProcessAuditFieldDiscovery.Discover(tables, new FieldDiscoveryOptions { MinConfidence = settings.MinConfidence });
        }
        catch (FieldDiscoveryException e)
        {
            throw new HandoffCliException(e.Message);
        }
    }

    private void Print(IReadOnlyList<FieldMatchSuggestion> suggestions, ProcessDiscoverSettings settings)
    {
        if (suggestions.Count == 0)
        {
            Console.MarkupLine("no suggestions: no two columns agree on the correlated records (check the --key columns)");
            return;
        }
        var table = new Table().AddColumns("#", "field", "same data point as", "confidence", "name", "values agree", "disagree");
        for (var i = 0; i < suggestions.Count; i++)
        {
            var s = suggestions[i];
            table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape($"{s.LeftSystem}.{s.LeftField}"), Markup.Escape($"{s.RightSystem}.{s.RightField}"),
                s.Confidence.ToString("0.00", CultureInfo.InvariantCulture), s.NameSimilarity.ToString("0.00", CultureInfo.InvariantCulture),
                $"{s.Agreeing}/{s.Compared}{(s.IsDate ? " (dates)" : "")}", (s.Compared - s.Agreeing).ToString(CultureInfo.InvariantCulture));
        }
        Console.Write(table);
        for (var i = 0; i < suggestions.Count; i++)
        {
            var s = suggestions[i];
            if (s.Disagreements.Count == 0 || settings.Records <= 0)
                continue;
            Console.MarkupLineInterpolated($"#{i + 1} {s.LeftSystem}.{s.LeftField} vs {s.RightSystem}.{s.RightField}: {s.Compared - s.Agreeing} record(s) disagree");
            foreach (var d in s.Disagreements.Take(settings.Records))
                Console.MarkupLineInterpolated($"  {d.Key}: {s.LeftSystem} \"{d.LeftValue}\" ≠ {s.RightSystem} \"{d.RightValue}\"");
        }
        Console.MarkupLine("accept one with --accept N (it becomes a dictionary proposal that needs HR and IT sign-off)");
    }
}

/// <summary>How the CLI and the web page print hours and money (invariant, so output is the same everywhere).</summary>
public static class ProcessFigures
{
    public static string Hours(decimal hours) => Math.Round(hours, 1).ToString("#,##0.#", CultureInfo.InvariantCulture);

    public static string Money(decimal amount, int decimals = 0) =>
        "$" + Math.Round(amount, decimals, MidpointRounding.AwayFromZero).ToString(decimals == 0 ? "#,##0" : "#,##0.00", CultureInfo.InvariantCulture);
}
