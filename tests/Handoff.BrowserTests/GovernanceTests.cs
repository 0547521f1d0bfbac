using System.Diagnostics;
using Handoff.Data.Tests;
using Handoff.Server.Cli;
using Spectre.Console;
using static Microsoft.Playwright.Assertions;

namespace Handoff.BrowserTests;

/// <summary>Issue #7's "done when", in Chromium on the demo workspace: the dashboard shows every KPI from
/// real runs, a schema change in a demo source raises a drift finding that an owner acknowledges with the
/// button, a feedback report is routed and tracked to closure, and the monthly review renders — as a page
/// (screenshot) and as the PDF downloaded through the page and turned into an image with pdftoppm.</summary>
public sealed class GovernanceTests
{
    private static readonly string[] SixKpis = ["hr_hours_per_week", "data_error_rate", "day_one_tickets", "automation_failure_rate", "security_incidents", "audit_completeness"];

    [Fact]
    public async Task The_demo_shows_every_kpi_a_drift_finding_is_acknowledged_feedback_is_closed_and_the_monthly_review_renders()
    {
        await using var browser = await Browser.StartAsync();
        var runtime = browser.Host.Runtime;
        // What `handoff demo` does after the ingest: the workflows run, the process map, the day-one help
        // requests and today's payroll export with its renamed column.
        var quiet = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        await DemoWorkflows.RunAsync(quiet, runtime, Repository.AcmeWorkspace, default);
        await ProcessImportCommand.ImportWorkspaceProcessesAsync(quiet, runtime, Repository.AcmeWorkspace, default);
        await DemoGovernance.RunAsync(quiet, runtime, Repository.AcmeWorkspace, default);
        // The test clock stands still; the KPI window [now − 30 days, now) excludes "now", so let a minute pass.
        browser.Host.Spine.Clock.Now = browser.Host.Spine.Clock.Now.AddMinutes(1);

        // The dashboard: six tiles, each a number with its unit, none a placeholder.
        var alice = await browser.SignInAsync("alice");
        await alice.GotoAsync("/");
        foreach (var id in SixKpis)
        {
            var value = await alice.Locator($"#tile-{id} .stat").InnerTextAsync();
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(value, @"^\d+(\.\d+)? ?\S"), $"tile {id} shows \"{value}\", not a number");
        }
        await Expect(alice.Locator("#tile-day_one_tickets .stat")).ToHaveTextAsync("1 tickets");

        // The drift finding from the payroll export, acknowledged by an IT admin with the button.
        var ivan = await browser.SignInAsync("ivan");
        await ivan.GotoAsync("/Systems");
        var finding = ivan.Locator("#payroll tr[data-kind=drift]");
        await Expect(finding).ToContainTextAsync("field Name looks renamed to Employee_Name");
        await finding.Locator("button[data-acknowledge]").ClickAsync();
        await Expect(ivan.Locator(".flash.ok")).ToContainTextAsync("(payroll, drift) acknowledged and closed");
        await Expect(ivan.Locator("#payroll tr[data-kind=drift]")).ToHaveCountAsync(0);

        // A feedback report routed to HR operations and closed there.
        var victor = await browser.SignInAsync("victor");
        Guid person;
        await using (var db = browser.Host.Spine.Db())
            person = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(db.People.OrderBy(p => p.DisplayName).Select(p => p.Id));
        await victor.GotoAsync($"/People/Person/{person}");
        await victor.ClickAsync("#report-problem summary");
        await victor.SelectOptionAsync("#report-problem select[name=Category]", "wrong_value");
        await victor.FillAsync("#report-problem input[name=Note]", "Department is out of date");
        await victor.ClickAsync("#report-problem button[type=submit]");
        await Expect(victor.Locator(".flash.ok")).ToContainTextAsync("routed to HR operations");
        var hector = await browser.SignInAsync("hector");
        await hector.GotoAsync("/Feedback");
        await hector.Locator("#feedback tr[data-route=hr_operations] a").First.ClickAsync();
        await hector.ClickAsync("#acknowledge");
        await Expect(hector.Locator("#report-status")).ToHaveTextAsync("acknowledged");
        await hector.ClickAsync("#resolve");
        await Expect(hector.Locator("#report-status")).ToHaveTextAsync("resolved");

        // The monthly review of November, generated on the page.
        await hector.GotoAsync("/Reviews");
        await hector.FillAsync("#generate input[name=Month]", "2026-11");
        await hector.ClickAsync("button[data-generate]");
        var review = hector.Locator("#monthly-review");
        await Expect(review.Locator("h1")).ToHaveTextAsync("Monthly HR–IT review: November 2026");
        await Expect(review.Locator("svg")).ToHaveCountAsync(6);
        await Expect(review.Locator("tr.finding")).ToContainTextAsync(["Employee_Name"]);
        await Expect(review.Locator("tr.finding td").Last).ToHaveTextAsync("resolved");
        await Expect(review.Locator("tr.feedback td").Last).ToHaveTextAsync("resolved within SLA");
        await Expect(review.Locator("#kpi-day_one_tickets")).ToContainTextAsync("1 tickets");
        await hector.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("monthly-review"), FullPage = true });

        // The PDF, downloaded through the page's link, as an image of its first page.
        var download = await hector.RunAndWaitForDownloadAsync(() => hector.ClickAsync("#download-pdf"));
        Assert.Equal("review-2026-11-v1.pdf", download.SuggestedFilename);
        var work = Path.Combine(Path.GetTempPath(), "handoff-tests", "review-pdf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var pdf = Path.Combine(work, "review.pdf");
        await download.SaveAsAsync(pdf);
        Assert.Equal((await runtime.Reviews.GetAsync(new(2026, 11), 1, default))!.Pdf, await File.ReadAllBytesAsync(pdf));
        var png = await PdfToPngAsync(pdf, Path.Combine(work, "page"));
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        // A4 at 60 dpi is 496 × 702 pixels; a blank page compresses to a few hundred bytes, this one holds tables and charts.
        Assert.Equal((496, 702), (BigEndian(bytes, 16), BigEndian(bytes, 20)));
        Assert.True(bytes.Length > 15_000, $"the PDF's first page as PNG is only {bytes.Length} bytes");
        File.Copy(png, Browser.ScreenshotPath("monthly-review-pdf"), overwrite: true);
        Assert.Empty(browser.Errors);
    }

    /// <summary><c>pdftoppm -png -r 60 -f 1 -l 1</c> (poppler-utils), bounded in time.</summary>
    private static async Task<string> PdfToPngAsync(string pdf, string prefix)
    {
        var start = new ProcessStartInfo("pdftoppm", ["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdf, prefix])
        {
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("pdftoppm not found: install poppler-utils (apt-get install poppler-utils; scripts/test lists it)", e);
        }
        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, "pdftoppm failed: " + await process.StandardError.ReadToEndAsync());
        }
        return prefix + ".png";
    }

    private static int BigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}
