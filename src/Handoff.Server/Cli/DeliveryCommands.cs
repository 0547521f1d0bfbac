using System.ComponentModel;
using Handoff.Data;
using Handoff.Data.Sources;
using Handoff.Server.Sources;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class DeliveriesListSettings : HandoffSettings
{
    [CommandOption("--system <SYSTEM>")]
    public string? System { get; init; }

    [CommandOption("--status <STATUS>")]
    [Description("applied, held, accepted, rejected, failed.")]
    public string? Status { get; init; }

    [CommandOption("--limit <N>")]
    public int Limit { get; init; } = 30;
}

/// <summary>Lists deliveries, newest first.</summary>
public sealed class DeliveriesListCommand : HandoffCommand<DeliveriesListSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, DeliveriesListSettings settings, CancellationToken ct)
    {
        var rows = await runtime.Deliveries.ListAsync(settings.System, settings.Status, settings.Limit, ct);
        var table = new Table().AddColumns("#", "system", "delivery", "kind", "as of", "received", "status", "why / sync");
        foreach (var d in rows)
        {
            table.AddRow(d.Id.ToString(), d.System, Markup.Escape(d.Name), d.Kind, d.AsOf.ToString("u"), d.ReceivedAt.ToString("u"), d.Status,
                Markup.Escape(d.Status is "held" or "rejected" or "failed" ? d.Reason ?? "" : d.SyncId is { } s ? $"sync #{s}" : ""));
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"{rows.Count} deliver{(rows.Count == 1 ? "y" : "ies")}");
        return 0;
    }
}

public class DeliveryIdSettings : HandoffSettings
{
    [CommandArgument(0, "<ID>")]
    public long Id { get; init; }
}

/// <summary>What a held delivery would do.</summary>
public sealed class DeliveryShowCommand : HandoffCommand<DeliveryIdSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, DeliveryIdSettings settings, CancellationToken ct)
    {
        var d = await runtime.Deliveries.FindAsync(settings.Id, ct);
        if (d is null)
        {
            Console.MarkupLineInterpolated($"[red]there is no delivery {settings.Id}[/]");
            return 1;
        }
        Console.MarkupLineInterpolated($"[bold]delivery {d.Id}[/]: {d.System} {d.Name} ({d.Kind}), as of {d.AsOf:u}, received {d.ReceivedAt:u}: [bold]{d.Status}[/]");
        if (d.Reason is not null)
            Console.MarkupLineInterpolated($"why: {d.Reason}");
        if (d.DecidedBy is not null)
            Console.MarkupLineInterpolated($"decided by {d.DecidedBy} at {d.DecidedAt:u}");
        if (d.ReportJson is not null)
        {
            var r = JsonDefaults.Deserialize<DeliveryInspection>(d.ReportJson);
            Console.MarkupLineInterpolated($"columns: {string.Join(", ", r.Columns)}");
            if (r.MissingColumns.Count > 0)
                Console.MarkupLineInterpolated($"missing since the last accepted delivery: {string.Join(", ", r.MissingColumns)}");
            if (r.NewColumns.Count > 0)
                Console.MarkupLineInterpolated($"new: {string.Join(", ", r.NewColumns)}");
            Console.MarkupLineInterpolated($"records {r.Records}; of the {r.Population} current people: changed {r.Changed}, cleared {r.Cleared}, given a termination date {r.Terminated}, missing {r.Missing}");
            foreach (var (field, count) in r.Fields.OrderByDescending(p => p.Value))
                Console.MarkupLineInterpolated($"  {field}: {count}");
            foreach (var example in r.Examples)
                Console.MarkupLineInterpolated($"  e.g. {example}");
        }
        return 0;
    }
}

public sealed class DeliveryDecisionSettings : DeliveryIdSettings
{
    [CommandOption("--as <ACTOR>")]
    [Description("Who decides (a user name).")]
    public string Actor { get; init; } = Environment.UserName;

    [CommandOption("--reason <TEXT>")]
    public string? Reason { get; init; }
}

public sealed class DeliveryAcceptCommand : HandoffCommand<DeliveryDecisionSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, DeliveryDecisionSettings settings, CancellationToken ct)
    {
        try
        {
            var outcome = await SourceRuns.AcceptAsync(runtime, settings.Id, "user:" + settings.Actor, ct);
            Console.MarkupLineInterpolated($"{outcome.Message}");
            if (outcome.Sync is { } sync)
                SyncCommand.Print(Console, sync);
            return 0;
        }
        catch (DeliveryDecisionException e)
        {
            Console.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 1;
        }
    }
}

public sealed class DeliveryRejectCommand : HandoffCommand<DeliveryDecisionSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, DeliveryDecisionSettings settings, CancellationToken ct)
    {
        try
        {
            var outcome = await runtime.Deliveries.RejectAsync(settings.Id, "user:" + settings.Actor, settings.Reason, ct);
            Console.MarkupLineInterpolated($"{outcome.Message}");
            return 0;
        }
        catch (DeliveryDecisionException e)
        {
            Console.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 1;
        }
    }
}
