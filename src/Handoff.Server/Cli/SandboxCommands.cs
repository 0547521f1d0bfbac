using System.ComponentModel;
using System.Globalization;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data.Sandbox;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public class SandboxSystemSettings : HandoffSettings
{
    [CommandArgument(0, "<SYSTEM>")]
    [Description("A sandbox system's id (directory, slack, servicedesk, mail…).")]
    public string System { get; init; } = "";

    /// <summary>The sandbox system of the active workspace, or a one-line error naming the ones there are.</summary>
    internal static async Task<SystemDefinition> FindAsync(HandoffRuntime runtime, string id, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var sandboxes = workspace.Definition.Systems.Where(s => s.Connector == SandboxConnectors.ConnectorName).ToList();
        return sandboxes.FirstOrDefault(s => s.Id == id)
            ?? throw new HandoffCliException($"no sandbox system '{id}' in the workspace (sandbox systems: {string.Join(", ", sandboxes.Select(s => s.Id))})");
    }
}

public sealed class SandboxListSettings : SandboxSystemSettings
{
    [CommandOption("--limit <N>")]
    [Description("Show at most N objects (default 100).")]
    public int Limit { get; init; } = 100;
}

/// <summary><c>handoff sandbox list SYSTEM</c>: what the sandbox system holds, with its active faults.</summary>
public sealed class SandboxListCommand : HandoffCommand<SandboxListSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, SandboxListSettings settings, CancellationToken ct)
    {
        var system = await SandboxSystemSettings.FindAsync(runtime, settings.System, ct);
        var connector = SandboxConnector.For(system, runtime.Database, runtime.Clock);
        await using (var db = runtime.Database.CreateContext())
        {
            foreach (var f in await SandboxFaults.ActiveAsync(db, system.Id, runtime.Clock.GetUtcNow(), ct))
            {
                Console.MarkupLineInterpolated(
                    $"[yellow]fault:[/] {SandboxFaults.ModeName(f.Mode)} on {f.Operation}{(f.Remaining is { } n ? $", {n} call(s) left" : "")}{(f.Until is { } u ? $", until {u:u}" : "")}{(f.Mode == SandboxFaultMode.Slow ? $", {f.Delay.TotalMilliseconds:0} ms" : "")}");
            }
        }
        var account = connector.Dialect is AccountDialect;
        var table = account
            ? new Table().AddColumns("username", "native id", "employee id", "state", "expires", "groups")
            : new Table().AddColumns("native id", "employee id", "title / to", "status / subject");
        var shown = 0;
        var total = 0;
        try
        {
            await foreach (var o in connector.ReadAsync(connector.Dialect.ObjectClass, ct))
            {
                total++;
                if (shown >= settings.Limit)
                    continue;
                shown++;
                if (account)
                {
                    var groups = o.Attributes.GetValueOrDefault(AccountAttributes.Groups) as IEnumerable<string> ?? [];
                    table.AddRow(Markup.Escape(o.Attributes.GetValueOrDefault(AccountAttributes.Username)?.ToString() ?? ""), Markup.Escape(o.NativeId),
                        Markup.Escape(o.Anchor ?? ""), o.Attributes.GetValueOrDefault(AccountAttributes.Enabled) is true ? "enabled" : "[red]disabled[/]",
                        (o.Attributes.GetValueOrDefault(AccountAttributes.Expires) as DateOnly?)?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "never",
                        Markup.Escape(string.Join(", ", groups)));
                }
                else
                {
                    var what = o.Attributes.GetValueOrDefault(MessageAttributes.Title) ?? o.Attributes.GetValueOrDefault(MessageAttributes.To);
                    table.AddRow(Markup.Escape(o.NativeId), Markup.Escape(o.Anchor ?? ""),
                        Markup.Escape(what is List<string> list ? string.Join(", ", list) : what?.ToString() ?? ""),
                        Markup.Escape(o.Attributes.GetValueOrDefault("status")?.ToString() ?? o.Attributes.GetValueOrDefault(MessageAttributes.Subject)?.ToString() ?? ""));
                }
            }
        }
        catch (ConnectorException e)
        {
            throw new HandoffCliException(e.Message);
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"{system.Id} ({connector.Dialect.Kind}): {shown} of {total} {connector.Dialect.ObjectClass}(s)");
        return 0;
    }
}

public sealed class SandboxFaultSettings : SandboxSystemSettings
{
    [CommandOption("--mode <MODE>")]
    [Description("down, slow, schema-violation or conflict.")]
    public string Mode { get; init; } = "";

    [CommandOption("--count <N>")]
    [Description("Affect only the next N calls.")]
    public int? Count { get; init; }

    [CommandOption("--for <DURATION>")]
    [Description("Affect calls for this long: 90s, 5m, 2h (default: until cleared or the count runs out).")]
    public string? For { get; init; }

    [CommandOption("--operation <OPERATION>")]
    [Description("Only this operation: create, update, enable, disable, set_expiry, move, add_to_groups, remove_from_groups, set_password, delete, create_ticket, send_mail, read (default: every write).")]
    public string? Operation { get; init; }

    [CommandOption("--delay <DURATION>")]
    [Description("For --mode slow: how long each call waits (default 2s).")]
    public string? Delay { get; init; }

    public override ValidationResult Validate()
    {
        if (SandboxFaults.ParseMode(Mode) is null)
            return ValidationResult.Error($"--mode: \"{Mode}\" is not one of down, slow, schema-violation, conflict");
        if (Count is <= 0)
            return ValidationResult.Error("--count must be at least 1");
        if (For is not null && ParseDuration(For) is null)
            return ValidationResult.Error($"--for: \"{For}\" is not a duration such as 90s, 5m or 2h");
        if (Delay is not null && ParseDuration(Delay) is null)
            return ValidationResult.Error($"--delay: \"{Delay}\" is not a duration such as 500ms or 3s");
        if (Operation is not null && !SandboxFaults.Operations.Contains(Operation.Trim().ToLowerInvariant().Replace('-', '_')))
            return ValidationResult.Error($"--operation: \"{Operation}\" is not one of {string.Join(", ", SandboxFaults.Operations)}");
        return base.Validate();
    }

    /// <summary><c>500ms</c>, <c>90s</c>, <c>5m</c>, <c>2h</c>, or a number of seconds.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim().ToLowerInvariant();
        var (number, perUnit) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], TimeSpan.FromMilliseconds(1)),
            _ when text.EndsWith('s') => (text[..^1], TimeSpan.FromSeconds(1)),
            _ when text.EndsWith('m') => (text[..^1], TimeSpan.FromMinutes(1)),
            _ when text.EndsWith('h') => (text[..^1], TimeSpan.FromHours(1)),
            _ => (text, TimeSpan.FromSeconds(1)),
        };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0 ? perUnit * n : null;
    }
}

/// <summary><c>handoff sandbox fault SYSTEM --mode …</c>: makes a sandbox system fail like a real one.</summary>
public sealed class SandboxFaultCommand : HandoffCommand<SandboxFaultSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, SandboxFaultSettings settings, CancellationToken ct)
    {
        var system = await SandboxSystemSettings.FindAsync(runtime, settings.System, ct);
        var mode = SandboxFaults.ParseMode(settings.Mode)!.Value;
        var until = settings.For is null ? (DateTimeOffset?)null : runtime.Clock.GetUtcNow() + SandboxFaultSettings.ParseDuration(settings.For)!.Value;
        var delay = settings.Delay is null ? (TimeSpan?)null : SandboxFaultSettings.ParseDuration(settings.Delay);
        await using var db = runtime.Database.CreateContext();
        var fault = await SandboxFaults.SetAsync(db, system.Id, mode, settings.Count, until, delay, settings.Operation, ct, runtime.Clock);
        Console.MarkupLineInterpolated(
            $"{system.Id}: {SandboxFaults.ModeName(fault.Mode)} on {(fault.Operation == SandboxFaults.AnyOperation ? "every write" : fault.Operation)}{(fault.Remaining is { } n ? $" for the next {n} call(s)" : "")}{(fault.Until is { } u ? $" until {u:u}" : "")}{(fault.Mode == SandboxFaultMode.Slow ? $" ({fault.Delay.TotalMilliseconds:0} ms each)" : "")}; 'handoff sandbox clear {system.Id}' ends it");
        return 0;
    }
}

/// <summary><c>handoff sandbox clear SYSTEM</c>: removes the system's injected faults.</summary>
public sealed class SandboxClearCommand : HandoffCommand<SandboxSystemSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, SandboxSystemSettings settings, CancellationToken ct)
    {
        var system = await SandboxSystemSettings.FindAsync(runtime, settings.System, ct);
        await using var db = runtime.Database.CreateContext();
        var removed = await SandboxFaults.ClearAsync(db, system.Id, ct);
        Console.MarkupLineInterpolated($"{system.Id}: {removed} fault(s) cleared");
        return 0;
    }
}
