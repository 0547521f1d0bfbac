using System.ComponentModel;
using Handoff.Core.Workspace;
using Handoff.Data.Workspace;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class WorkspaceFolderSettings : HandoffSettings
{
    [CommandOption("-f|--folder <DIR>")]
    [Description("The workspace folder (systems.yaml, dictionary.yaml, charter.yaml).")]
    public string Folder { get; init; } = ".";

    [CommandOption("--as <ACTOR>")]
    [Description("Who applies (recorded as the author of a proposed dictionary version).")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class ApplyCommand : HandoffCommand<WorkspaceFolderSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkspaceFolderSettings settings, CancellationToken ct)
    {
        var report = await Apply(runtime, settings.Folder, settings.Actor, ct);
        Print(Console, report);
        return 0;
    }

    /// <summary>Validates the folder; with any error nothing is applied.</summary>
    public static async Task<ApplyReport> Apply(HandoffRuntime runtime, string folder, string actor, CancellationToken ct)
    {
        var loaded = WorkspaceLoader.Load(folder);
        if (!loaded.Succeeded)
            throw new WorkspaceValidationException(loaded.Errors);
        return await runtime.Workspace.ApplyAsync(loaded.Workspace!, folder, actor, ct);
    }

    public static void Print(IAnsiConsole console, ApplyReport report)
    {
        console.MarkupLineInterpolated($"applied: {report.Systems} systems, charter {(report.CharterChanged ? "updated" : "unchanged")}");
        if (report.ProposedDictionaryVersion is { } v)
            console.MarkupLineInterpolated($"dictionary v{v} proposed: it takes effect after one HR and one IT approval (handoff dictionary approve {v} --as NAME)");
        else
            console.MarkupLine("dictionary unchanged");
        console.MarkupLineInterpolated($"dictionary in effect: {(report.ActiveDictionaryVersion is { } a ? $"v{a}" : "none yet")}");
    }
}

public sealed class ExportCommand : HandoffCommand<WorkspaceFolderSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, WorkspaceFolderSettings settings, CancellationToken ct)
    {
        var version = await runtime.Workspace.ExportAsync(settings.Folder, ct);
        Console.MarkupLineInterpolated($"exported systems.yaml, charter.yaml and dictionary.yaml (v{version}) to {settings.Folder}");
        return 0;
    }
}

public sealed class VersionSettings : HandoffSettings
{
    [CommandArgument(0, "[VERSION]")]
    [Description("Dictionary version number.")]
    public int? Version { get; init; }
}

public sealed class DictionaryShowCommand : HandoffCommand<VersionSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, VersionSettings settings, CancellationToken ct)
    {
        var versions = await runtime.Workspace.VersionsAsync(ct);
        var version = settings.Version is { } n
            ? versions.FirstOrDefault(v => v.Id == n) ?? throw new HandoffCliException($"dictionary v{n} does not exist")
            : versions.FirstOrDefault(v => v.Status == "active") ?? versions.LastOrDefault() ?? throw new HandoffCliException("no dictionary yet: run handoff apply -f DIR");
        Console.MarkupLineInterpolated($"[bold]dictionary v{version.Id}[/] ({version.Status}, by {version.Author})");
        Console.WriteLine(version.Yaml);
        return 0;
    }
}

public sealed class DictionaryVersionsCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var table = new Table().AddColumns("version", "status", "author", "created", "signed by", "comment");
        foreach (var v in await runtime.Workspace.VersionsAsync(ct))
        {
            table.AddRow(Markup.Escape($"v{v.Id}"), v.Status, Markup.Escape(v.Author), v.CreatedAt.ToString("u"),
                Markup.Escape(string.Join(", ", v.Approvals.Select(a => $"{a.Approver} ({a.Side})"))), Markup.Escape(v.Comment ?? ""));
        }
        Console.Write(table);
        return 0;
    }
}

public sealed class ProposeSettings : HandoffSettings
{
    [CommandOption("-f|--file <FILE>")]
    [Description("A dictionary.yaml with the proposed fields, correlation and lifecycle rules.")]
    public string File { get; init; } = "dictionary.yaml";

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;

    [CommandOption("-m|--comment <TEXT>")]
    public string? Comment { get; init; }
}

public sealed class DictionaryProposeCommand : HandoffCommand<ProposeSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ProposeSettings settings, CancellationToken ct)
    {
        if (!System.IO.File.Exists(settings.File))
            throw new HandoffCliException($"{settings.File}: no such file");
        var yaml = await System.IO.File.ReadAllTextAsync(settings.File, ct);
        var version = await runtime.Workspace.ProposeAsync(yaml, Path.GetFileName(settings.File), settings.Actor, settings.Comment, ct);
        Console.MarkupLineInterpolated($"dictionary v{version} proposed by {settings.Actor}; it needs one HR and one IT approval");
        return 0;
    }
}

public sealed class ApproveSettings : HandoffSettings
{
    [CommandArgument(0, "<VERSION>")]
    public int Version { get; init; }

    [CommandOption("--as <APPROVER>")]
    [Description("The approver's id in the charter.")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class DictionaryApproveCommand : HandoffCommand<ApproveSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ApproveSettings settings, CancellationToken ct)
    {
        var report = await runtime.Workspace.ApproveAsync(settings.Version, settings.Actor, ct);
        Console.MarkupLineInterpolated($"dictionary v{report.Version}: {report.Status}; signed by {string.Join(", ", report.SignedBy)}");
        if (report.StillNeeded is not null)
            Console.MarkupLineInterpolated($"still needs {report.StillNeeded}");
        return 0;
    }
}

public sealed class DiffSettings : HandoffSettings
{
    [CommandArgument(0, "<FROM>")]
    public int From { get; init; }

    [CommandArgument(1, "<TO>")]
    public int To { get; init; }
}

public sealed class DictionaryDiffCommand : HandoffCommand<DiffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, DiffSettings settings, CancellationToken ct)
    {
        Console.WriteLine(await runtime.Workspace.DiffAsync(settings.From, settings.To, ct));
        return 0;
    }
}
