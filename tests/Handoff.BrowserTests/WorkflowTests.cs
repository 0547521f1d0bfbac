using Handoff.Data.Workflows;
using Handoff.Server.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using static Microsoft.Playwright.Assertions;

namespace Handoff.BrowserTests;

/// <summary>Workflows and runs in Chromium: HR builds a workflow in the form editor, IT approves and
/// activates it, a run shows its steps; an approval is decided by the role it names and only by it.</summary>
public sealed class WorkflowTests
{
    [Fact]
    public async Task HR_builds_a_workflow_from_a_template_in_the_form_editor_and_IT_approves_and_activates_it()
    {
        await using var browser = await Browser.StartAsync();
        var hector = await browser.SignInAsync("hector");
        await hector.ClickAsync("header nav >> text=Workflows");
        await hector.ClickAsync("#templates tr[data-template=pre-hire] a");
        await Expect(hector.Locator("#Form_Id")).ToHaveValueAsync("pre-hire");
        // Steps are cards with their inputs as fields.
        await Expect(hector.Locator("section.step")).ToHaveCountAsync(4);
        var title = hector.Locator("#step-laptop [data-input=title] input");
        await Expect(title).ToHaveValueAsync("Laptop for {{ first_name }} {{ last_name }} ({{ department }})");

        // A typo in a field name: the error is shown at the step and the input it names, not elsewhere.
        await title.FillAsync("Laptop for {{ frist_name }} {{ last_name }} ({{ department }})");
        await hector.ClickAsync("#validate");
        await Expect(hector.Locator("#errors-summary")).ToBeVisibleAsync();
        await Expect(hector.Locator("#step-laptop [data-input=title] .error")).ToContainTextAsync("frist_name");
        await Expect(hector.Locator("#step-account .error")).ToHaveCountAsync(0);
        await Expect(hector.Locator("#step-work-email .error")).ToHaveCountAsync(0);
        await hector.Locator("#step-laptop").ScrollIntoViewIfNeededAsync();
        await hector.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("workflow-editor") });

        // Fixed: valid. A step added from the catalogue appears as a card with its inputs.
        await hector.Locator("#step-laptop [data-input=title] input").FillAsync("Laptop for {{ first_name }} {{ last_name }} ({{ department }})");
        await hector.SelectOptionAsync("#NewStepType", "ticketing.create_ticket");
        await hector.ClickAsync("#add-step-button");
        var ticket = hector.Locator("#step-create-ticket");
        await Expect(ticket).ToBeVisibleAsync();
        await ticket.Locator("[data-input=title] input").FillAsync("Desk for {{ first_name }} {{ last_name }}");
        await hector.ClickAsync("#validate");
        await Expect(hector.Locator("#valid")).ToContainTextAsync("5 steps");

        // The YAML view shows the same workflow; an edit there comes back to the form.
        await hector.ClickAsync("#yaml-view");
        var yaml = await hector.InputValueAsync("#Yaml");
        Assert.Contains("id: create-ticket", yaml);
        Assert.Contains("Desk for {{ first_name }} {{ last_name }}", yaml);
        Assert.Contains("servicedesk: [ticket.create]", yaml);
        await hector.FillAsync("#Yaml", yaml.Replace("name: 'Pre-hire — account and laptop'", "name: 'Pre-hire — account, laptop and desk'", StringComparison.Ordinal));
        await hector.ClickAsync("#form-view");
        await Expect(hector.Locator("#Form_Name")).ToHaveValueAsync("Pre-hire — account, laptop and desk");
        await Expect(hector.Locator("section.step")).ToHaveCountAsync(5);

        // Simulate on generated people: the planned writes per person, nothing written.
        await hector.SelectOptionAsync("#SimulateMode", "generated");
        await hector.FillAsync("#SimulateCount", "12");
        await hector.ClickAsync("#simulate");
        await Expect(hector.Locator("#simulation tr[data-person]")).ToHaveCountAsync(12);
        await Expect(hector.Locator("#simulation .badge.ok").First).ToHaveTextAsync("write");
        await Expect(hector.Locator("#simulation")).ToContainTextAsync("create-ticket");
        await Expect(hector.Locator("h2", new() { HasTextString = "Simulation" })).ToContainTextAsync("planned writes");
        await using (var db = browser.Host.Runtime.Database.CreateContext())
            Assert.Equal(0, await db.SandboxObjects.CountAsync(o => o.ObjectClass == "ticket" || o.ObjectClass == "account"));
        await hector.Locator("#simulation").ScrollIntoViewIfNeededAsync();
        await hector.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("workflow-simulation") });

        await hector.ClickAsync("#propose");
        await Expect(hector.Locator("#version-status")).ToHaveTextAsync("proposed");
        await Expect(hector.Locator(".flash.ok")).ToContainTextAsync("needs an HR and an IT approver");
        await Expect(hector.Locator("#widens")).ToContainTextAsync("write servicedesk: ticket.create");
        var versionUrl = hector.Url;
        Assert.EndsWith("/Workflows/Version/pre-hire@v1", Uri.UnescapeDataString(versionUrl));

        // The author's own approval does not count; alice signs for HR.
        await hector.ClickAsync("#approve");
        await Expect(hector.Locator(".flash.bad")).ToContainTextAsync("authored");
        var alice = await browser.SignInAsync("alice");
        await alice.GotoAsync(versionUrl);
        await alice.ClickAsync("#approve");
        await Expect(alice.Locator(".flash.ok")).ToContainTextAsync("still needs an IT approver");

        // ivan signs for IT and activates it (it widens permissions: an it_admin's job).
        var ivan = await browser.SignInAsync("ivan");
        await ivan.GotoAsync(versionUrl);
        await ivan.ClickAsync("#approve");
        await Expect(ivan.Locator("#version-status")).ToHaveTextAsync("approved");
        await ivan.ClickAsync("#activate");
        await Expect(ivan.Locator("#version-status")).ToHaveTextAsync("active");
        await ivan.GotoAsync("/Workflows");
        await Expect(ivan.Locator("#workflows tr[data-workflow=pre-hire]")).ToContainTextAsync("v1 active");

        // Run it now for one person; the engine (its worker is off in tests) runs it; the run shows its steps.
        await ivan.GotoAsync(versionUrl);
        await ivan.FillAsync("#Person", "100131");
        await ivan.ClickAsync("#run-now");
        await Expect(ivan.Locator("#run-status")).ToHaveTextAsync("queued");
        await browser.Host.Runtime.Engine.RunDueAsync(10, default);
        await ivan.ReloadAsync();
        await Expect(ivan.Locator("#run-status")).Not.ToHaveTextAsync("queued");
        var runId = Guid.Parse(ivan.Url.Split('/')[^1]);
        var detail = await browser.Host.Runtime.Engine.GetRunAsync(runId.ToString(), default);
        Assert.NotEmpty(detail.Steps);
        await Expect(ivan.Locator("#run-status")).ToHaveTextAsync(detail.Run.Status);
        foreach (var step in detail.Steps.GroupBy(s => s.StepId).Select(g => g.Last()))
        {
            var row = ivan.Locator($"#steps tr[data-step={step.StepId}]").Last;
            await Expect(row).ToContainTextAsync(step.Status);
            await Expect(row).ToContainTextAsync(step.Uses);
        }
        // Every step of the definition is listed, run or not.
        await Expect(ivan.Locator("#steps tr[data-step]")).ToHaveCountAsync(5);
        await ivan.GotoAsync("/Runs?workflow=pre-hire");
        await Expect(ivan.Locator($"#runs tr[data-run='{runId}']")).ToContainTextAsync(detail.Run.Status);
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task An_approval_in_the_inbox_is_decided_by_the_role_it_names_and_refused_for_another()
    {
        await using var browser = await Browser.StartAsync();
        var runtime = browser.Host.Runtime;
        // post-offboarding waits for an it_operator's approval before it deletes accounts.
        var yaml = WorkflowActions.Template("post-offboarding")!.Yaml;
        var proposal = await runtime.Workflows.ProposeAsync(yaml, "post-offboarding.yaml", "alice", default);
        var reference = $"{proposal.WorkflowId}@v{proposal.Version}";
        await runtime.Workflows.ApproveAsync(reference, "hector", default);
        await runtime.Workflows.ApproveAsync(reference, "ivan", default);
        await runtime.Workflows.ActivateAsync(reference, "tara", default);
        Guid personId;
        await using (var db = runtime.Database.CreateContext())
            personId = (await db.People.OrderBy(p => p.DisplayName).FirstAsync()).Id;
        var runId = (await runtime.Engine.StartManualAsync("post-offboarding", personId, null, 1, "tara", default)).Single();
        await runtime.Engine.RunDueAsync(10, default);
        Assert.Equal(RunStatus.Waiting, (await runtime.Engine.GetRunAsync(runId.ToString(), default)).Run.Status);

        // The dashboard counts it under "needs action".
        var hector = await browser.SignInAsync("hector");
        await Expect(hector.Locator("#open-approvals .stat")).ToHaveTextAsync("1");

        // hector (hr_operator) may reach the decision, but the task needs an it_operator: refused.
        await hector.GotoAsync("/Runs/Approvals");
        var task = hector.Locator("#inbox tr[data-task]");
        await Expect(task).ToHaveCountAsync(1);
        await Expect(task).ToContainTextAsync("it_operator");
        await task.Locator("button.approve").ClickAsync();
        await Expect(hector.Locator(".flash.bad")).ToContainTextAsync("needs the role it_operator");
        await Expect(hector.Locator("#inbox tr[data-task]")).ToHaveCountAsync(1);

        // A viewer sees the inbox but no decision, and a forged POST is refused.
        var victor = await browser.SignInAsync("victor");
        await victor.GotoAsync("/Runs/Approvals");
        await Expect(victor.Locator("#inbox tr[data-task]")).ToHaveCountAsync(1);
        await Expect(victor.Locator("#inbox button")).ToHaveCountAsync(0);
        var forged = await victor.APIRequest.PostAsync("/Runs/Decide", new() { Form = victor.APIRequest.CreateFormData().Set("Task", "1").Set("Approve", "true"), MaxRedirects = 0 });
        Assert.True(forged.Status is 302 or 400 or 403, $"viewer POST answered {forged.Status}");
        if (forged.Status == 302)
            Assert.Contains("/Account/AccessDenied", forged.Headers["location"]);

        // olga is the charter's it_operator: her approval counts and the run resumes.
        var olga = await browser.SignInAsync("olga");
        await olga.GotoAsync("/Runs/Approvals");
        await olga.Locator("#inbox tr[data-task] input[name=Comment]").FillAsync("accounts checked");
        await olga.Locator("#inbox tr[data-task] button.approve").ClickAsync();
        await Expect(olga.Locator(".flash.ok")).ToContainTextAsync("approved by olga");
        await Expect(olga.Locator("#inbox tr[data-task]")).ToHaveCountAsync(0);
        await Expect(olga.Locator("#decided")).ToContainTextAsync("accounts checked");
        await runtime.Engine.RunDueAsync(10, default);

        await olga.GotoAsync($"/Runs/Run/{runId}");
        await Expect(olga.Locator("#tasks")).ToContainTextAsync("olga");
        // The approval step waited, then completed; the deletes found no linked account and were skipped.
        await Expect(olga.Locator("#steps tr[data-step=it-approval]")).ToHaveCountAsync(2);
        await Expect(olga.Locator("#steps tr[data-step=it-approval]").First).ToContainTextAsync("waiting");
        await Expect(olga.Locator("#steps tr[data-step=it-approval]").Last).ToContainTextAsync("completed");
        await Expect(olga.Locator("#steps tr[data-step=delete]")).ToContainTextAsync("skipped");
        await Expect(olga.Locator("#run-status")).ToHaveTextAsync("completed");
        await olga.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("run"), FullPage = true });
        Assert.Empty(browser.Errors);
    }
}
