using Microsoft.EntityFrameworkCore;
using static Microsoft.Playwright.Assertions;

namespace Handoff.BrowserTests;

/// <summary>Feedback in Chromium: a viewer reports a problem on a person, HR operations finds it in
/// its inbox and resolves it; the report closes with the elapsed time.</summary>
public sealed class FeedbackTests
{
    [Fact]
    public async Task A_viewer_reports_a_problem_on_a_person_and_HR_operations_resolves_it_in_its_inbox()
    {
        await using var browser = await Browser.StartAsync();
        Guid person;
        await using (var db = browser.Host.Spine.Db())
            person = await db.People.OrderBy(p => p.DisplayName).Select(p => p.Id).FirstAsync();

        var victor = await browser.SignInAsync("victor");
        await victor.GotoAsync($"/People/Person/{person}");
        await victor.ClickAsync("#report-problem summary");
        await victor.SelectOptionAsync("#report-problem select[name=Category]", "wrong_value");
        await victor.FillAsync("#report-problem input[name=Note]", "The job title is out of date");
        await victor.ClickAsync("#report-problem button[type=submit]");
        await Expect(victor.Locator(".flash.ok")).ToContainTextAsync("routed to HR operations");

        var hector = await browser.SignInAsync("hector");
        await hector.GotoAsync("/Feedback");
        var row = hector.Locator("#feedback tr[data-route=hr_operations]").First;
        await Expect(row).ToContainTextAsync("The job title is out of date");
        await row.Locator("a").First.ClickAsync();
        await hector.ClickAsync("#acknowledge");
        await Expect(hector.Locator("#report-status")).ToHaveTextAsync("acknowledged");
        await hector.FillAsync("#handle input[name=Note]", "Title corrected in the HRIS");
        await hector.ClickAsync("#resolve");
        await Expect(hector.Locator("#report-status")).ToHaveTextAsync("resolved");
        await Expect(hector.Locator("#resolved")).ToContainTextAsync("within the SLA");
        await hector.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("feedback"), FullPage = true });

        await hector.GotoAsync("/Charter");
        await Expect(hector.Locator("#charter-feedback")).ToContainTextAsync("HR operations");
        Assert.Empty(browser.Errors);
    }
}
