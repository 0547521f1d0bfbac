using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class RetentionSettings : HandoffSettings
{
    [CommandOption("--dry-run")]
    [Description("List what would be pseudonymized or deleted, and change nothing.")]
    public bool DryRun { get; init; }
}

/// <summary><c>handoff retention run [--dry-run]</c>: applies the dictionary's retention policies to
/// terminated workers. The list names people by id and fields by name only.</summary>
public sealed class RetentionRunCommand : HandoffCommand<RetentionSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, RetentionSettings settings, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var actions = await runtime.Retention.RunAsync(workspace.Definition.Dictionary, settings.DryRun, ct);
        var table = new Table().AddColumns("person", "fields", "policies", "then");
        foreach (var a in actions)
        {
            table.AddRow(a.PersonId.ToString(),
                Markup.Escape(string.Join(", ", a.Fields.Select(f => $"{f.Field} ({f.Action.ToString().ToLowerInvariant()})"))),
                Markup.Escape(string.Join(", ", a.Fields.Select(f => f.Policy).Distinct())),
                a.Purged ? "purged" : "terminated (data under a longer policy kept)");
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"{actions.Count} person(s) {(settings.DryRun ? "would be affected (dry run: nothing changed)" : "purged or pseudonymized; one audit entry each")}");
        return 0;
    }
}
