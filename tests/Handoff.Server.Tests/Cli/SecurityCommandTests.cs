using System.Text.RegularExpressions;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Cli;

/// <summary><c>handoff tokens …</c> and <c>handoff keys …</c> as an operator runs them.</summary>
public sealed partial class SecurityCommandTests
{
    [Fact]
    public async Task Tokens_are_shown_once_listed_by_prefix_and_revoked()
    {
        var db = Path.Combine(Path.GetTempPath(), "handoff-tests", $"cli-{Guid.NewGuid():N}.db");
        var (applyExit, apply) = await HandoffProcess.RunAsync("apply", "-f", Repository.AcmeWorkspace, "--db", db);
        Assert.True(applyExit == 0, apply);

        var (exit, output) = await HandoffProcess.RunAsync("tokens", "create", "--system", "payroll", "--scope", "hooks:write", "--expires", "30d", "--as", "ivan", "--db", db);
        Assert.True(exit == 0, output);
        var token = TokenText().Match(output).Value;
        Assert.NotEmpty(token);
        Assert.Contains("cannot be shown again", output);

        var (listExit, list) = await HandoffProcess.RunAsync("tokens", "list", "--db", db);
        Assert.True(listExit == 0, list);
        Assert.Contains(token[..13], list);
        Assert.DoesNotContain(token, list);
        Assert.Contains("active", list);

        var (revokeExit, revoke) = await HandoffProcess.RunAsync("tokens", "revoke", "1", "--db", db);
        Assert.True(revokeExit == 0, revoke);
        Assert.Contains("revoked", revoke);
        Assert.Contains("revoked", (await HandoffProcess.RunAsync("tokens", "list", "--db", db)).Output);

        var (badExit, bad) = await HandoffProcess.RunAsync("tokens", "create", "--system", "payroll", "--scope", "admin", "--as", "ivan", "--db", db);
        Assert.Equal(1, badExit);
        Assert.Contains("unknown scope(s) admin", bad);
    }

    [Fact]
    public async Task Keys_are_created_on_first_use_refused_when_readable_by_others_and_rotated()
    {
        var db = Path.Combine(Path.GetTempPath(), "handoff-tests", $"cli-{Guid.NewGuid():N}.db");
        var keys = Path.Combine(Path.GetTempPath(), "handoff-tests", $"keys-{Guid.NewGuid():N}");
        var ring = Path.Combine(keys, "keyring.json");

        var (exit, output) = await HandoffProcess.RunAsync("keys", "status", "--keys-dir", keys, "--db", db);
        Assert.True(exit == 0, output);
        Assert.Contains("Created a new key ring at", output);
        Assert.Contains("k1", output);

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(ring, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var (refusedExit, refused) = await HandoffProcess.RunAsync("keys", "rotate", "--keys-dir", keys, "--db", db);
            Assert.Equal(1, refusedExit);
            Assert.Contains("chmod 600", refused);
            File.SetUnixFileMode(ring, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var (rotateExit, rotate) = await HandoffProcess.RunAsync("keys", "rotate", "--keys-dir", keys, "--db", db);
        Assert.True(rotateExit == 0, rotate);
        Assert.Contains("added key k2", rotate);
        Assert.Contains("removed key(s) no value uses any more: k1", rotate);

        // Another ring against the same database is refused.
        var other = Path.Combine(Path.GetTempPath(), "handoff-tests", $"keys-{Guid.NewGuid():N}");
        var (otherExit, otherOutput) = await HandoffProcess.RunAsync("keys", "status", "--keys-dir", other, "--db", db);
        Assert.Equal(1, otherExit);
        Assert.Contains("is not the key ring this database was encrypted with", otherOutput);
    }

    [GeneratedRegex("hoff_[0-9A-Za-z]{43}")]
    private static partial Regex TokenText();
}
