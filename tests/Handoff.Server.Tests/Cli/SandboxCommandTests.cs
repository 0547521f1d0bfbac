using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Cli;

public sealed class SandboxCommandTests
{
    [Fact]
    public async Task Sandbox_verbs_list_accounts_and_set_and_clear_faults()
    {
        var work = Path.Combine(Path.GetTempPath(), $"handoff-sandbox-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var db = Path.Combine(work, "h.db");
        var keys = Path.Combine(work, "keys");
        async Task<string> Ok(params string[] args)
        {
            var (exit, output) = await HandoffProcess.RunAsync([.. args, "--db", db, "--keys-dir", keys]);
            Assert.True(exit == 0, output);
            return output;
        }
        await Ok("apply", "-f", Repository.AcmeWorkspace);
        await Ok("dictionary", "approve", "1", "--as", "alice");
        await Ok("dictionary", "approve", "1", "--as", "ivan");
        var system = WorkspaceLoader.Load(Repository.AcmeWorkspace).Workspace!.FindSystem("directory")!;
        var directory = SandboxConnector.For(system, DatabaseOptions.ForSqliteFile(db));
        var created = await directory.ApplyAsync(new TargetOperation(TargetOperationKind.Create, ObjectClasses.Account, null, "100131",
            new Dictionary<string, object?> { [AccountAttributes.Username] = "zobrien", [AccountAttributes.DisplayName] = "Zoë O'Brien-Núñez", [AccountAttributes.Groups] = new[] { "sales" } }, "k1"), default);

        Assert.Contains("directory: conflict on create for the next 1 call(s)", await Ok("sandbox", "fault", "directory", "--mode", "conflict", "--count", "1", "--operation", "create"));
        var list = await Ok("sandbox", "list", "directory");
        Assert.Contains("zobrien", list);
        Assert.Contains(created.NativeId!, list);
        Assert.Contains("sales", list);
        Assert.Contains("fault: conflict on create, 1 call(s) left", list);
        Assert.Contains("1 fault(s) cleared", await Ok("sandbox", "clear", "directory"));

        var (badMode, output) = await HandoffProcess.RunAsync("sandbox", "fault", "directory", "--mode", "flaky", "--db", db, "--keys-dir", keys);
        Assert.NotEqual(0, badMode);
        Assert.Contains("schema-violation", output);
        var (notSandbox, hris) = await HandoffProcess.RunAsync("sandbox", "list", "hris", "--db", db, "--keys-dir", keys);
        Assert.Equal(1, notSandbox);
        Assert.Contains("sandbox systems: directory, slack, servicedesk, mail", hris);
    }
}
