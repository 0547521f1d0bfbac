using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Handoff.Data;
using Handoff.Data.Jobs;
using Handoff.Data.Tests;
using Handoff.Server.Jobs;
using Handoff.Server.Tests.Web;
using Handoff.Server.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Handoff.Server.Tests.Jobs;

/// <summary>
/// Long operations as background jobs against the real server: a page POSTs, the browser is sent to
/// /Jobs/{id}, the job runs in the server's runner with progress from the operation itself, and its
/// result (counts, a file) is there when it ends. Jobs a killed process left behind are failed at start.
/// </summary>
public sealed class BackgroundJobTests
{
    /// <summary>POSTs a form with the antiforgery token of <paramref name="tokenPage"/>.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string tokenPage, string action, Dictionary<string, string> fields)
    {
        var token = await WebTestHost.AntiforgeryTokenAsync(client, tokenPage);
        return await client.PostAsync(action, new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token }));
    }

    /// <summary>Polls <c>GET /api/jobs/{id}</c> until the job ends (at most 120 s); every answer is recorded.</summary>
    public static async Task<(JsonElement Final, List<JsonElement> Seen)> WaitAsync(HttpClient client, Guid id)
    {
        var seen = new List<JsonElement>();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var job = await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            seen.Add(job);
            if (job.GetProperty("final").GetBoolean())
                return (job, seen);
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} did not end in 120 s; last: {seen.LastOrDefault()}");
    }

    public static Guid JobIdFrom(HttpResponseMessage redirect)
    {
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var location = redirect.Headers.Location!.ToString();
        Assert.StartsWith("/Jobs/", location);
        return Guid.Parse(location["/Jobs/".Length..]);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_sync_started_from_the_systems_page_runs_as_a_job_and_counts_the_records_it_read(string provider)
    {
        // Nothing read yet: a file already applied is not read again, so the job would count nothing.
        await using var host = await WebTestHost.StartAsync(provider, ingest: false);
        using var olga = host.Client();
        await WebTestHost.SignInAsync(olga, "olga");
        var id = JobIdFrom(await PostFormAsync(olga, "/Systems", "/Systems/Sync", new() { ["System"] = "hris" }));

        var (job, _) = await WaitAsync(olga, id);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        await using var db = host.Spine.Db();
        var sync = await db.Syncs.OrderByDescending(s => s.Id).FirstAsync(s => s.System == "hris");
        // Progress counted the records the pipeline read; the total was the drop folder's lines.
        Assert.Equal(sync.Read, job.GetProperty("done").GetInt64());
        Assert.Equal(sync.Read, job.GetProperty("total").GetInt64());
        Assert.Contains($"sync #{sync.Id}", job.GetProperty("message").GetString());
        var page = await olga.GetStringAsync($"/Jobs/{id}");
        Assert.Contains("id=\"job-result\"", page);
        Assert.Contains($"read {sync.Read}", page);

        // hector (hr_operator) may not sync, so he may not read the sync's job either.
        using var hector = host.Client();
        await WebTestHost.SignInAsync(hector, "hector");
        Assert.Equal(HttpStatusCode.Forbidden, (await hector.GetAsync($"/api/jobs/{id}")).StatusCode);
        Assert.Contains("/Account/AccessDenied", (await hector.GetAsync($"/Jobs/{id}")).Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await olga.GetAsync($"/api/jobs/{Guid.NewGuid()}")).StatusCode);

        // A system that is not a CSV drop folder is refused before any job exists.
        var before = await db.BackgroundJobs.CountAsync();
        var refused = await PostFormAsync(olga, "/Systems", "/Systems/Sync", new() { ["System"] = "directory" });
        Assert.Equal("/Systems", refused.Headers.Location!.ToString());
        Assert.Equal(before, await db.BackgroundJobs.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Jobs_left_running_by_a_killed_server_are_marked_failed_at_start_up(string provider)
    {
        await using var host = await WebTestHost.StartAsync(provider, ingest: false);
        var store = new BackgroundJobStore(host.Runtime.Database, host.Runtime.Clock);
        var running = await store.CreateAsync(BackgroundJobKind.Sync, "{\"system\":\"hris\"}", "olga", default);
        await store.StartAsync(running.Id, default);
        await store.ProgressAsync(running.Id, 12, 35, "reading hris", default);
        var queued = await store.CreateAsync(BackgroundJobKind.AuditExport, "{}", "audrey", default);
        var done = await store.CreateAsync(BackgroundJobKind.Sync, "{}", "olga", default);
        await store.CompleteAsync(done.Id, 3, "done", null, null, default);

        // A new server process starting its runner over the same database.
        var queue = new BackgroundJobQueue(host.Runtime, new ConfigurationBuilder().Build());
        var runner = new BackgroundJobRunner(queue, host.Runtime, NullLogger<BackgroundJobRunner>.Instance);
        await runner.StartAsync(default);
        await runner.StopAsync(default);

        var r = (await store.FindAsync(running.Id, default))!;
        Assert.Equal(BackgroundJobStatus.Failed, r.Status);
        Assert.StartsWith("interrupted: the server stopped at 12 of 35", r.Message);
        Assert.NotNull(r.FinishedAt);
        var q = (await store.FindAsync(queued.Id, default))!;
        Assert.Equal(BackgroundJobStatus.Failed, q.Status);
        Assert.StartsWith("interrupted: the server stopped before it started", q.Message);
        Assert.Equal(BackgroundJobStatus.Completed, (await store.FindAsync(done.Id, default))!.Status);
    }

    [Fact]
    public async Task An_audit_export_job_writes_a_file_that_verifies_and_only_exporters_may_download_it()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite);
        using var audrey = host.Client();
        await WebTestHost.SignInAsync(audrey, "audrey");
        var bad = await PostFormAsync(audrey, "/Audit", "/Audit/ExportJob", new() { ["Format"] = "xml" });
        Assert.Equal("/Audit", bad.Headers.Location!.ToString());
        var badDate = await PostFormAsync(audrey, "/Audit", "/Audit/ExportJob", new() { ["Format"] = "csv", ["From"] = "27/11/2026" });
        Assert.Equal("/Audit", badDate.Headers.Location!.ToString());
        await using (var db = host.Spine.Db())
            Assert.Equal(0, await db.BackgroundJobs.CountAsync());

        var id = JobIdFrom(await PostFormAsync(audrey, "/Audit", "/Audit/ExportJob", new() { ["Format"] = "jsonl" }));
        var (job, _) = await WaitAsync(audrey, id);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        var written = job.GetProperty("done").GetInt64();
        Assert.True(written > 100, $"only {written} entries");
        Assert.Equal(written, job.GetProperty("total").GetInt64());
        Assert.Equal($"/Jobs/{id}?handler=Download", job.GetProperty("download").GetString());

        var download = await audrey.GetAsync($"/Jobs/{id}?handler=Download");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.EndsWith(".jsonl", download.Content.Headers.ContentDisposition!.FileNameStar ?? download.Content.Headers.ContentDisposition.FileName);
        var bytes = await download.Content.ReadAsByteArrayAsync();
        Assert.Equal(written, System.Text.Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var audit = host.Runtime.Audit;
        var verified = await Data.Audit.AuditLog.VerifyExportAsync(new MemoryStream(bytes), await audit.CheckpointsAsync(), audit.KeyFor);
        Assert.True(verified.Intact, verified.Problem?.Message);

        using var hector = host.Client();
        await WebTestHost.SignInAsync(hector, "hector");
        Assert.Equal(HttpStatusCode.Forbidden, (await hector.GetAsync($"/api/jobs/{id}")).StatusCode);
        Assert.Contains("/Account/AccessDenied", (await hector.GetAsync($"/Jobs/{id}?handler=Download")).Headers.Location!.ToString());
    }

    [Fact]
    public async Task A_runs_export_job_writes_one_csv_line_per_step()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite);
        var runtime = host.Runtime;
        var yaml = WorkflowActions.Template("pre-hire")!.Yaml;
        var p = await runtime.Workflows.ProposeAsync(yaml, "pre-hire.yaml", "alice", default);
        await runtime.Workflows.ApproveAsync($"{p.WorkflowId}@v{p.Version}", "hector", default);
        await runtime.Workflows.ApproveAsync($"{p.WorkflowId}@v{p.Version}", "ivan", default);
        await runtime.Workflows.ActivateAsync($"{p.WorkflowId}@v{p.Version}", "tara", default);
        await runtime.Engine.StartManualAsync(p.WorkflowId, null, "department eq \"Engineering\"", 50, "tara", default);
        await runtime.Engine.RunDueAsync(100, default);
        int steps;
        await using (var db = host.Spine.Db())
            steps = await db.RunSteps.CountAsync();
        Assert.True(steps > 4);

        using var ivan = host.Client();
        await WebTestHost.SignInAsync(ivan, "ivan");
        var empty = await PostFormAsync(ivan, "/Runs", "/Runs/ExportJob", []);
        Assert.Equal("/Runs", empty.Headers.Location!.ToString());
        var id = JobIdFrom(await PostFormAsync(ivan, "/Runs", "/Runs/ExportJob", new() { ["Format"] = "csv", ["Workflow"] = "pre-hire" }));
        var (job, _) = await WaitAsync(ivan, id);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(steps, job.GetProperty("done").GetInt64());
        var csv = await ivan.GetStringAsync($"/Jobs/{id}?handler=Download");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("run_id,workflow,version", lines[0]);
        Assert.Equal(steps + 1, lines.Length);
    }

    [Fact]
    public async Task A_simulation_job_reports_each_person_and_keeps_the_failures_an_invalid_workflow_fails_with_its_error()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        var queue = host.App.Services.GetRequiredService<BackgroundJobQueue>();
        var yaml = WorkflowActions.Template("pre-hire")!.Yaml;
        var id = await queue.EnqueueAsync(BackgroundJobKind.Simulate, new SimulateJob(yaml, 400, 7), "hector", default);
        using var hector = host.Client();
        await WebTestHost.SignInAsync(hector, "hector");
        var (job, seen) = await WaitAsync(hector, id);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(400, job.GetProperty("done").GetInt64());
        Assert.Equal(400, job.GetProperty("total").GetInt64());
        // Progress only grows.
        var dones = seen.Select(s => s.GetProperty("done").GetInt64()).ToList();
        Assert.Equal(dones.Order(), dones);
        var row = (await queue.Store.FindAsync(id, default))!;
        var summary = JsonDefaults.Deserialize<SimulationSummary>(row.ResultJson!);
        Assert.Equal(400, summary.People);
        Assert.True(summary.Writes > 0);
        // The generated population has defects: some would fail, each with its step and reason.
        Assert.True(summary.Failures > 0);
        Assert.All(summary.FailureSample, f => Assert.False(string.IsNullOrEmpty(f.Step)));
        var page = await hector.GetStringAsync($"/Jobs/{id}");
        Assert.Contains("id=\"simulation-summary\"", page);
        Assert.Contains($"{summary.Writes} planned writes", page);
        await using (var db = host.Spine.Db())
            Assert.Equal(0, await db.SandboxObjects.CountAsync());

        var broken = await queue.EnqueueAsync(BackgroundJobKind.Simulate, new SimulateJob(yaml.Replace("{{ first_name", "{{ frist_name", StringComparison.Ordinal), 10, 7), "hector", default);
        var (failed, _) = await WaitAsync(hector, broken);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("frist_name", failed.GetProperty("message").GetString());
    }
}
