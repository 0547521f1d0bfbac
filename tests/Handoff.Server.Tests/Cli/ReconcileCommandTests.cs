using System.Text.Json;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using Handoff.Data;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Cli;

/// <summary><c>handoff reconcile</c> as IT runs it, against the Acme sandbox directory.</summary>
public sealed class ReconcileCommandTests
{
    [Fact]
    public async Task Reconcile_prints_the_classes_as_tables_and_json_and_lists_past_reports()
    {
        var work = Path.Combine(Path.GetTempPath(), $"handoff-reconcile-{Guid.NewGuid():N}");
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
        await Ok("sync", "hris");
        var system = WorkspaceLoader.Load(Repository.AcmeWorkspace).Workspace!.FindSystem("directory")!;
        var directory = SandboxConnector.For(system, DatabaseOptions.ForSqliteFile(db));
        // Margaret Chen's account, made by hand with a wrong title (enforce); and an account nobody manages.
        var maggie = await directory.ApplyAsync(new TargetOperation(TargetOperationKind.Create, ObjectClasses.Account, null, "100101", new Dictionary<string, object?>
        {
            [AccountAttributes.Username] = "mchen",
            [AccountAttributes.DisplayName] = "Margaret Chen",
            [AccountAttributes.GivenName] = "Margaret",
            [AccountAttributes.Surname] = "Chen",
            ["title"] = "Intern",
            ["department"] = "Operations",
            [AccountAttributes.Email] = "margaret.chen@acme.example",
        }, "k1"), default);
        await directory.ApplyAsync(new TargetOperation(TargetOperationKind.Create, ObjectClasses.Account, null, null, new Dictionary<string, object?>
        {
            [AccountAttributes.Username] = "svc-backup",
            [AccountAttributes.DisplayName] = "Backup service",
        }, "k2"), default);

        var dry = await Ok("reconcile", "directory", "--dry-run", "--actor", "ivan");
        Assert.Contains("dry run: nothing written to the target", dry);
        Assert.Contains("job_title", dry);
        Assert.Contains("would_repair", dry);
        Assert.Contains("svc-backup", (await directory.ReadAsync(ObjectClasses.Account, default).ToListAsync()).Select(a => a.Attributes[AccountAttributes.Username]).OfType<string>());

        using var json = JsonDocument.Parse(await Ok("reconcile", "directory", "--json", "--actor", "ivan"));
        var report = json.RootElement.GetProperty("report");
        Assert.Equal(2, report.GetProperty("accounts").GetInt32());
        Assert.Equal(1, report.GetProperty("counts").GetProperty("drifted").GetInt32());
        Assert.Equal(1, report.GetProperty("counts").GetProperty("unmanaged").GetInt32());
        Assert.Equal(1, report.GetProperty("repaired").GetInt32());
        var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
        var drifted = items.Single(i => i.GetProperty("class").GetString() == "drifted");
        Assert.Equal((maggie.NativeId, "anchor", "repaired"), (drifted.GetProperty("native_id").GetString(), drifted.GetProperty("matched_by").GetString(), drifted.GetProperty("repair").GetString()));
        var title = (await directory.ReadAsync(ObjectClasses.Account, default).ToListAsync()).Single(a => a.NativeId == maggie.NativeId).Attributes["title"];
        Assert.Equal("Chief Executive Officer", title);

        var table = await Ok("reconcile", "--list");
        Assert.True(table.Contains(report.GetProperty("id").GetString()![..8], StringComparison.Ordinal), table);
        using var list = JsonDocument.Parse(await Ok("reconcile", "--list", "--json"));
        Assert.Equal([false, true], list.RootElement.EnumerateArray().Select(r => r.GetProperty("dry_run").GetBoolean()).Order());
        Assert.All(list.RootElement.EnumerateArray(), r => Assert.Equal(("directory", "user:ivan"), (r.GetProperty("system").GetString(), r.GetProperty("actor").GetString())));
        var id = report.GetProperty("id").GetString()!;
        var shown = await Ok("reconcile", "--show", id[..8]);
        Assert.Contains($"reconciliation {id} of directory", shown);
        Assert.Contains("unmanaged", shown);
        Assert.Contains("repaired", shown);

        var (exit, output) = await HandoffProcess.RunAsync("reconcile", "directroy", "--db", db, "--keys-dir", keys);
        Assert.Equal(1, exit);
        Assert.Contains("no system \"directroy\" in the workspace; target systems that can be reconciled: directory, slack", output);
    }
}
