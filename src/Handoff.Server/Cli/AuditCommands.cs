using System.ComponentModel;
using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Data.Audit;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class AuditVerifySettings : HandoffSettings
{
    [CommandOption("--file <FILE>")]
    [Description("Verify a JSON-lines export instead of the database (checked against the database's signed checkpoints).")]
    public string? File { get; init; }

    [CommandOption("--filtered")]
    [Description("With --file: the export was filtered by --person or --system, so check each entry's own hash (gaps are expected).")]
    public bool Filtered { get; init; }
}

public sealed class AuditVerifyCommand : HandoffCommand<AuditVerifySettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, AuditVerifySettings settings, CancellationToken ct)
    {
        var audit = runtime.Audit;
        AuditVerification result;
        if (settings.File is { } file)
        {
            if (!System.IO.File.Exists(file))
                throw new HandoffCliException($"no file {file}");
            await using var stream = System.IO.File.OpenRead(file);
            result = await AuditLog.VerifyExportAsync(stream, await audit.CheckpointsAsync(ct), audit.KeyFor, ct, chained: !settings.Filtered);
        }
        else
        {
            result = await audit.VerifyAsync(ct);
        }
        if (result.Problem is { } problem)
        {
            Console.MarkupLineInterpolated($"[red]audit log tampered:[/] {problem.Message}");
            Console.MarkupLineInterpolated($"{result.Entries} entries verified before it");
            return 1;
        }
        Console.MarkupLineInterpolated($"{result.Entries} entries, chain intact, {result.Checkpoints} checkpoints verified");
        return 0;
    }
}

public sealed class AuditCheckpointCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var checkpoint = await runtime.Audit.CheckpointAsync(ct);
        if (checkpoint is null)
            Console.MarkupLine("nothing to sign: the log is empty or its last entry has a checkpoint already");
        else
            Console.MarkupLineInterpolated($"checkpoint signed at entry {checkpoint.Sequence} with key {checkpoint.KeyId}");
        return 0;
    }
}

public class AuditPeriodSettings : HandoffSettings
{
    [CommandOption("--from <TIME>")]
    [Description("Start (inclusive): yyyy-MM-dd or an ISO 8601 time, UTC unless it says otherwise.")]
    public string? From { get; init; }

    [CommandOption("--to <TIME>")]
    [Description("End: a date includes that whole day; a time is exclusive.")]
    public string? To { get; init; }

    public override ValidationResult Validate()
    {
        foreach (var (name, value) in new[] { ("--from", From), ("--to", To) })
        {
            if (value is not null && ParseTime(value, false) is null)
                return ValidationResult.Error($"{name}: \"{value}\" is not a date (yyyy-MM-dd) or an ISO 8601 time");
        }
        return base.Validate();
    }

    public DateTimeOffset? FromTime => From is null ? null : ParseTime(From, false);
    public DateTimeOffset? ToTime => To is null ? null : ParseTime(To, true);

    private static DateTimeOffset? ParseTime(string value, bool endOfDay)
    {
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return new DateTimeOffset((endOfDay ? day.AddDays(1) : day).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t.ToUniversalTime() : null;
    }
}

public sealed class AuditExportSettings : AuditPeriodSettings
{
    [CommandOption("--format <FORMAT>")]
    [Description("csv or jsonl (default). A JSON-lines export can be checked with `audit verify --file`.")]
    public string Format { get; init; } = "jsonl";

    [CommandOption("--person <PERSON>")]
    [Description("Only this person's entries: person id, employee id, candidate id or work email.")]
    public string? Person { get; init; }

    [CommandOption("--system <SYSTEM>")]
    public string? System { get; init; }

    [CommandOption("-o|--output <FILE>")]
    [Description("Write to this file instead of standard output.")]
    public string? Output { get; init; }

    public override ValidationResult Validate() =>
        Format is "csv" or "jsonl" ? base.Validate() : ValidationResult.Error($"--format: \"{Format}\" is not csv or jsonl");
}

public sealed class AuditExportCommand : HandoffCommand<AuditExportSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, AuditExportSettings settings, CancellationToken ct)
    {
        string? person = null;
        if (settings.Person is { } reference)
        {
            // A person's entries outlive the person (purge keeps the log): an id that matches no one
            // is still a valid filter.
            person = Guid.TryParse(reference, out var id) ? id.ToString() : reference;
            if (!Guid.TryParse(reference, out _))
            {
                await using var db = runtime.Database.CreateContext();
                try
                {
                    person = (await PersonLookup.FindAsync(db, reference, ct)).Id.ToString();
                }
                catch (HandoffCliException)
                {
                }
            }
        }
        var query = new AuditExportQuery(settings.FromTime, settings.ToTime, person, settings.System);
        var format = settings.Format == "csv" ? AuditExportFormat.Csv : AuditExportFormat.Jsonl;
        var audit = new AuditLog(runtime.Database, NoKey.Instance, runtime.Clock); // exporting signs nothing
        if (settings.Output is { } path)
        {
            await using var file = File.Create(path);
            var count = await audit.ExportAsync(query, format, file, ct);
            Console.MarkupLineInterpolated($"{count} entries written to {path}");
        }
        else
        {
            await using var stdout = System.Console.OpenStandardOutput();
            await audit.ExportAsync(query, format, stdout, ct);
        }
        return 0;
    }

    private sealed class NoKey : IAuditSigningKey
    {
        public static readonly NoKey Instance = new();
        public string KeyId => "none";
        public byte[] Key => throw new InvalidOperationException("exporting signs nothing");
    }
}

public sealed class AuditCompletenessCommand : HandoffCommand<AuditPeriodSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, AuditPeriodSettings settings, CancellationToken ct)
    {
        var from = settings.FromTime ?? DateTimeOffset.MinValue;
        var to = settings.ToTime ?? DateTimeOffset.MaxValue;
        var audit = runtime.Audit;
        var result = await audit.CompletenessAsync(from, to, ct);
        foreach (var m in result.Missing)
            Console.MarkupLineInterpolated($"[red]missing:[/] {m}");
        Console.MarkupLineInterpolated($"audit completeness: {result.Percent.ToString("0.##", CultureInfo.InvariantCulture)} % ({result.Logged} of {result.Expected} changes logged)");
        return result.Logged == result.Expected ? 0 : 1;
    }
}
