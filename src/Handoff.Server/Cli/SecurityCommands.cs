using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;
using Handoff.Core.Security;
using Handoff.Data.Security;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public class KeysSettings : HandoffSettings;

public sealed class KeysRotateSettings : KeysSettings
{
    [CommandOption("--batch-size <N>")]
    [Description("Rows re-encrypted per transaction (default 500).")]
    public int BatchSize { get; init; } = 500;

    public override ValidationResult Validate() =>
        BatchSize < 1 ? ValidationResult.Error("--batch-size must be at least 1") : base.Validate();
}

/// <summary><c>handoff keys status</c>: the ring, whether it matches the database, and what each key encrypts.</summary>
public sealed class KeysStatusCommand : HandoffCommand<KeysSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, KeysSettings settings, CancellationToken ct)
    {
        var loaded = SecurityCli.OpenRing(settings.KeysDir, Console);
        await using (var db = runtime.Database.CreateContext())
            await KeyRingCheck.VerifyAsync(db, loaded.Ring, ct, loaded.Origin, runtime.Clock);
        var counts = await new KeyRotation(runtime.Database, runtime.Clock).CountByKeyAsync(ct);
        Console.MarkupLineInterpolated($"key ring: {loaded.Origin} (matches this database)");
        var table = new Table().AddColumns("key", "current", "values");
        foreach (var id in loaded.Ring.KeyIds)
            table.AddRow(id, id == loaded.Ring.CurrentKeyId ? "yes" : "", counts.GetValueOrDefault(id).ToString(CultureInfo.InvariantCulture));
        foreach (var (id, n) in counts.Where(c => !loaded.Ring.Contains(c.Key)))
            table.AddRow($"[red]{Markup.Escape(id)}[/]", "missing from the ring", n.ToString(CultureInfo.InvariantCulture));
        Console.Write(table);
        if (loaded.Ring.KeyIds.Count > 1)
            Console.MarkupLine("A rotation is unfinished: [bold]handoff keys rotate[/] continues it.");
        return 0;
    }
}

/// <summary><c>handoff keys rotate</c>: a new current key, every value re-encrypted under it, old keys removed.</summary>
public sealed class KeysRotateCommand : HandoffCommand<KeysRotateSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, KeysRotateSettings settings, CancellationToken ct)
    {
        var loaded = SecurityCli.OpenRing(settings.KeysDir, Console);
        if (loaded.Path is null)
        {
            throw new HandoffCliException(
                $"the key ring comes from ${KeyRingStore.RingVariable}, which Handoff cannot rewrite. Write it to a file (base64 -d > DIR/keyring.json; chmod 600), " +
                $"run keys rotate with --keys-dir DIR, then store the new file's base64 in ${KeyRingStore.RingVariable} on every node");
        }
        if (loaded.Ring.KeyIds.Count > 1)
            Console.MarkupLineInterpolated($"continuing the unfinished rotation to {loaded.Ring.CurrentKeyId}");
        var rotation = new KeyRotation(runtime.Database, runtime.Clock)
        {
            BatchSize = settings.BatchSize,
            AfterBatch = (b, _) =>
            {
                Console.MarkupLineInterpolated($"  {b.Column}: {b.RowsSoFar} row(s) re-encrypted");
                return Task.CompletedTask;
            },
        };
        var report = await rotation.RotateAsync(loaded.Path, ct);
        if (report.NewKeyAdded)
            Console.MarkupLineInterpolated($"added key {report.CurrentKeyId} to {loaded.Path}; it is now the current key");
        Console.MarkupLineInterpolated($"re-encrypted {report.ValuesReEncrypted} value(s) in {report.RowsUpdated} row(s) under {report.CurrentKeyId}");
        if (report.RemovedKeys.Count > 0)
            Console.MarkupLineInterpolated($"removed key(s) no value uses any more: {string.Join(", ", report.RemovedKeys)}");
        foreach (var (id, n) in report.StillInUse)
            Console.MarkupLineInterpolated($"[yellow]key {id} is still used by {n} value(s)[/] (written meanwhile by a node with the old ring?): give every node the new ring, then run keys rotate again");
        Console.MarkupLine("Every node needs the new key ring: copy the file (or its base64 for $HANDOFF_KEYRING) and restart them; back it up.");
        return 0;
    }
}

public sealed class TokensCreateSettings : HandoffSettings
{
    [CommandOption("--system <SYSTEM>")]
    [Description("The system the token acts for.")]
    public string? System { get; init; }

    [CommandOption("--scope <SCOPE>")]
    [Description("hooks:write, scim:read or scim:write; repeat for several.")]
    public string[] Scopes { get; init; } = [];

    [CommandOption("--expires <DURATION>")]
    [Description("Lifetime: 90d (default), 12h, 2w, 1y, or never.")]
    public string Expires { get; init; } = "90d";

    [CommandOption("--name <NAME>")]
    [Description("What the token is for, shown in lists.")]
    public string? Name { get; init; }

    [CommandOption("--as <NAME>")]
    [Description("Who creates the token (recorded).")]
    public string? Actor { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(System))
            return ValidationResult.Error("--system is required");
        if (Scopes.Length == 0)
            return ValidationResult.Error($"--scope is required ({string.Join(", ", ApiTokens.KnownScopes)})");
        if (string.IsNullOrWhiteSpace(Actor))
            return ValidationResult.Error("--as NAME is required: who creates the token");
        if (!SecurityCli.TryParseLifetime(Expires, out _))
            return ValidationResult.Error($"--expires: \"{Expires}\" is not a duration like 90d, 12h, 2w, 1y or never");
        return base.Validate();
    }
}

public sealed class TokensCreateCommand : HandoffCommand<TokensCreateSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, TokensCreateSettings settings, CancellationToken ct)
    {
        SecurityCli.TryParseLifetime(settings.Expires, out var lifetime);
        CreatedApiToken created;
        try
        {
            created = await runtime.Tokens.CreateAsync(settings.System!, settings.Scopes, lifetime, settings.Actor!, ct, settings.Name);
        }
        catch (ApiTokenException e)
        {
            throw new HandoffCliException(e.Message);
        }
        var t = created.Info;
        Console.MarkupLineInterpolated($"token {t.Id} for {t.System} ({string.Join(" ", t.Scopes)}), {(t.ExpiresAt is { } x ? $"expires {x:u}" : "does not expire")}:");
        Console.WriteLine(created.Token);
        Console.MarkupLine("Store it now in the sending system's secret store: it cannot be shown again (Handoff keeps only its hash).");
        return 0;
    }
}

public sealed class TokensListCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var tokens = await runtime.Tokens.ListAsync(ct);
        var now = runtime.Clock.GetUtcNow();
        var table = new Table().AddColumns("id", "token", "system", "scopes", "name", "status", "created", "expires", "last used");
        foreach (var t in tokens)
        {
            table.AddRow(t.Id.ToString(CultureInfo.InvariantCulture), $"{t.Prefix}…", t.System, string.Join(" ", t.Scopes), Markup.Escape(t.Name),
                t.StatusAt(now), Markup.Escape($"{t.CreatedAt:u} by {t.CreatedBy}"), t.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never",
                t.LastUsedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "");
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"{tokens.Count} token(s)");
        return 0;
    }
}

public sealed class TokensRevokeSettings : HandoffSettings
{
    [CommandOption("--as <ACTOR>")]
    [Description("Who revokes (recorded in the audit log).")]
    public string Actor { get; init; } = Environment.UserName;

    [CommandArgument(0, "<ID>")]
    public long Id { get; init; }
}

public sealed class TokensRevokeCommand : HandoffCommand<TokensRevokeSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, TokensRevokeSettings settings, CancellationToken ct)
    {
        try
        {
            var t = await runtime.Tokens.RevokeAsync(settings.Id, ct, settings.Actor);
            Console.MarkupLineInterpolated($"token {t.Id} ({t.Prefix}…, {t.System}) revoked at {t.RevokedAt:u}");
            return 0;
        }
        catch (ApiTokenException e)
        {
            throw new HandoffCliException(e.Message);
        }
    }
}

internal static partial class SecurityCli
{
    public static LoadedKeyRing OpenRing(string? keysDir, IAnsiConsole console)
    {
        try
        {
            return KeyRingStore.Open(keysDir, m => console.MarkupLineInterpolated($"[yellow]{m}[/]"));
        }
        catch (KeyRingException e)
        {
            throw new HandoffCliException(e.Message);
        }
    }

    public static bool TryParseLifetime(string text, out TimeSpan? lifetime)
    {
        lifetime = null;
        if (text.Equals("never", StringComparison.OrdinalIgnoreCase))
            return true;
        var m = Lifetime().Match(text);
        if (!m.Success)
            return false;
        var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        if (n == 0)
            return false;
        lifetime = m.Groups[2].Value switch
        {
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            "w" => TimeSpan.FromDays(7 * n),
            _ => TimeSpan.FromDays(365 * n),
        };
        return true;
    }

    [GeneratedRegex("^([0-9]{1,5})([hdwy])$")]
    private static partial Regex Lifetime();
}
