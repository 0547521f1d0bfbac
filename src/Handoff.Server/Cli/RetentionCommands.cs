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
    /// <summary>Rows of the table printed; the count line below it covers the rest.</summary>
    public const int MaxRows = 200;

    protected override async Task<int> RunAsync(HandoffRuntime runtime, RetentionSettings settings, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var actions = await runtime.Retention.RunAsync(workspace.Definition.Dictionary, settings.DryRun, ct);
        var table = new Table().AddColumns("person", "fields", "policies", "then");
        // A purge of a large workforce touches tens of thousands of people; the console shows the first
        // ones (the audit log has one entry each), not a table that takes minutes to lay out.
        foreach (var a in actions.Take(MaxRows))
        {
            table.AddRow(a.PersonId.ToString(),
                Markup.Escape(string.Join(", ", a.Fields.Select(f => $"{f.Field} ({f.Action.ToString().ToLowerInvariant()})"))),
                Markup.Escape(string.Join(", ", a.Fields.Select(f => f.Policy).Distinct())),
                a.Purged ? "purged" : "terminated (data under a longer policy kept)");
        }
        Console.Write(table);
        if (actions.Count > MaxRows)
            Console.MarkupLineInterpolated($"… and {actions.Count - MaxRows} more (each has its audit entry: handoff audit export)");
        Console.MarkupLineInterpolated($"{actions.Count} person(s) {(settings.DryRun ? "would be affected (dry run: nothing changed)" : "purged or pseudonymized; one audit entry each")}");
        return 0;
    }
}
