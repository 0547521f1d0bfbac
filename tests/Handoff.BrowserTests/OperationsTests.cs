using Handoff.Data.Tests;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;
using Handoff.Server.Tests.Systems;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Handoff.BrowserTests;

/// <summary>Running Handoff from the browser: a new hire dropped into the ATS folder of a running server
/// becomes a person and an onboarding run against the sandbox directory; failed, waiting and held runs
/// are retried, canceled and released from the run page; a large simulation runs as a background job
/// with a progress bar while the page stays usable.</summary>
public sealed class OperationsTests
{
    private const string Onboarding = """
        id: ats-onboarding
        name: Onboarding from the ATS
        trigger: { event: person.created }
        permissions:
          read: [candidate_id, first_name, last_name, department]
          write: { directory: [account.create] }
        steps:
          - id: account
            uses: directory.create_account
            with:
              # A candidate has no employee id yet: the ATS key anchors the account.
              anchor: '{{ candidate_id }}'
              username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}'
              enabled: false
              container: 'ou={{ department | slug }},ou=People'
        """;

    private static async Task ActivateAsync(Server.HandoffRuntime runtime, string yaml)
    {
        var p = await runtime.Workflows.ProposeAsync(yaml, "test.yaml", "alice", default);
        var reference = $"{p.WorkflowId}@v{p.Version}";
        await runtime.Workflows.ApproveAsync(reference, "hector", default);
        if (p.Widens.Count > 0)
            await runtime.Workflows.ApproveAsync(reference, "ivan", default);
        await runtime.Workflows.ActivateAsync(reference, "tara", default);
    }

    /// <summary>Reloads <paramref name="url"/> until <paramref name="locator"/> contains <paramref name="text"/> (at most 90 s).</summary>
    private static async Task ReloadUntilAsync(IPage page, string url, string locator, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            await page.GotoAsync(url);
            if ((await page.Locator(locator).AllInnerTextsAsync()).Any(t => t.Contains(text, StringComparison.Ordinal)))
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{url}: {locator} did not show \"{text}\" within 90 s");
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task A_new_hire_dropped_into_the_ATS_folder_becomes_a_person_and_the_onboarding_run_completes_against_the_sandbox_directory()
    {
        var workspace = SystemsPageTests.CopyOfAcme();
        await using var browser = await Browser.StartAsync(workspaceDir: workspace, workers: true);
        await ActivateAsync(browser.Host.Runtime, Onboarding);
        var ivan = await browser.SignInAsync("ivan");
        await ivan.GotoAsync("/People?q=Quarles");
        await Expect(ivan.Locator("#people")).Not.ToContainTextAsync("Quarles");

        // The recruiter's export lands in the drop folder of the running server; nobody clicks anything.
        await File.WriteAllTextAsync(Path.Combine(workspace, "data", "ats", "offers-2026-11-27.csv"),
            "candidate_id,first_name,last_name,personal_email,start_date,job_title,department,offer_status\n" +
            "C-26999,Inès,Quarles,ines.quarles@example.org,2027-02-01,Data Engineer,Engineering,accepted\n");

        await ReloadUntilAsync(ivan, "/People?q=Quarles", "#people", "Inès Quarles");
        await ReloadUntilAsync(ivan, "/Runs?workflow=ats-onboarding", "#runs", "completed");
        await ivan.Locator("#runs tr[data-run] a").First.ClickAsync();
        await Expect(ivan.Locator("#run-status")).ToHaveTextAsync("completed");
        var step = ivan.Locator("#steps tr[data-step=account]");
        await Expect(step).ToContainTextAsync("completed");
        await Expect(step).ToContainTextAsync("directory");
        await Expect(step).ToContainTextAsync("ines.quarles");

        await using (var db = browser.Host.Spine.Db())
        {
            var account = await db.SandboxObjects.SingleAsync(o => o.SystemId == "directory" && o.UniqueValue == "ines.quarles");
            Assert.Contains("ou=engineering", account.NativeId);
            Assert.Equal(1, await db.Syncs.CountAsync(s => s.System == "ats" && s.Created == 1));
        }
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_failed_run_is_retried_a_waiting_run_canceled_and_a_held_write_released_from_the_run_page()
    {
        await using var browser = await Browser.StartAsync(ingest: false);
        var runtime = browser.Host.Runtime;
        var spine = browser.Host.Spine;
        await ActivateAsync(runtime, """
            id: create
            trigger: { event: person.active }
            permissions: { read: [employee_id, first_name, last_name], write: { directory: [account.create] } }
            steps:
              - id: a
                uses: directory.create_account
                with: { username: 'u{{ employee_id }}', enabled: true }
            """);
        await ActivateAsync(runtime, File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "workflows", "offboarding.yaml")));
        var workers = Enumerable.Range(0, 21).Select(i => WorkflowSpine.Worker($"9003{i:00}", "Worker", $"N{i}", "01/05/2020")).ToArray();

        // The directory refuses the first account (a permanent error): that run fails.
        await using (var db = spine.Db())
            await Data.Sandbox.SandboxFaults.SetAsync(db, "directory", Data.Sandbox.SandboxFaultMode.SchemaViolation, count: 1, clock: runtime.Clock);
        await spine.SyncRecordsAsync("hris", workers);
        await runtime.Engine.TickAsync(default);
        Guid failed;
        await using (var db = spine.Db())
            failed = (await db.Runs.SingleAsync(r => r.WorkflowId == "create" && r.Status == RunStatus.Failed)).Id;

        var ivan = await browser.SignInAsync("ivan");
        ivan.Dialog += (_, dialog) => dialog.AcceptAsync();
        await ivan.GotoAsync($"/Runs/Run/{failed}");
        await Expect(ivan.Locator("#run-status")).ToHaveTextAsync("failed");
        await ivan.ClickAsync("#retry");
        await Expect(ivan.Locator(".flash.ok")).ToBeVisibleAsync();
        await runtime.Engine.RunDueAsync(10, default);
        await ivan.GotoAsync($"/Runs/Run/{failed}");
        await Expect(ivan.Locator("#run-status")).ToHaveTextAsync("completed");
        await Expect(ivan.Locator("#steps tr[data-step=a]").Last).ToContainTextAsync("completed");

        // An export that terminates 6 of 21: the directory's 20 % threshold holds the last disables.
        var terminated = workers.Select((r, i) => i < 6 ? new Dictionary<string, string?>(r) { ["Termination_Date"] = "11/26/2026" } : r).ToArray();
        await spine.SyncRecordsAsync("hris", terminated);
        await runtime.Engine.TickAsync(default);
        var held = await runtime.Engine.ListStagedAsync(heldOnly: true, default);
        Assert.True(held.Count >= 2, $"{held.Count} writes held");

        // Release one held write from its run's page: the run goes on and completes.
        await ivan.GotoAsync($"/Runs/Run/{held[0].RunId}");
        await Expect(ivan.Locator("#run-status")).ToHaveTextAsync("waiting");
        await ivan.Locator($"#held tr[data-held='{held[0].Id}'] .release-button").ClickAsync();
        await Expect(ivan.Locator(".flash.ok")).ToBeVisibleAsync();
        await runtime.Engine.RunDueAsync(10, default);
        await ivan.GotoAsync($"/Runs/Run/{held[0].RunId}");
        await Expect(ivan.Locator("#run-status")).ToHaveTextAsync("completed");
        await Expect(ivan.Locator($"#held tr[data-held='{held[0].Id}']")).ToContainTextAsync("released");

        // Cancel another waiting run: its held write is discarded, nothing is disabled.
        await ivan.GotoAsync($"/Runs/Run/{held[1].RunId}");
        await Expect(ivan.Locator("#run-status")).ToHaveTextAsync("waiting");
        await ivan.ClickAsync("#cancel");
        await Expect(ivan.Locator("#run-status")).ToHaveTextAsync("canceled");
        await runtime.Engine.RunDueAsync(10, default);
        await using (var db = spine.Db())
        {
            Assert.Equal("discarded", (await db.StagedWrites.SingleAsync(s => s.Id == held[1].Id)).Status);
            Assert.Equal(RunStatus.Canceled, (await db.Runs.SingleAsync(r => r.Id == held[1].RunId)).Status);
        }
        await ivan.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("run-canceled"), FullPage = true });
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_large_simulation_runs_in_the_background_with_progress_and_shows_its_result()
    {
        await using var browser = await Browser.StartAsync(ingest: false);
        var hector = await browser.SignInAsync("hector");
        await hector.GotoAsync("/Workflows/Edit?template=pre-hire");
        await hector.FillAsync("#SimulateCount", "3000");
        await hector.ClickAsync("#simulate-background");
        await hector.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/Jobs/[0-9a-f-]{36}$"));
        var jobUrl = hector.Url;

        // The page answers at once and the bar moves while the job runs.
        await Expect(hector.Locator("#job-status")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("queued|running"));
        await Expect(hector.Locator("#job-count")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[1-9]\d* of 3000$"), new() { Timeout = 60_000 });
        var midway = await hector.Locator("#job-progress").GetAttributeAsync("value");
        Assert.True(int.TryParse(midway, out var value) && value is > 0 and < 3000, $"progress value {midway}");
        await hector.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("job-progress") });

        // Leaving the page does not stop the job.
        await hector.GotoAsync("/Jobs");
        await Expect(hector.Locator("#jobs tr[data-job]")).ToHaveCountAsync(1);
        await hector.GotoAsync(jobUrl);
        await Expect(hector.Locator("#job-status")).ToHaveTextAsync("completed", new() { Timeout = 180_000 });
        await Expect(hector.Locator("#job-count")).ToHaveTextAsync("3000 of 3000");
        await Expect(hector.Locator("#simulation-summary")).ToContainTextAsync("3000 people");
        await Expect(hector.Locator("#simulation-summary")).ToContainTextAsync("planned writes");
        await Expect(hector.Locator("#simulation-failures tr").Nth(1)).ToBeVisibleAsync();
        await hector.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("job-simulation"), FullPage = false });
        await using (var db = browser.Host.Spine.Db())
            Assert.Equal(0, await db.SandboxObjects.CountAsync());
        Assert.Empty(browser.Errors);
    }
}
