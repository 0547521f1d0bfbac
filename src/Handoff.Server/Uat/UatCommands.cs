using System.ComponentModel;
using System.Globalization;
using Handoff.Core.Audit;
using Handoff.Core.Workspace;
using Handoff.Data;
using Handoff.Data.Workspace;
using Handoff.Server.Cli;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Uat;

/// <summary>Where a pack runs: a temporary SQLite file, or a throwaway database created on the PostgreSQL
/// server of <c>--connection</c>.</summary>
public interface IThrowawaySettings
{
    string Provider { get; }
    string? Connection { get; }

    static ValidationResult Check(IThrowawaySettings s)
    {
        if (s.Provider is not ("sqlite" or "postgres"))
            return ValidationResult.Error($"--provider: \"{s.Provider}\" is not sqlite or postgres");
        if (s.Provider == "postgres" && string.IsNullOrWhiteSpace(s.Connection))
            return ValidationResult.Error("--provider postgres needs --connection \"Host=…;Username=…;Database=postgres\"");
        if (s.Provider == "sqlite" && s.Connection is not null)
            return ValidationResult.Error("--connection is for --provider postgres");
        return ValidationResult.Success();
    }
}

public sealed class UatRunSettings : CommandSettings, IThrowawaySettings
{
    [CommandArgument(0, "<PACK>")]
    [Description("A pack folder (with pack.yaml), or with --all a folder of packs.")]
    public string Pack { get; init; } = "";

    [CommandOption("--all")]
    [Description("Run every pack in the folder.")]
    public bool All { get; init; }

    [CommandOption("--db <PATH>")]
    [Description("Run on this new SQLite file and keep it (and its keys in PATH.keys) to look at afterwards; with --all, a folder for one file per pack. Default: a temporary file, deleted after the run.")]
    public string? Database { get; init; }

    [CommandOption("--provider <PROVIDER>")]
    [Description("sqlite (default) or postgres: the kind of throwaway database the pack runs on.")]
    public string Provider { get; init; } = "sqlite";

    [CommandOption("--connection <CONNECTION>")]
    [Description("With --provider postgres: a connection string to a server where a throwaway database is created, used and dropped.")]
    public string? Connection { get; init; }

    public override ValidationResult Validate() =>
        Database is not null && Provider == "postgres" ? ValidationResult.Error("--db is a SQLite file; with --provider postgres the database is a throwaway one on --connection")
        : IThrowawaySettings.Check(this);
}

/// <summary><c>handoff uat run PACK</c>: runs a pack (or every pack of a folder) on a throwaway database
/// and prints each expectation with PASS or FAIL; exits 0 only when every expectation of every pack passed.
/// Here <c>--db PATH</c> is the SQLite file of the run, kept afterwards to look at (with --all: a folder).</summary>
public sealed class UatRunCommand : AsyncCommand<UatRunSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, UatRunSettings settings, CancellationToken ct)
    {
        var console = AnsiConsole.Console;
        List<string> folders;
        try
        {
            folders = settings.All ? ScenarioPack.Find(settings.Pack) : [Path.GetFullPath(settings.Pack)];
        }
        catch (DirectoryNotFoundException e)
        {
            throw new HandoffCliException(e.Message);
        }
        if (folders.Count == 0)
            throw new HandoffCliException($"no packs (folders with {ScenarioPack.FileName}) in {settings.Pack}");
        var results = new List<(string Folder, PackResult? Result)>();
        foreach (var folder in folders)
        {
            var dbPath = settings.Database is null ? null : settings.All ? Path.Combine(settings.Database, Path.GetFileName(folder) + ".db") : settings.Database;
            results.Add((folder, await UatOutput.LoadAndRunAsync(console, folder, settings, dbPath, ct)));
        }
        if (results.Count > 1)
        {
            console.Write(new Rule("packs").LeftJustified());
            var table = new Table().AddColumns("pack", "result", "expectations", "seconds");
            foreach (var (folder, result) in results)
            {
                table.AddRow(Markup.Escape(result?.Pack.Name ?? Path.GetFileName(folder)), result is null ? "[red]ERROR[/]" : result.Passed ? "[green]PASS[/]" : "[red]FAIL[/]",
                    result is null ? "pack.yaml has errors" : $"{result.PassedCount} of {result.Expectations.Count}",
                    result is null ? "" : result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture));
            }
            console.Write(table);
            console.MarkupLineInterpolated($"{results.Count(r => r.Result?.Passed == true)} of {results.Count} pack(s) passed");
        }
        return results.All(r => r.Result?.Passed == true) ? 0 : 1;
    }
}

public sealed class UatSignSettings : HandoffSettings, IThrowawaySettings
{
    [CommandArgument(0, "<PACK>")]
    [Description("The pack folder.")]
    public string Pack { get; init; } = "";

    [CommandOption("--as <NAME>")]
    [Description("Who accepts the pack: an approver of the charter (HR or IT).")]
    public string? Signer { get; init; }

    [CommandOption("--provider <PROVIDER>")]
    [Description("sqlite (default) or postgres: the kind of throwaway database the pack runs on (--db is the Handoff database the signature is recorded in).")]
    public string Provider { get; init; } = "sqlite";

    [CommandOption("--connection <CONNECTION>")]
    [Description("With --provider postgres: a connection string to a server where a throwaway database is created, used and dropped.")]
    public string? Connection { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Signer))
            return ValidationResult.Error("--as NAME: who signs (a charter member)");
        var check = IThrowawaySettings.Check(this);
        return check.Successful ? base.Validate() : check;
    }
}

/// <summary><c>handoff uat sign PACK --as NAME</c>: runs the pack on a throwaway database and, only if every
/// expectation passes, records <c>uat.signed</c> in the audit log of the Handoff database (<c>--db</c>)
/// with the pack's SHA-256 and the signer's side; a failing run is recorded as <c>uat.failed</c>.</summary>
public sealed class UatSignCommand : HandoffCommand<UatSignSettings>
{
    public const string Signed = "uat.signed";
    public const string Failed = "uat.failed";

    protected override async Task<int> RunAsync(HandoffRuntime runtime, UatSignSettings settings, CancellationToken ct)
    {
        ScenarioPack pack;
        try
        {
            pack = ScenarioPack.Load(settings.Pack);
        }
        catch (PackFormatException e)
        {
            UatOutput.PrintErrors(Console, e);
            return 1;
        }
        var signer = settings.Signer!;
        var member = await CharterAsync(runtime, pack, ct) is { } charter
            ? charter.FindMember(signer) ?? throw new HandoffCliException($"{signer} is not a member of the charter; a pack is signed by the HR and IT members who accept it")
            : throw new HandoffCliException("no charter to check the signer against: apply the workspace first (handoff apply)");
        if (!member.Approver)
            throw new HandoffCliException($"{signer} is not an approver in the charter; a pack is accepted by HR and IT approvers");
        var side = member.Side.ToString().ToLowerInvariant();

        var result = await UatOutput.RunAsync(Console, pack, settings, null, ct);
        var action = result.Passed ? Signed : Failed;
        await using (var db = runtime.Database.CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await runtime.Audit.AppendAsync(db, new AuditDraft($"user:{signer}", action, "uat_pack", pack.Name,
                [
                    new("hash", null, result.Hash), new("side", null, side), new("expectations", null, $"{result.PassedCount} of {result.Expectations.Count} passed"),
                    new("provider", null, result.Provider),
                ], null, $"uat:{pack.Name}", runtime.Clock.GetUtcNow()), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        if (!result.Passed)
        {
            Console.MarkupLineInterpolated($"[red]not signed:[/] {pack.Name} failed; the failed attempt is in the audit log ({Failed})");
            return 1;
        }
        Console.MarkupLineInterpolated($"[green]signed[/] {pack.Name} as {signer} ({side.ToUpperInvariant()}) at hash {result.Hash[..16]}… ({Signed} in the audit log)");
        return 0;
    }

    /// <summary>The charter of the Handoff database's active workspace, else that of the pack's workspace.</summary>
    private static async Task<Charter?> CharterAsync(HandoffRuntime runtime, ScenarioPack pack, CancellationToken ct)
    {
        try
        {
            return (await runtime.Workspace.LoadActiveAsync(ct)).Definition.Charter;
        }
        catch (WorkspaceStateException)
        {
            return WorkspaceLoader.Load(pack.Workspace).Workspace?.Charter;
        }
    }
}

public sealed class UatListSettings : HandoffSettings
{
    [CommandArgument(0, "[FOLDER]")]
    [Description("A folder of packs. Default: samples/acme/uat.")]
    public string? Folder { get; init; }
}

/// <summary><c>handoff uat list</c>: the packs of a folder with their current hash, the last result recorded
/// in the audit log (sign or failed sign) and who signed the current content; a signature of an earlier
/// content is shown as stale.</summary>
public sealed class UatListCommand : HandoffCommand<UatListSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, UatListSettings settings, CancellationToken ct)
    {
        var folder = settings.Folder ?? (ScenarioPack.FindAcme(Directory.GetCurrentDirectory()) is { } acme ? Path.Combine(acme, "uat") : null)
            ?? throw new HandoffCliException("samples/acme/uat not found; name a folder of packs");
        List<string> packs;
        try
        {
            packs = ScenarioPack.Find(folder);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new HandoffCliException(e.Message);
        }
        await using var db = runtime.Database.CreateContext();
        var entries = await db.AuditEntries.AsNoTracking()
            .Where(a => a.ObjectType == "uat_pack" && (a.Action == UatSignCommand.Signed || a.Action == UatSignCommand.Failed))
            .OrderBy(a => a.Sequence).ToListAsync(ct);
        var table = new Table().AddColumns("pack", "hash", "last result", "accepted", "signed (this content)", "stale signatures");
        foreach (var dir in packs)
        {
            string name, hash;
            try
            {
                name = ScenarioPack.Load(dir).Name;
                hash = ScenarioPack.HashOf(dir);
            }
            catch (PackFormatException e)
            {
                table.AddRow(Markup.Escape(Path.GetFileName(dir)), "", $"[red]pack.yaml: {Markup.Escape(e.Errors[0])}[/]", "", "", "");
                continue;
            }
            var mine = entries.Where(a => a.ObjectId == name).Select(a => (Entry: a, Fields: Fields(a))).ToList();
            var last = mine.LastOrDefault();
            var lastText = last.Entry is null ? "never signed"
                : $"{(last.Entry.Action == UatSignCommand.Signed ? "passed" : "failed")} {last.Entry.At:yyyy-MM-dd HH:mm} ({last.Entry.Actor}, {last.Fields.GetValueOrDefault("expectations")})"
                    + (last.Fields.GetValueOrDefault("hash") == hash ? "" : ", earlier content");
            var signed = mine.Where(m => m.Entry.Action == UatSignCommand.Signed).ToList();
            string Who((Data.Audit.AuditEntryRow Entry, Dictionary<string, string?> Fields) m) =>
                $"{m.Entry.Actor.Replace("user:", "", StringComparison.Ordinal)} ({m.Fields.GetValueOrDefault("side")?.ToUpperInvariant()}) {m.Entry.At:yyyy-MM-dd}";
            var current = signed.Where(s => s.Fields.GetValueOrDefault("hash") == hash).ToList();
            var sides = current.Select(s => s.Fields.GetValueOrDefault("side")).ToHashSet();
            var accepted = sides.Contains("hr") && sides.Contains("it") ? "[green]yes[/]"
                : $"no: needs {string.Join(" and ", new[] { sides.Contains("hr") ? null : "HR", sides.Contains("it") ? null : "IT" }.OfType<string>())}";
            table.AddRow(Markup.Escape(name), hash[..12], Markup.Escape(lastText), accepted,
                Markup.Escape(string.Join(", ", current.Select(Who))),
                Markup.Escape(string.Join(", ", signed.Where(s => s.Fields.GetValueOrDefault("hash") != hash).Select(Who))));
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"{packs.Count} pack(s) in {folder}; a pack is accepted when HR and IT signed its current content (handoff uat sign PACK --as NAME)");
        return 0;
    }

    private static Dictionary<string, string?> Fields(Data.Audit.AuditEntryRow entry) =>
        JsonDefaults.Deserialize<List<AuditFieldChange>>(entry.FieldsJson).GroupBy(f => f.Field).ToDictionary(g => g.Key, g => g.Last().After);
}

/// <summary>Runs packs on throwaway databases and prints them the same way for every verb.</summary>
internal static class UatOutput
{
    public static async Task<PackResult?> LoadAndRunAsync(IAnsiConsole console, string folder, IThrowawaySettings settings, string? dbPath, CancellationToken ct)
    {
        try
        {
            return await RunAsync(console, ScenarioPack.Load(folder), settings, dbPath, ct);
        }
        catch (PackFormatException e)
        {
            console.Write(new Rule($"[bold]{Markup.Escape(Path.GetFileName(folder))}[/]").LeftJustified());
            PrintErrors(console, e);
            return null;
        }
    }

    public static void PrintErrors(IAnsiConsole console, PackFormatException e)
    {
        foreach (var error in e.Errors)
            console.MarkupLineInterpolated($"[red]{error}[/]");
    }

    public static async Task<PackResult> RunAsync(IAnsiConsole console, ScenarioPack pack, IThrowawaySettings settings, string? dbPath, CancellationToken ct)
    {
        console.Write(new Rule($"[bold]pack {Markup.Escape(pack.Name)}[/]").LeftJustified());
        if (pack.Description.Length > 0)
            console.MarkupLineInterpolated($"[grey]{pack.Description.Trim()}[/]");
        await using var database = await ThrowawayDatabase.CreateAsync(settings.Provider, settings.Connection, dbPath, ct);
        var number = 0;
        PackResult result;
        try
        {
            result = await PackRunner.RunAsync(pack, database.Options, database.KeysDirectory, ct, step =>
            {
                number++;
                if (step.Error is null)
                    console.MarkupLineInterpolated($"  {number}. {step.Step.Describe} [grey]({step.Step.Place}, {step.Duration.TotalSeconds:0.0} s)[/]: {step.Summary}");
                else
                    console.MarkupLineInterpolated($"  {number}. {step.Step.Describe} [grey]({step.Step.Place})[/]: [red]failed: {step.Error}[/]");
            });
        }
        catch (Exception e) when (e is WorkspaceValidationException or WorkspaceStateException or ApprovalRefusedException or PackFormatException or InvalidOperationException)
        {
            // The pack's workspace could not be set up: nothing of the pack ran.
            throw new HandoffCliException($"{pack.Name}: its workspace {pack.Workspace} could not be applied: {e.Message}");
        }
        Print(console, result);
        if (database.Kept is { } kept)
            console.MarkupLineInterpolated($"[grey]the run's database is kept: handoff people list {kept}[/]");
        return result;
    }

    public static void Print(IAnsiConsole console, PackResult result)
    {
        foreach (var e in result.Expectations)
        {
            var when = e.AfterStep is { } n ? $"after step {n}: " : "";
            if (e.Passed)
                console.MarkupLineInterpolated($"  [green]PASS[/] {when}{result.Describe(e.Expectation)} [grey]({e.Expectation.Place})[/]");
            else
                console.MarkupLineInterpolated($"  [red]FAIL[/] {when}{result.Describe(e.Expectation)} [grey]({e.Expectation.Place})[/]\n       first difference: {e.Difference}");
        }
        var steps = result.Steps.Count < result.Pack.Steps.Count ? $", stopped at step {result.Steps.Count} of {result.Pack.Steps.Count}" : "";
        var verdict = result.Passed ? "[green]PASS[/]" : "[red]FAIL[/]";
        console.MarkupLine(verdict + Markup.Escape(
            $" {result.Pack.Name}: {result.PassedCount} of {result.Expectations.Count} expectation(s) passed{steps} ({result.Provider}, {result.Duration.TotalSeconds:0.0} s of which set-up {result.Setup.TotalSeconds:0.0} s, hash {result.Hash[..12]})"));
    }
}

/// <summary>A database of one pack run: a SQLite file (temporary, or kept at <c>--db</c>) or a PostgreSQL
/// database created for the run on the given server and dropped afterwards.</summary>
internal sealed class ThrowawayDatabase : IAsyncDisposable
{
    private readonly string? _sqliteFile;
    private readonly string? _postgresServer;
    private readonly string? _postgresName;
    private readonly bool _keep;

    private ThrowawayDatabase(DatabaseOptions options, string keysDirectory, string? sqliteFile, string? postgresServer, string? postgresName, bool keep)
    {
        Options = options;
        KeysDirectory = keysDirectory;
        _sqliteFile = sqliteFile;
        _postgresServer = postgresServer;
        _postgresName = postgresName;
        _keep = keep;
    }

    public DatabaseOptions Options { get; }
    public string KeysDirectory { get; }

    /// <summary>The options to open a kept database with (<c>--db … --keys-dir …</c>), else null.</summary>
    public string? Kept => _keep ? $"--db {_sqliteFile} --keys-dir {KeysDirectory}" : null;

    public static async Task<ThrowawayDatabase> CreateAsync(string provider, string? connection, string? path, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        if (provider == "postgres")
        {
            var name = $"handoff_uat_{id}";
            await using (var conn = new NpgsqlConnection(connection))
            {
                await conn.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
            var options = new DatabaseOptions(DatabaseProvider.Postgres, new NpgsqlConnectionStringBuilder(connection) { Database = name }.ConnectionString);
            return new ThrowawayDatabase(options, TempKeys(id), null, connection, name, keep: false);
        }
        if (path is not null)
        {
            path = Path.GetFullPath(path);
            if (File.Exists(path))
                throw new HandoffCliException($"--db {path} exists; a pack runs on a database of its own: name a new file");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return new ThrowawayDatabase(DatabaseOptions.ForSqliteFile(path), path + ".keys", path, null, null, keep: true);
        }
        var file = Path.Combine(Path.GetTempPath(), $"handoff-uat-{id}.db");
        return new ThrowawayDatabase(DatabaseOptions.ForSqliteFile(file), TempKeys(id), file, null, null, keep: false);
    }

    private static string TempKeys(string id) => Path.Combine(Path.GetTempPath(), $"handoff-uat-{id}.keys");

    public async ValueTask DisposeAsync()
    {
        if (_keep)
            return;
        if (_postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(_postgresServer);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_postgresName} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        if (_sqliteFile is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var f in new[] { _sqliteFile, _sqliteFile + "-wal", _sqliteFile + "-shm" })
                File.Delete(f);
        }
        if (Directory.Exists(KeysDirectory))
            Directory.Delete(KeysDirectory, recursive: true);
    }
}
