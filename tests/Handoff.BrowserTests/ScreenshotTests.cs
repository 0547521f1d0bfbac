using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace Handoff.BrowserTests;

/// <summary>Walks the main pages as an administrator in Chromium — each renders, runs its script
/// under the strict CSP without errors — and saves the screenshots the README shows.</summary>
public sealed class ScreenshotTests
{
    [Fact]
    public async Task The_main_pages_render_without_script_errors_and_are_saved_as_screenshots()
    {
        await using var browser = await Browser.StartAsync();
        await using (var scope = browser.Host.App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<Server.Web.Account.UserAccounts>()
                .CreateAsync("admin", "Administrator", ["hr_admin", "it_admin"], "test", default, Server.Tests.Web.WebTestHost.Password);
        }
        var page = await browser.SignInAsync("admin");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Dashboard");
        // chart.js drew the lifecycle chart (the canvas got a size from the library).
        await Expect(page.Locator("#people-chart")).ToHaveAttributeAsync("style", new System.Text.RegularExpressions.Regex("height"));
        await Expect(page.Locator("#people-by-state")).ToContainTextAsync("active");
        await Expect(page.Locator("#attention")).ToContainTextAsync("review queue");
        // The integration-health stacked bar was drawn too; its table has a line per system.
        await Expect(page.Locator("#health-chart")).ToHaveAttributeAsync("style", new System.Text.RegularExpressions.Regex("height"));
        await Expect(page.Locator("#health tr[data-system=hris]")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("dashboard") });

        foreach (var (path, name, check) in new[]
        {
            ("/People?state=active", "people", "#people"),
            ("/Systems", "systems", "#hris"),
            ("/Systems/Schema/directory", "schema", "#schema [data-object-class=account]"),
            ("/Workflows", "workflows", "#templates"),
            ("/Review", "review", "#quarantine-rows"),
            ("/Admin/Users", "admin-users", "#users"),
        })
        {
            await page.GotoAsync(path);
            await Expect(page.Locator(check)).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath(name) });
        }
        // A sync from the Systems page runs as a background job: its page, then the jobs list.
        await page.GotoAsync("/Systems");
        await page.ClickAsync("[data-sync=ats]");
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });
        // The demo read the ATS folder already: its file is the same delivery and is not read again.
        await Expect(page.Locator("#job-message")).ToContainTextAsync("offers.csv: already applied");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("job") });
        await page.GotoAsync("/Jobs");
        await Expect(page.Locator("#jobs tr[data-job]")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("jobs") });
        Assert.Empty(browser.Errors);

        // The API reference (Scalar, served locally, its one inline module script allowed by a nonce).
        var answer = await page.GotoAsync("/api/reference");
        Assert.Equal(200, answer!.Status);
        Assert.Contains("nonce-", answer.Headers["content-security-policy"]);
        await Expect(page.Locator("body")).ToContainTextAsync("People", new() { Timeout = 15000 });
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("api-reference") });
    }
}
