using System.Net;
using Handoff.Data.Sandbox;
using Handoff.Data.Tests;
using Handoff.Server.Cluster;
using Handoff.Server.Health;
using Handoff.Server.Sources;
using Handoff.Server.Tests.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using static Handoff.Server.Tests.Jobs.BackgroundJobTests;

namespace Handoff.Server.Tests.Systems;

/// <summary>The Systems page against the real server: each system's status, "Test connection" on a
/// target (its connector's TestAsync, refused to anyone but IT admins and operators, audited), the
/// drop-folder check of a CSV source, the schema a target's connector discovers; and the drop-folder
/// watcher that reads a file added while the server runs.</summary>
public sealed class SystemsPageTests
{
    private static async Task<string> FlashAfterAsync(HttpClient client, HttpResponseMessage redirect)
    {
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var page = await client.GetStringAsync(redirect.Headers.Location!.ToString());
        var start = page.IndexOf("class=\"flash", StringComparison.Ordinal);
        Assert.True(start >= 0, "no notice on the page");
        return WebUtility.HtmlDecode(page[start..page.IndexOf("</p>", start, StringComparison.Ordinal)]);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Test_connection_reports_ok_or_the_failure_with_the_time_it_took_and_is_audited(string provider)
    {
        await using var host = await WebTestHost.StartAsync(provider);
        using var olga = host.Client();
        await WebTestHost.SignInAsync(olga, "olga");
        var systems = await olga.GetStringAsync("/Systems");
        Assert.Contains("data-test=\"directory\"", systems);
        Assert.Contains("data-schema=\"directory\"", systems);
        // A source shows its last sync; the HRIS has two rows in quarantine in the demo data.
        Assert.Matches("data-status=\"hris\"[\\s\\S]*?last-sync\">\\d{4}-\\d\\d-\\d\\d", systems);
        Assert.Matches("data-status=\"hris\"[\\s\\S]*?2 quarantined", systems);

        var ok = await FlashAfterAsync(olga, await PostFormAsync(olga, "/Systems", "/Systems/Test", new() { ["System"] = "directory" }));
        Assert.Contains("flash ok", ok);
        Assert.Matches(@"directory: ok — sandbox active-directory: \d+ object\(s\) \(\d+ ms\)", ok);

        await using (var db = host.Spine.Db())
            await SandboxFaults.SetAsync(db, "directory", SandboxFaultMode.Down, clock: host.Runtime.Clock);
        var down = await FlashAfterAsync(olga, await PostFormAsync(olga, "/Systems", "/Systems/Test", new() { ["System"] = "directory" }));
        Assert.Contains("flash bad", down);
        Assert.Matches(@"directory: failed — directory is down \(injected fault.*\(\d+ ms\)", down);

        var folder = await FlashAfterAsync(olga, await PostFormAsync(olga, "/Systems", "/Systems/Test", new() { ["System"] = "ats" }));
        Assert.Contains("ats: ok — the drop folder", folder);
        Assert.Contains("holds 1 file(s) matching *.csv", folder);

        var unknown = await FlashAfterAsync(olga, await PostFormAsync(olga, "/Systems", "/Systems/Test", new() { ["System"] = "nope" }));
        Assert.Contains("no system 'nope' in the workspace", unknown);

        await using (var db = host.Spine.Db())
        {
            var tests = await db.AuditEntries.Where(e => e.Action == "system.tested").OrderBy(e => e.Sequence).ToListAsync();
            Assert.Equal(["directory", "directory", "ats"], tests.Select(t => t.ObjectId));
            Assert.All(tests, t => Assert.Equal("user:olga", t.Actor));
        }

        // hector (hr_operator) sees no test button, and his POST is refused.
        using var hector = host.Client();
        await WebTestHost.SignInAsync(hector, "hector");
        Assert.DoesNotContain("data-test=", await hector.GetStringAsync("/Systems"));
        var refused = await PostFormAsync(hector, "/Systems", "/Systems/Test", new() { ["System"] = "directory" });
        Assert.Contains("/Account/AccessDenied", refused.Headers.Location!.ToString());
    }

    [Fact]
    public async Task The_schema_page_shows_the_object_classes_and_attributes_the_connector_discovers()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        using var victor = host.Client();
        await WebTestHost.SignInAsync(victor, "victor");
        var page = await victor.GetStringAsync("/Systems/Schema/directory");
        Assert.Contains("data-object-class=\"account\"", page);
        Assert.Contains("data-object-class=\"group\"", page);
        Assert.Matches("data-attribute=\"sAMAccountName\">[\\s\\S]*?<td class=\"num\">20</td>", page);
        Assert.Equal(HttpStatusCode.NotFound, (await victor.GetAsync("/Systems/Schema/hris")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await victor.GetAsync("/Systems/Schema/nope")).StatusCode);

        await using (var db = host.Spine.Db())
            await SandboxFaults.SetAsync(db, "directory", SandboxFaultMode.Down, clock: host.Runtime.Clock);
        Assert.Contains("The schema could not be read: ", await victor.GetStringAsync("/Systems/Schema/directory"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_file_dropped_into_a_watched_folder_is_read_once_and_a_restart_does_not_reread(string provider)
    {
        var workspace = CopyOfAcme();
        await using var host = await WebTestHost.StartAsync(provider, workspaceDir: workspace);
        var worker = new DropFolderWorker(host.Runtime, new WorkflowSignal(), new ClusterJobs(host.Runtime, NullLogger<ClusterJobs>.Instance), new ConfigurationBuilder().Build(), NullLogger<DropFolderWorker>.Instance);
        Assert.Empty(await worker.LookAsync(default)); // the first look only remembers
        Assert.Empty(await worker.LookAsync(default));
        await File.WriteAllTextAsync(Path.Combine(workspace, "data", "ats", "offers-late.csv"),
            "candidate_id,first_name,last_name,personal_email,start_date,job_title,department,offer_status\n" +
            "C-26999,Ines,Quarles,ines.quarles@example.org,2027-02-01,Data Engineer,Engineering,accepted\n");
        Assert.Equal(["ats"], await worker.LookAsync(default));
        Assert.Empty(await worker.LookAsync(default));
        await using var db = host.Spine.Db();
        Assert.Equal(1, await db.People.CountAsync(p => p.DisplayName == "Ines Quarles"));
        Assert.Equal(1, await db.Syncs.CountAsync(s => s.System == "ats" && s.Created == 1));

        // A new process starts with the file already there: it is not read again on its own.
        var restarted = new DropFolderWorker(host.Runtime, new WorkflowSignal(), new ClusterJobs(host.Runtime, NullLogger<ClusterJobs>.Instance), new ConfigurationBuilder().Build(), NullLogger<DropFolderWorker>.Instance);
        Assert.Empty(await restarted.LookAsync(default));
    }

    /// <summary>A throwaway copy of samples/acme (workspace files and drop folders).</summary>
    public static string CopyOfAcme()
    {
        var target = Path.Combine(Path.GetTempPath(), "handoff-tests", "acme-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }
}
