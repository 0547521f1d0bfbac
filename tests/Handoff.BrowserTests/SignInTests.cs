using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace Handoff.BrowserTests;

public sealed class SignInTests
{
    [Fact]
    public async Task Signing_in_and_out_works_and_repeated_failures_lock_the_account()
    {
        await using var browser = await Browser.StartAsync();
        var page = await browser.SignInAsync("hector");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Dashboard");
        await Expect(page.Locator("header nav")).ToContainTextAsync("People");
        await Expect(page.Locator("header nav")).Not.ToContainTextAsync("Audit"); // hr_operator has no audit.read
        await page.ClickAsync("text=Sign out");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Sign in to Handoff");
        await page.GotoAsync("/People");
        Assert.Contains("/Account/Login", page.Url);

        // Five wrong passwords lock olga out; then even her right password is refused.
        var olga = await browser.NewPageAsync();
        await olga.GotoAsync("/Account/Login");
        for (var i = 0; i < 5; i++)
        {
            await olga.FillAsync("#UserName", "olga");
            await olga.FillAsync("#Password", "wrong-password-" + i);
            await olga.ClickAsync("main button[type=submit]");
        }
        await Expect(olga.Locator("#login-error")).ToContainTextAsync("locked");
        await olga.FillAsync("#UserName", "olga");
        await olga.FillAsync("#Password", Server.Tests.Web.WebTestHost.Password);
        await olga.ClickAsync("main button[type=submit]");
        await Expect(olga.Locator("#login-error")).ToContainTextAsync("locked");
        Assert.Contains("/Account/Login", olga.Url);

        await using var db = browser.Host.Spine.Db();
        var actions = await db.AuditEntries.Where(a => a.ObjectType == "user").Select(a => a.Action + " " + a.ObjectId).ToListAsync();
        Assert.Contains("user.signed_in hector", actions);
        Assert.Contains("user.signed_out hector", actions);
        Assert.Contains("user.sign_in_failed olga", actions);
        Assert.Contains("user.locked_out olga", actions);
        Assert.DoesNotContain("user.signed_in olga", actions);
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Sign_in_attempts_past_the_rate_limit_are_refused()
    {
        await using var browser = await Browser.StartAsync(signInsPerMinute: 3);
        var client = browser.Host.Client();
        var answers = new List<int>();
        for (var i = 0; i < 5; i++)
            answers.Add((int)(await Server.Tests.Web.WebTestHost.SignInAsync(client, "victor", "not-it")).StatusCode);
        Assert.Equal([200, 200, 200, 429, 429], answers);
    }

    [Fact]
    public async Task A_one_time_password_must_be_changed_at_the_first_sign_in()
    {
        await using var browser = await Browser.StartAsync();
        string password;
        await using (var scope = browser.Host.App.Services.CreateAsyncScope())
            password = await scope.ServiceProvider.GetRequiredService<Server.Web.Account.UserAccounts>().ResetPasswordAsync("alice", "test", default);
        var page = await browser.SignInAsync("alice", password);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Choose your password");
        await page.GotoAsync("/People");
        Assert.Contains("/Account/ChangePassword", page.Url);
        await page.FillAsync("#Current", password);
        await page.FillAsync("#Next", "Alice-Chose-This-1");
        await page.FillAsync("#Repeat", "Alice-Chose-This-1");
        await page.ClickAsync("main button[type=submit]");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Dashboard");
        await page.GotoAsync("/People");
        await Expect(page.Locator("h1")).ToHaveTextAsync("People");
    }
}
