using System.Text.Json;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Handoff.BrowserTests;

public sealed class ScenarioTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_HR_operator_finds_a_person_and_sees_where_each_value_came_from(string provider)
    {
        await using var browser = await Browser.StartAsync(provider);
        var page = await browser.SignInAsync("hector");
        await page.ClickAsync("header nav >> text=People");
        await page.FillAsync("#q", "100131");
        await page.ClickAsync("main button[type=submit]");
        await Expect(page.Locator("#people tr")).ToHaveCountAsync(2); // header + Zoë
        await page.ClickAsync("#people a");
        await Expect(page.Locator("h1")).ToContainTextAsync("Zoë");

        // The start date the ATS and the HRIS disagree on: the HRIS (system of record) wins, and the page says so.
        var start = page.Locator("#provenance tr[data-field=start_date]");
        await Expect(start).ToContainTextAsync("2027-01-11");
        await Expect(start).ToContainTextAsync("hris");
        await Expect(start).ToContainTextAsync("100131");
        await Expect(page.Locator("#findings")).ToContainTextAsync("start_date");
        await Expect(page.Locator("#provenance tr[data-field=national_id]")).ToContainTextAsync("sensitive");
        await Expect(page.Locator("#timeline")).ToContainTextAsync("person.created");

        // Report a problem on the department: it becomes a review item.
        var department = page.Locator("#provenance tr[data-field=department]");
        await department.Locator("summary").ClickAsync();
        await department.Locator("input[name=Note]").FillAsync("she moved to Design last week");
        await department.Locator("button").ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToContainTextAsync("filed as review item");
        await Expect(page.Locator("#open-reviews")).ToContainTextAsync("reported");
        if (provider == TestDatabases.Sqlite)
            await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("person"), FullPage = false });
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_dictionary_change_takes_effect_only_after_an_HR_and_an_IT_approval_by_two_people()
    {
        await using var browser = await Browser.StartAsync();
        var hector = await browser.SignInAsync("hector");
        await hector.GotoAsync("/Dictionary/Propose");
        var yaml = await hector.InputValueAsync("#Yaml");
        Assert.Contains("label: Department", yaml);
        await hector.FillAsync("#Yaml", yaml.Replace("label: Department", "label: Department (org unit)"));
        await hector.FillAsync("#Comment", "clearer label");
        await hector.ClickAsync("#propose");
        await Expect(hector.Locator("#version-status")).ToHaveTextAsync("proposed");
        await Expect(hector.Locator("#diff")).ToContainTextAsync("+ ");
        await Expect(hector.Locator("#diff")).ToContainTextAsync("Department (org unit)");
        var versionUrl = hector.Url;

        // The author cannot sign his own side.
        await hector.ClickAsync("#approve");
        await Expect(hector.Locator(".flash.bad")).ToContainTextAsync("authored");

        // alice (HR) in her own browser context: signed, still waiting for IT.
        var alice = await browser.SignInAsync("alice");
        await alice.GotoAsync(versionUrl);
        await alice.ClickAsync("#approve");
        await Expect(alice.Locator(".flash.ok")).ToContainTextAsync("still needs an IT approver");
        await Expect(alice.Locator("#version-status")).ToHaveTextAsync("proposed");
        await Expect(alice.Locator("#signatures")).ToContainTextAsync("alice signed for HR");

        // ivan (IT) in a third: now it takes effect.
        var ivan = await browser.SignInAsync("ivan");
        await ivan.GotoAsync(versionUrl);
        await ivan.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("dictionary-version"), FullPage = true });
        await ivan.ClickAsync("#approve");
        await Expect(ivan.Locator(".flash.ok")).ToContainTextAsync("now in effect");
        await Expect(ivan.Locator("#version-status")).ToHaveTextAsync("active");
        await ivan.GotoAsync("/Dictionary");
        await Expect(ivan.Locator("#fields")).ToContainTextAsync("Department (org unit)");
        await ivan.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("dictionary"), FullPage = false });

        var active = await browser.Host.Runtime.Workspace.LoadActiveAsync(default);
        Assert.Equal("Department (org unit)", active.Definition.Dictionary.FindField("department")!.Label);
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task An_auditor_verifies_and_exports_the_audit_log()
    {
        await using var browser = await Browser.StartAsync();
        var page = await browser.SignInAsync("audrey");
        await page.ClickAsync("header nav >> text=Audit");
        await page.ClickAsync("#verify");
        await Expect(page.Locator("#verify-result")).ToContainTextAsync("Chain intact");
        await page.FillAsync("#action", "user.signed_in");
        await page.ClickAsync("form.row:has(#action) button[type=submit]");
        await Expect(page.Locator("#entries")).ToContainTextAsync("user:audrey");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("audit"), FullPage = false });

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-jsonl"));
        var file = Path.Combine(Path.GetTempPath(), "handoff-tests", $"{Guid.NewGuid():N}.jsonl");
        await download.SaveAsAsync(file);
        var lines = (await File.ReadAllLinesAsync(file)).Where(l => l.Length > 0).ToList();
        await using (var db = browser.Host.Spine.Db())
            Assert.Equal(await db.AuditEntries.CountAsync(), lines.Count);
        Assert.Contains(lines, l => JsonDocument.Parse(l).RootElement.GetProperty("action").GetString() == "user.signed_in");
        // The export is the chain itself: it verifies against the database's signed checkpoints.
        await using (var stream = File.OpenRead(file))
        {
            var audit = browser.Host.Runtime.Audit;
            var result = await Data.Audit.AuditLog.VerifyExportAsync(stream, await audit.CheckpointsAsync(), audit.KeyFor);
            Assert.True(result.Intact, result.Problem?.Message);
        }
        var csv = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-csv"));
        Assert.EndsWith(".csv", csv.SuggestedFilename);
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_viewer_cannot_reach_an_edit_action_neither_the_page_nor_the_POST()
    {
        await using var browser = await Browser.StartAsync();
        var page = await browser.SignInAsync("victor");
        await Expect(page.Locator("header nav")).Not.ToContainTextAsync("Review");
        await page.GotoAsync("/Dictionary");
        await Expect(page.Locator("#propose-link")).ToHaveCountAsync(0);

        var answer = await page.GotoAsync("/Dictionary/Propose");
        Assert.Equal(403, answer!.Status);
        await Expect(page.Locator("#access-denied")).ToBeVisibleAsync();

        // A hand-made POST with a valid antiforgery token (from a form the viewer may see) is refused too.
        await page.GotoAsync("/Account/ChangePassword");
        var token = await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        foreach (var (path, form) in new[]
        {
            ("/Dictionary/Propose", new Dictionary<string, object> { ["Yaml"] = "fields: []", ["__RequestVerificationToken"] = token! }),
            ("/Review/Resolve", new Dictionary<string, object> { ["Id"] = "1", ["Decision"] = "dismiss", ["__RequestVerificationToken"] = token! }),
            ("/Systems/Sync", new Dictionary<string, object> { ["System"] = "hris", ["__RequestVerificationToken"] = token! }),
        })
        {
            var response = await page.APIRequest.PostAsync(path, new() { Form = FormOf(page, form), MaxRedirects = 0 });
            Assert.Equal(302, response.Status);
            Assert.Contains("/Account/AccessDenied", response.Headers["location"]);
        }
        var api = await page.APIRequest.PostAsync("/api/review/1/resolution", new() { DataObject = new { decision = "dismiss" } });
        Assert.Equal(403, api.Status);

        await using var db = browser.Host.Spine.Db();
        Assert.Equal(1, await db.DictionaryVersions.CountAsync());
        Assert.Equal(0, await db.ReviewItems.CountAsync(r => r.Status == "resolved"));
    }

    private static IFormData FormOf(IPage page, Dictionary<string, object> values)
    {
        var form = page.APIRequest.CreateFormData();
        foreach (var (k, v) in values)
            form.Set(k, v.ToString()!);
        return form;
    }
}
