using System.ComponentModel;
using System.Globalization;
using Handoff.Core.Governance;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class KpiListCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        Console.Write(await KpiTableAsync(runtime, ct));
        return 0;
    }

    /// <summary>The KPI table (also printed by <c>handoff demo</c>).</summary>
    public static async Task<Table> KpiTableAsync(HandoffRuntime runtime, CancellationToken ct)
    {
        var table = new Table().AddColumns("kpi", "name", "baseline", "target", "30 d", "60 d", "90 d", "last 30 days", "status");
        foreach (var o in await runtime.Kpis.OverviewAsync(ct))
        {
            table.AddRow(Markup.Escape(o.Kpi.Id), Markup.Escape(o.Kpi.Name), Markup.Escape(Kpis.Format(o.Kpi, o.Baseline)), Markup.Escape(o.Kpi.Target.ToString()),
                Markup.Escape(Kpis.Format(o.Kpi, o.Checkpoints[30])), Markup.Escape(Kpis.Format(o.Kpi, o.Checkpoints[60])), Markup.Escape(Kpis.Format(o.Kpi, o.Checkpoints[90])),
                Markup.Escape(Kpis.Format(o.Kpi, o.Current)), StatusText(o.Status));
        }
        return table;
    }

    public static string StatusText(KpiStatus status) => status switch
    {
        KpiStatus.Met => "met",
        KpiStatus.NotMet => "not met",
        _ => "pending",
    };
}

public sealed class KpiIdSettings : HandoffSettings
{
    [CommandArgument(0, "<KPI>")]
    public string Id { get; init; } = "";
}

public sealed class KpiShowCommand : HandoffCommand<KpiIdSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, KpiIdSettings settings, CancellationToken ct)
    {
        var o = (await runtime.Kpis.OverviewAsync(ct)).FirstOrDefault(k => k.Kpi.Id == settings.Id)
            ?? throw new HandoffCliException($"KPI {settings.Id} does not exist (handoff kpi list)");
        Console.MarkupLineInterpolated($"[bold]{o.Kpi.Name}[/] ({o.Kpi.Id}, {o.Kpi.Unit}, {(o.Kpi.Direction == KpiDirection.Lower ? "lower is better" : "higher is better")}{(o.Kpi.Custom ? ", custom" : "")})");
        Console.MarkupLineInterpolated($"baseline: {Kpis.Format(o.Kpi, o.Baseline)} ({o.BaselineSource}); target: {o.Kpi.Target}; status: {KpiListCommand.StatusText(o.Status)}");
        foreach (var (days, value) in o.Checkpoints)
            Console.MarkupLineInterpolated($"{days} days after go-live: {Kpis.Format(o.Kpi, value)}");
        if (!o.Kpi.Custom)
        {
            var now = runtime.Clock.GetUtcNow();
            var v = (await runtime.KpiCalculator.ComputeAsync(now.AddDays(-30), now, null, ct)).Single(x => x.Kpi == o.Kpi.Id);
            Console.MarkupLineInterpolated($"last 30 days: {Kpis.Format(o.Kpi, v.Value)} = {v.Basis}");
        }
        foreach (var (month, value) in o.Trend)
            Console.MarkupLineInterpolated($"{month:yyyy-MM}: {Kpis.Format(o.Kpi, value)}");
        return 0;
    }
}

public sealed class KpiSnapshotSettings : HandoffSettings
{
    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class KpiSnapshotCommand : HandoffCommand<KpiSnapshotSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, KpiSnapshotSettings settings, CancellationToken ct)
    {
        var added = await runtime.Kpis.SnapshotAsync(settings.Actor, ct);
        foreach (var g in added.GroupBy(a => (a.Scope, a.Checkpoint)))
            Console.MarkupLineInterpolated($"{g.Key.Scope} day {g.Key.Checkpoint}: {g.Count()} KPI values frozen");
        if (added.Count == 0)
            Console.MarkupLine("no new checkpoint reached");
        return 0;
    }
}

public sealed class KpiObserveSettings : HandoffSettings
{
    [CommandArgument(0, "<KPI>")]
    public string Id { get; init; } = "";

    [CommandArgument(1, "<VALUE>")]
    public string Value { get; init; } = "";

    [CommandOption("--date <DATE>")]
    [Description("The day the value is for (yyyy-MM-dd). Default: today.")]
    public string? Date { get; init; }

    [CommandOption("--note <TEXT>")]
    public string? Note { get; init; }

    [CommandOption("--baseline")]
    [Description("Record the value as the KPI's baseline instead of an observation.")]
    public bool Baseline { get; init; }

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class KpiObserveCommand : HandoffCommand<KpiObserveSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, KpiObserveSettings settings, CancellationToken ct)
    {
        if (!decimal.TryParse(settings.Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            throw new HandoffCliException($"VALUE: \"{settings.Value}\" is not a number ≥ 0 (use a point for decimals)");
        var date = DateOnly.FromDateTime(runtime.Clock.GetUtcNow().UtcDateTime);
        if (settings.Date is not null && !DateOnly.TryParseExact(settings.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            throw new HandoffCliException($"--date: \"{settings.Date}\" is not a date (yyyy-MM-dd)");
        try
        {
            await runtime.Kpis.ObserveAsync(settings.Id, value, date, settings.Note, settings.Actor, ct, settings.Baseline);
        }
        catch (ArgumentException e)
        {
            throw new HandoffCliException(e.Message.Split(" (Parameter", 2)[0]);
        }
        Console.MarkupLineInterpolated($"{settings.Id}: {(settings.Baseline ? "baseline" : "observation")} {value.ToString(CultureInfo.InvariantCulture)} on {date:yyyy-MM-dd} recorded");
        return 0;
    }
}

public sealed class KpiAddCustomSettings : HandoffSettings
{
    [CommandArgument(0, "<ID>")]
    public string Id { get; init; } = "";

    [CommandOption("--name <NAME>")]
    public string Name { get; init; } = "";

    [CommandOption("--unit <UNIT>")]
    public string Unit { get; init; } = "";

    [CommandOption("--target <TARGET>")]
    [Description("<N, <=N, >=N or a relative change against the baseline such as -30%.")]
    public string Target { get; init; } = "";

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class KpiAddCustomCommand : HandoffCommand<KpiAddCustomSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, KpiAddCustomSettings settings, CancellationToken ct)
    {
        var target = ParseTarget(settings.Target);
        var direction = target.Kind is KpiTargetKind.AtLeast || (target.Kind == KpiTargetKind.RelativeChange && target.Value > 0m) ? KpiDirection.Higher : KpiDirection.Lower;
        try
        {
            var kpi = await runtime.Kpis.AddCustomAsync(settings.Id, settings.Name, settings.Unit, direction, target, settings.Actor, ct);
            Console.MarkupLineInterpolated($"{kpi.Id}: added ({kpi.Name}, {kpi.Unit}, target {kpi.Target})");
        }
        catch (ArgumentException e)
        {
            throw new HandoffCliException(e.Message.Split(" (Parameter", 2)[0]);
        }
        return 0;
    }

    /// <summary>Reads "&lt;1", "&lt;=0", "&gt;=40" or "-30%".</summary>
    public static KpiTarget ParseTarget(string text)
    {
        var t = text.Trim();
        (KpiTargetKind Kind, string Number, decimal Scale) parts =
            t.StartsWith("<=", StringComparison.Ordinal) ? (KpiTargetKind.AtMost, t[2..], 1m)
            : t.StartsWith(">=", StringComparison.Ordinal) ? (KpiTargetKind.AtLeast, t[2..], 1m)
            : t.StartsWith('<') ? (KpiTargetKind.Below, t[1..], 1m)
            : t.EndsWith('%') ? (KpiTargetKind.RelativeChange, t[..^1], 0.01m)
            : throw new HandoffCliException($"--target: \"{text}\" is not a target; use <N, <=N, >=N or a change such as -30%");
        return decimal.TryParse(parts.Number.Trim(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? new KpiTarget(parts.Kind, n * parts.Scale)
            : throw new HandoffCliException($"--target: \"{text}\" has no number; use <N, <=N, >=N or a change such as -30%");
    }
}
