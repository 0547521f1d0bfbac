using Handoff.Server.Sources;
using Handoff.Server.Tests.Systems;
using static Microsoft.Playwright.Assertions;

namespace Handoff.BrowserTests;

/// <summary>Review → Deliveries in Chromium: an HRIS export with a renamed column is held; the
/// dashboard points to it, an IT operator sees what it would do and rejects it with a reason.</summary>
public sealed class DeliveryTests
{
    [Fact]
    public async Task A_file_with_a_renamed_column_is_held_shown_and_rejected_with_a_reason()
    {
        var workspace = SystemsPageTests.CopyOfAcme();
        await using var browser = await Browser.StartAsync(workspaceDir: workspace);
        var workers = Path.Combine(workspace, "data", "hris", "workers.csv");
        var text = await File.ReadAllTextAsync(workers);
        var header = text[..text.IndexOf('\n', StringComparison.Ordinal)];
        await File.WriteAllTextAsync(workers, text.Replace(header, header.Replace("Department", "Dept_Name", StringComparison.Ordinal), StringComparison.Ordinal));
        var held = Assert.Single((await SourceRuns.SyncAsync(browser.Host.Runtime, "hris", null, default)).Deliveries);
        Assert.Equal("held", held.Status);

        var olga = await browser.SignInAsync("olga");
        await Expect(olga.Locator("#held-deliveries .stat")).ToHaveTextAsync("1");
        await olga.ClickAsync("#held-deliveries a");
        var row = olga.Locator($"#held-deliveries tr[data-delivery='{held.DeliveryId}']");
        await Expect(row).ToContainTextAsync("'Department' missing");
        await row.Locator("a").ClickAsync();
        await Expect(olga.Locator("#missing-columns")).ToContainTextAsync("Department");
        await Expect(olga.Locator("#new-columns")).ToContainTextAsync("Dept_Name");
        await olga.FillAsync("#reject input[name=Reason]", "Workday export mapping changed by mistake");
        await olga.ClickAsync("#reject button[type=submit]");
        await Expect(olga.Locator(".flash.ok")).ToContainTextAsync("rejected by user:olga");
        await Expect(olga.Locator("#delivery-status")).ToHaveTextAsync("rejected");
        await Expect(olga.Locator("#reason")).ToContainTextAsync("Workday export mapping changed by mistake");
        Assert.Empty(browser.Errors);
    }
}
