using Handoff.Data.Tests;
using Handoff.Server.Tests.Web;
using Microsoft.Playwright;

namespace Handoff.BrowserTests;

/// <summary>Debian's Chromium (apt-get install chromium) driven by Playwright against the real web app
/// on Kestrel; no browser download. One server and one browser per test.</summary>
public sealed class Browser : IAsyncDisposable
{
    private Browser(IPlaywright playwright, IBrowser browser, WebTestHost host)
    {
        Playwright = playwright;
        Chromium = browser;
        Host = host;
    }

    public IPlaywright Playwright { get; }
    public IBrowser Chromium { get; }
    public WebTestHost Host { get; }

    /// <param name="workspaceDir">a copy of the Acme workspace (tests that drop files into its folders)</param>
    /// <param name="workers">run the server's background workers (engine, drop folders) as <c>handoff serve</c> does</param>
    public static async Task<Browser> StartAsync(string provider = TestDatabases.Sqlite, int signInsPerMinute = 1000, string? workspaceDir = null, bool workers = false, bool ingest = true)
    {
        var host = await WebTestHost.StartAsync(provider, ingest, signInsPerMinute, workspaceDir, workers);
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("HANDOFF_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        return new Browser(playwright, browser, host);
    }

    /// <summary>A fresh browser context (its own cookies: one person at one desk).</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Chromium.NewContextAsync(new() { BaseURL = Host.BaseAddress.ToString().TrimEnd('/'), ViewportSize = new() { Width = 1280, Height = 900 }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        // Any script error or blocked resource (CSP) fails the test that meets it.
        page.PageError += (_, e) => Errors.Add(e);
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
                Errors.Add(m.Text);
        };
        return page;
    }

    public List<string> Errors { get; } = [];

    public async Task<IPage> SignInAsync(string user, string password = WebTestHost.Password)
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", password);
        await page.ClickAsync("main button[type=submit]");
        return page;
    }

    /// <summary>Where screenshots go: <c>.handoff-test/screenshots</c> (ignored by git) on every run, so a
    /// test run leaves the working tree clean; <c>HANDOFF_SCREENSHOTS=docs/screenshots ./scripts/test</c>
    /// refreshes the ones the README shows.</summary>
    public static string ScreenshotPath(string name)
    {
        var dir = Environment.GetEnvironmentVariable("HANDOFF_SCREENSHOTS") is { Length: > 0 } chosen
            ? Path.GetFullPath(chosen, Repository.Root)
            : Path.Combine(Repository.Root, ".handoff-test", "screenshots");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name + ".png");
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        Playwright.Dispose();
        await Host.DisposeAsync();
    }
}
