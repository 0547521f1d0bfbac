using System.ComponentModel;
using System.Globalization;
using Handoff.Data.People;
using Handoff.Data.Workspace;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

/// <summary>Options every verb takes.</summary>
public class HandoffSettings : CommandSettings
{
    [CommandOption("--db <DATABASE>")]
    [Description("SQLite file or PostgreSQL connection string (Host=…; or postgres://…). Default: $HANDOFF_DB, else data/handoff.db.")]
    public string? Database { get; init; }

    [CommandOption("--keys-dir <DIR>")]
    [Description("Folder of keyring.json. Default: $HANDOFF_KEYS_DIR, else data/keys. $HANDOFF_KEYRING (the whole ring, base64) wins over both.")]
    public string? KeysDir { get; init; }

    [CommandOption("--today <DATE>")]
    [Description("Pin the clock to this day (yyyy-MM-dd), for demos and what-if runs.")]
    public string? Today { get; init; }

    public override ValidationResult Validate() =>
        Today is null || DateOnly.TryParseExact(Today, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? ValidationResult.Success()
            : ValidationResult.Error($"--today: \"{Today}\" is not a date in the format yyyy-MM-dd");
}

/// <summary>A verb with the runtime opened on the chosen database; known failures become one-line
/// messages naming what to do.</summary>
public abstract class HandoffCommand<TSettings> : AsyncCommand<TSettings> where TSettings : HandoffSettings
{
    protected IAnsiConsole Console { get; private set; } = AnsiConsole.Console;

    public override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        TimeProvider clock = settings.Today is null
            ? TimeProvider.System
            : new PinnedClock(DateOnly.ParseExact(settings.Today, "yyyy-MM-dd", CultureInfo.InvariantCulture));
        try
        {
            var runtime = await HandoffRuntime.OpenAsync(HandoffRuntime.ResolveDatabase(settings.Database), clock, settings.KeysDir,
                m => Console.MarkupLineInterpolated($"[yellow]{m}[/]"), cancellationToken, (settings as ServeSettings)?.NodeId);
            return await RunAsync(runtime, settings, cancellationToken);
        }
        catch (Exception e) when (e is WorkspaceStateException or ApprovalRefusedException or ReviewException or Core.Sources.SourceFormatException
            or Core.Security.KeyRingException or Data.Security.KeyRotationException or Data.Security.ApiTokenException
            or Data.Workflows.WorkflowStateException)
        {
            throw new HandoffCliException(e.Message);
        }
        catch (WorkspaceValidationException e)
        {
            foreach (var error in e.Errors)
                Console.MarkupLineInterpolated($"[red]{error}[/]");
            throw new HandoffCliException($"{e.Errors.Count} error(s); nothing was changed");
        }
    }

    protected abstract Task<int> RunAsync(HandoffRuntime runtime, TSettings settings, CancellationToken ct);
}
