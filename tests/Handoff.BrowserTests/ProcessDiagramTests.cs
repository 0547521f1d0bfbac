using Handoff.Data.Tests;
using static Microsoft.Playwright.Assertions;

namespace Handoff.BrowserTests;

/// <summary>The process page in Chromium: Mermaid (vendored, started from /js/processes.js) draws the
/// diagram under the strict CSP without a script error or a blocked resource.</summary>
public sealed class ProcessDiagramTests
{
    [Fact]
    public async Task The_process_diagram_is_drawn_under_the_CSP()
    {
        await using var browser = await Browser.StartAsync();
        await browser.Host.Runtime.Processes.SaveAsync(
            File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "processes", "onboarding.yaml")), "onboarding.yaml", "test", default);
        var page = await browser.SignInAsync("alice");
        await page.GotoAsync("/Processes/Process/onboarding");
        await Expect(page.Locator("#diagram svg")).ToBeVisibleAsync();
        await Expect(page.Locator("#diagram svg")).ToContainTextAsync("Re-key the new hire into the HRIS");
        await Expect(page.Locator("#diagram svg")).ToContainTextAsync("manual re-entry");
        await Expect(page.Locator("#hours-year")).ToHaveTextAsync("920");
        await page.Locator("#diagram").ScreenshotAsync(new() { Path = Browser.ScreenshotPath("process-diagram") });
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("process"), FullPage = true });
        Assert.Empty(browser.Errors);
    }
}
