using System.ComponentModel;
using System.Globalization;
using Handoff.Data.Workflows;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class RunsListSettings : HandoffSettings
{
    [CommandOption("--status <STATUS>")]
    [Description("queued, running, waiting, completed, completed_with_errors, failed, canceled")]
    public string? Status { get; init; }

    [CommandOption("--workflow <ID>")]
    public string? Workflow { get; init; }

    [CommandOption("--person <ID>")]
    public string? Person { get; init; }

    [CommandOption("--limit <N>")]
    public int Limit { get; init; } = 50;
}

public sealed class RunsListCommand : HandoffCommand<RunsListSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, RunsListSettings settings, CancellationToken ct)
    {
        Guid? person = settings.Person is null ? null : await CliLookup.PersonAsync(runtime, settings.Person, ct);
        var runs = await runtime.Engine.ListRunsAsync(new RunQuery(settings.Status, settings.Workflow, person, null, settings.Limit), ct);
        var names = await Names(runtime, runs.Select(r => r.PersonId), ct);
        var table = new Table().AddColumns("run", "workflow", "person", "trigger", "status", "step", "created", "error");
        foreach (var r in runs)
        {
            table.AddRow(r.Id.ToString("N")[..8], $"{r.WorkflowId}@v{r.Version}", Markup.Escape(names.GetValueOrDefault(r.PersonId) ?? r.PersonId.ToString()), Markup.Escape(r.TriggerKey),
                Status(r.Status), r.StepIndex.ToString(CultureInfo.InvariantCulture), r.CreatedAt.ToString("yyyy-MM-dd HH:mm"), Markup.Escape(r.Error ?? ""));
        }
        Console.Write(table);
        return 0;
    }

    /// <summary>Display names of people (person ids are time-ordered: their first characters say little).</summary>
    internal static async Task<Dictionary<Guid, string>> Names(HandoffRuntime runtime, IEnumerable<Guid> ids, CancellationToken ct)
    {
        var wanted = ids.Distinct().ToList();
        await using var db = runtime.Database.CreateContext();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToDictionaryAsync(
            db.People.Where(p => wanted.Contains(p.Id)), p => p.Id, p => p.DisplayName, ct);
    }

    internal static string Status(string status) => status switch
    {
        RunStatus.Completed => "[green]completed[/]",
        RunStatus.CompletedWithErrors => "[yellow]completed_with_errors[/]",
        RunStatus.Failed => "[red]failed[/]",
        RunStatus.Waiting => "[blue]waiting[/]",
        _ => status,
    };
}

public sealed class RunRefSettings : HandoffSettings
{
    [CommandArgument(0, "<RUN>")]
    [Description("Run id or a unique prefix of it (8 characters as `runs list` shows).")]
    public string Run { get; init; } = "";

    [CommandOption("--step <ID>")]
    [Description("retry: start again from this step.")]
    public string? Step { get; init; }

    [CommandOption("--as <MEMBER>")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class RunsShowCommand : HandoffCommand<RunRefSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, RunRefSettings settings, CancellationToken ct)
    {
        var d = await runtime.Engine.GetRunAsync(settings.Run, ct);
        PrintSummary(Console, d.Run);
        var table = new Table().AddColumns("#", "step", "uses", "system", "status", "attempts", "inputs", "outputs", "error");
        foreach (var s in d.Steps)
        {
            table.AddRow(s.StepIndex.ToString(CultureInfo.InvariantCulture), Markup.Escape(s.StepId), s.Uses, s.System ?? "", s.Status,
                s.Attempts.ToString(CultureInfo.InvariantCulture), Markup.Escape(s.InputsJson), Markup.Escape(s.OutputsJson), Markup.Escape(s.Error ?? ""));
        }
        Console.Write(table);
        foreach (var t in d.Tasks)
            Console.MarkupLineInterpolated($"approval #{t.Id} for {t.Role}: {t.Status}{(t.DecidedBy is null ? "" : " by " + t.DecidedBy)} (due {t.DueAt:yyyy-MM-dd HH:mm})");
        foreach (var s in d.Staged)
            Console.MarkupLineInterpolated($"held write #{s.Id} ({s.Operation} on {s.System}): {s.Status} — {s.Reason}");
        return 0;
    }

    public static void PrintSummary(IAnsiConsole console, RunRow r) =>
        console.MarkupLine($"run [bold]{r.Id:N}[/] {Markup.Escape($"{r.WorkflowId}@v{r.Version}")} for {r.PersonId}: {RunsListCommand.Status(r.Status)}" +
            (r.WaitingFor is null ? "" : $" (waiting for {r.WaitingFor} until {r.DueAt:yyyy-MM-dd HH:mm} UTC)") +
            (r.Error is null ? "" : $" — {Markup.Escape(r.Error)}"));
}

public sealed class RunsRetryCommand : HandoffCommand<RunRefSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, RunRefSettings settings, CancellationToken ct)
    {
        var id = await runtime.Engine.ResolveRunAsync(settings.Run, ct);
        await runtime.Engine.RetryAsync(id, settings.Step, settings.Actor, ct);
        await runtime.Engine.RunDueAsync(int.MaxValue, ct);
        RunsShowCommand.PrintSummary(Console, (await runtime.Engine.GetRunAsync(id.ToString(), ct)).Run);
        return 0;
    }
}

public sealed class RunsCancelCommand : HandoffCommand<RunRefSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, RunRefSettings settings, CancellationToken ct)
    {
        var id = await runtime.Engine.ResolveRunAsync(settings.Run, ct);
        RunsShowCommand.PrintSummary(Console, await runtime.Engine.CancelAsync(id, settings.Actor, ct));
        return 0;
    }
}

public sealed class RunsExportSettings : HandoffSettings
{
    [CommandOption("-o|--out <FILE>")]
    [Description("Write to this file (default: standard output).")]
    public string? Out { get; init; }

    [CommandOption("--workflow <ID>")]
    public string? Workflow { get; init; }

    [CommandOption("--status <STATUS>")]
    public string? Status { get; init; }
}

public sealed class RunsExportCommand : HandoffCommand<RunsExportSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, RunsExportSettings settings, CancellationToken ct)
    {
        var query = new RunQuery(settings.Status, settings.Workflow);
        if (settings.Out is null)
        {
            await runtime.Engine.ExportCsvAsync(System.Console.Out, query, ct);
            return 0;
        }
        await using var writer = new StreamWriter(settings.Out);
        await runtime.Engine.ExportCsvAsync(writer, query, ct);
        return 0;
    }
}

public sealed class ApprovalsListCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var tasks = await runtime.Engine.ListTasksAsync(openOnly: false, ct);
        var names = await RunsListCommand.Names(runtime, tasks.Select(t => t.PersonId), ct);
        var table = new Table().AddColumns("#", "workflow", "run", "person", "title", "role", "due", "status");
        foreach (var t in tasks)
        {
            var role = t.Escalated && t.EscalateTo is not null ? $"{t.Role} or {t.EscalateTo} (escalated)" : t.Role;
            table.AddRow(t.Id.ToString(CultureInfo.InvariantCulture), t.WorkflowId, t.RunId.ToString("N")[..8], Markup.Escape(names.GetValueOrDefault(t.PersonId) ?? t.PersonId.ToString()),
                Markup.Escape(t.Title), role, t.DueAt.ToString("yyyy-MM-dd HH:mm"), t.Status + (t.DecidedBy is null ? "" : " by " + t.DecidedBy));
        }
        Console.Write(table);
        return 0;
    }
}

public sealed class ApprovalDecisionSettings : HandoffSettings
{
    [CommandArgument(0, "<ID>")]
    public long Id { get; init; }

    [CommandOption("--as <MEMBER>")]
    public string Actor { get; init; } = Environment.UserName;

    [CommandOption("-m|--comment <TEXT>")]
    public string? Comment { get; init; }

    [CommandOption("--no-run")]
    [Description("Only record the decision; the server (or the next tick) resumes the run.")]
    public bool NoRun { get; init; }
}

public sealed class ApprovalsApproveCommand : HandoffCommand<ApprovalDecisionSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ApprovalDecisionSettings settings, CancellationToken ct) =>
        await Decide(runtime, settings, approve: true, ct);

    internal async Task<int> Decide(HandoffRuntime runtime, ApprovalDecisionSettings settings, bool approve, CancellationToken ct)
    {
        var task = await runtime.Engine.DecideAsync(settings.Id, approve, settings.Actor, settings.Comment, ct);
        Console.MarkupLineInterpolated($"approval #{task.Id}: {task.Status} by {settings.Actor}");
        if (settings.NoRun)
            return 0;
        await runtime.Engine.RunDueAsync(int.MaxValue, ct);
        RunsShowCommand.PrintSummary(Console, (await runtime.Engine.GetRunAsync(task.RunId.ToString(), ct)).Run);
        return 0;
    }
}

public sealed class ApprovalsRejectCommand : HandoffCommand<ApprovalDecisionSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ApprovalDecisionSettings settings, CancellationToken ct) =>
        await new ApprovalsApproveCommand().Decide(runtime, settings, approve: false, ct);
}

public sealed class StagedListCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var staged = await runtime.Engine.ListStagedAsync(heldOnly: false, ct);
        var names = await RunsListCommand.Names(runtime, staged.Select(s => s.PersonId), ct);
        var table = new Table().AddColumns("#", "system", "operation", "person", "run", "status", "reason");
        foreach (var s in staged)
        {
            table.AddRow(s.Id.ToString(CultureInfo.InvariantCulture), s.System, s.Operation, Markup.Escape(names.GetValueOrDefault(s.PersonId) ?? s.PersonId.ToString()), s.RunId.ToString("N")[..8],
                s.Status + (s.DecidedBy is null ? "" : " by " + s.DecidedBy), Markup.Escape(s.Reason));
        }
        Console.Write(table);
        return 0;
    }
}

public sealed class StagedDecisionSettings : HandoffSettings
{
    [CommandArgument(0, "[ID]")]
    public long? Id { get; init; }

    [CommandOption("--system <SYSTEM>")]
    [Description("Every held write of this system.")]
    public string? System { get; init; }

    [CommandOption("--as <MEMBER>")]
    public string Actor { get; init; } = Environment.UserName;

    public override ValidationResult Validate() =>
        (Id is null) == (System is null) ? ValidationResult.Error("give a held write's ID or --system") : base.Validate();
}

public sealed class StagedReleaseCommand : HandoffCommand<StagedDecisionSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, StagedDecisionSettings settings, CancellationToken ct)
    {
        var n = await runtime.Engine.DecideStagedAsync(settings.Id, settings.System, release: true, settings.Actor, ct);
        Console.MarkupLineInterpolated($"released {n} held write(s); their runs continue");
        var executed = await runtime.Engine.RunDueAsync(int.MaxValue, ct);
        Console.MarkupLineInterpolated($"{executed} run(s) resumed");
        return 0;
    }
}

public sealed class StagedDiscardCommand : HandoffCommand<StagedDecisionSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, StagedDecisionSettings settings, CancellationToken ct)
    {
        var n = await runtime.Engine.DecideStagedAsync(settings.Id, settings.System, release: false, settings.Actor, ct);
        Console.MarkupLineInterpolated($"discarded {n} held write(s); their steps fail");
        await runtime.Engine.RunDueAsync(int.MaxValue, ct);
        return 0;
    }
}
