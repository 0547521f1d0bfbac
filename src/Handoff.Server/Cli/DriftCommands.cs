using System.ComponentModel;
using System.Globalization;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data.Systems;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

/// <summary>The drift and health services over one runtime (no state of their own).</summary>
public static class DriftServices
{
    public static (DriftMonitor Monitor, SystemQuarantine Quarantine, SystemHealthCheck Health) For(HandoffRuntime runtime)
    {
        var monitor = new DriftMonitor(runtime.Database, runtime.Clock, runtime.Audit);
        var quarantine = new SystemQuarantine(runtime.Database, runtime.Clock, runtime.Audit, monitor);
        return (monitor, quarantine, new SystemHealthCheck(runtime.Database, runtime.Clock, monitor, quarantine));
    }

    /// <summary>Reads every target's schema (or one system's) and records it; then runs the health rules.
    /// A target that cannot be read becomes a finding instead of stopping the others.</summary>
    public static async Task<IReadOnlyList<(string System, IReadOnlyList<Core.Governance.SchemaChange> Changes, string? Error)>> CheckAsync(
        HandoffRuntime runtime, WorkspaceDefinition workspace, string? only, CancellationToken ct)
    {
        var (monitor, _, health) = For(runtime);
        var connectors = runtime.Connectors(workspace);
        var results = new List<(string, IReadOnlyList<Core.Governance.SchemaChange>, string?)>();
        foreach (var system in workspace.Systems.Where(s => only is null || s.Id == only))
        {
            if (connectors.Find(system.Id) is not { } connector)
                continue; // sources: their schema is recorded at each full sync
            try
            {
                results.Add((system.Id, await monitor.CheckTargetAsync(workspace, system.Id, connector, ct), null));
            }
            catch (Exception e) when (e is ConnectorException or HttpRequestException or IOException or TimeoutException or NotSupportedException)
            {
                results.Add((system.Id, [], e.Message));
                await monitor.RaiseAsync(workspace, new Core.Governance.SystemFindingDraft(system.Id, "drift", "schema_unreadable",
                    Core.Governance.FindingSeverity.Warning, $"the schema could not be read: {e.Message}"), ct);
            }
        }
        await health.RunAsync(workspace, ct);
        return results;
    }
}

public sealed class DriftCheckSettings : HandoffSettings
{
    [CommandArgument(0, "[SYSTEM]")]
    [Description("Only this system (default: every target; sources are checked at each full sync).")]
    public string? System { get; init; }
}

/// <summary><c>handoff drift check [SYSTEM]</c>: reads targets' schemas, records what changed, runs the
/// health rules and prints the open findings. Exit code 0: findings are the output.</summary>
public sealed class DriftCheckCommand : HandoffCommand<DriftCheckSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, DriftCheckSettings settings, CancellationToken ct)
    {
        var workspace = (await runtime.Workspace.LoadActiveAsync(ct)).Definition;
        if (settings.System is { } id && workspace.FindSystem(id) is null)
            throw new HandoffCliException($"drift check: unknown system '{id}'; the systems are {string.Join(", ", workspace.Systems.Select(s => s.Id))}");
        foreach (var (system, changes, error) in await DriftServices.CheckAsync(runtime, workspace, settings.System, ct))
        {
            if (error is not null)
                Console.MarkupLineInterpolated($"[red]{system}[/]: schema not readable: {error}");
            else if (changes.Count == 0)
                Console.MarkupLineInterpolated($"{system}: schema unchanged");
            else
                foreach (var c in changes)
                    Console.MarkupLineInterpolated($"{system}: [{(c.Severity == Core.Governance.FindingSeverity.Critical ? "red" : "yellow")}]{c.Severity.ToString().ToLowerInvariant()}[/] {c.Describe()}");
        }
        await SystemFindingsCommand.PrintAsync(Console, DriftServices.For(runtime), settings.System, ct);
        return 0;
    }
}

public sealed class SystemFindingsSettings : HandoffSettings
{
    [CommandArgument(0, "[SYSTEM]")]
    [Description("Only this system's findings.")]
    public string? System { get; init; }
}

/// <summary><c>handoff system findings [SYSTEM]</c>: open system findings and quarantined systems.</summary>
public sealed class SystemFindingsCommand : HandoffCommand<SystemFindingsSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, SystemFindingsSettings settings, CancellationToken ct)
    {
        await PrintAsync(Console, DriftServices.For(runtime), settings.System, ct);
        return 0;
    }

    internal static async Task PrintAsync(IAnsiConsole console, (DriftMonitor Monitor, SystemQuarantine Quarantine, SystemHealthCheck Health) services, string? system, CancellationToken ct)
    {
        foreach (var q in (await services.Quarantine.QuarantinedAsync(ct)).Where(q => system is null || q.System == system))
            console.MarkupLineInterpolated($"[red]{q.System} is quarantined[/] since {q.QuarantinedAt:u}: {q.Reason} (handoff system release {q.System})");
        var findings = await services.Monitor.OpenAsync(system, ct);
        if (findings.Count == 0)
        {
            console.MarkupLine("no open system findings");
            return;
        }
        var table = new Table().AddColumns("id", "system", "kind", "severity", "raised", "owners", "acknowledged", "detail");
        foreach (var f in findings)
        {
            table.AddRow(f.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(f.System), f.Kind, f.Severity, f.RaisedAt.ToString("u", CultureInfo.InvariantCulture),
                Markup.Escape(f.Owners), Markup.Escape(f.AcknowledgedBy ?? ""), Markup.Escape(f.Detail));
        }
        console.Write(table);
    }
}

public sealed class SystemAckSettings : HandoffSettings
{
    [CommandArgument(0, "<FINDING>")]
    [Description("The id of the system finding (handoff system findings).")]
    public long Id { get; init; }

    [CommandOption("--actor <MEMBER>")]
    [Description("Who acknowledges (audited). Default: $USER.")]
    public string? Actor { get; init; }
}

/// <summary><c>handoff system ack FINDING</c>: an owner has seen it (drift and volume findings close).</summary>
public sealed class SystemAckCommand : HandoffCommand<SystemAckSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, SystemAckSettings settings, CancellationToken ct)
    {
        try
        {
            var row = await DriftServices.For(runtime).Monitor.AcknowledgeAsync(settings.Id, "user:" + (settings.Actor ?? Environment.UserName), ct);
            Console.MarkupLineInterpolated($"finding {row.Id} ({row.System}, {row.Kind}) acknowledged{(row.ResolvedAt is null ? "; it stays open until the condition clears" : " and closed")}");
            return 0;
        }
        catch (InvalidOperationException e)
        {
            throw new HandoffCliException($"system ack: {e.Message}");
        }
    }
}

public sealed class SystemReleaseSettings : HandoffSettings
{
    [CommandArgument(0, "<SYSTEM>")]
    [Description("The quarantined system.")]
    public string System { get; init; } = "";

    [CommandOption("--actor <MEMBER>")]
    [Description("Who releases (audited). Default: $USER.")]
    public string? Actor { get; init; }
}

/// <summary><c>handoff system release SYSTEM</c>: lifts a quarantine; runs waiting on it go on.</summary>
public sealed class SystemReleaseCommand : HandoffCommand<SystemReleaseSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, SystemReleaseSettings settings, CancellationToken ct)
    {
        try
        {
            var runs = await DriftServices.For(runtime).Quarantine.ReleaseAsync(settings.System, "user:" + (settings.Actor ?? Environment.UserName), ct);
            Console.MarkupLineInterpolated($"{settings.System} released; {runs} waiting run(s) resume now");
            return 0;
        }
        catch (InvalidOperationException e)
        {
            throw new HandoffCliException($"system release: {e.Message}");
        }
    }
}
