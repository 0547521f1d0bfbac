using System.Net;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Web.Processes;

/// <summary>The process audit pages against the real server: import, the process page with its
/// cost figures and diagram, downloads, the rate, and who may change what.</summary>
public sealed class ProcessPagesTests
{
    private static string Sample => File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "processes", "onboarding.yaml"));

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string page, Dictionary<string, string> form)
    {
        form["__RequestVerificationToken"] = await WebTestHost.AntiforgeryTokenAsync(client, page);
        return await client.PostAsync(page, new FormUrlEncodedContent(form));
    }

    [Fact]
    public async Task An_hr_admin_imports_a_map_and_everyone_reads_its_cost_and_diagram()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        using var alice = host.Client();
        await WebTestHost.SignInAsync(alice, "alice");

        var empty = await alice.GetStringAsync("/Processes");
        Assert.Contains("id=\"no-processes\"", empty, StringComparison.Ordinal);
        Assert.Contains("$13.70", empty, StringComparison.Ordinal);

        var imported = await PostAsync(alice, "/Processes/Upload", new() { ["Yaml"] = Sample });
        Assert.Equal(HttpStatusCode.Redirect, imported.StatusCode);
        Assert.Equal("/Processes/Process/onboarding", imported.Headers.Location?.ToString());

        var page = await alice.GetStringAsync("/Processes/Process/onboarding");
        Assert.Contains("<strong id=\"hours-year\">920</strong>", page, StringComparison.Ordinal);
        Assert.Contains("<strong id=\"cost-year\">$36,220</strong>", page, StringComparison.Ordinal); // $12,604 labour + $23,616 errors
        Assert.Contains("<strong id=\"saving-year\">$28,074</strong>", page, StringComparison.Ordinal);
        Assert.Contains("id=\"step-hris_entry\"", page, StringComparison.Ordinal);
        Assert.Contains("<pre class=\"mermaid\" id=\"diagram\">flowchart TB", page, StringComparison.Ordinal);
        Assert.Contains("sys_ats -.-&gt;|&quot;manual re-entry&quot;| sys_hris", page, StringComparison.Ordinal);
        Assert.Contains("<script src=\"/lib/mermaid/mermaid.min.js\"></script>", page, StringComparison.Ordinal);
        Assert.Contains("id=\"replace-link\"", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/lib/mermaid/mermaid.min.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/js/processes.js")).StatusCode);

        var csv = await alice.GetStringAsync("/Processes/Process/onboarding?format=csv");
        Assert.StartsWith("process,step,name,owner_role,system", csv, StringComparison.Ordinal);
        Assert.Contains("onboarding,hris_entry,", csv, StringComparison.Ordinal);
        var yaml = await alice.GetStringAsync("/Processes/Process/onboarding?format=yaml");
        Assert.Contains("method: manual_reentry", yaml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync("/Processes/Process/onboarding?format=pdf")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/Processes/Process/nothing-here")).StatusCode);

        // A viewer reads it all but gets no edit links.
        using var victor = host.Client();
        await WebTestHost.SignInAsync(victor, "victor");
        var viewed = await victor.GetStringAsync("/Processes/Process/onboarding");
        Assert.Contains("<strong id=\"hours-year\">920</strong>", viewed, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"replace-link\"", viewed, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"upload-link\"", await victor.GetStringAsync("/Processes"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_map_is_refused_with_line_and_column_and_nothing_is_stored()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        using var ivan = host.Client();
        await WebTestHost.SignInAsync(ivan, "ivan");
        var bad = Sample.Replace("method: spreadsheet", "method: fax", StringComparison.Ordinal);
        var response = await PostAsync(ivan, "/Processes/Upload", new() { ["Yaml"] = bad });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Matches(@"process\.yaml:\d+:\d+: unknown handoff method &quot;fax&quot;; expected one of email, spreadsheet, manual_reentry, api, file_drop", html);
        Assert.Empty(await host.Runtime.Processes.ListAsync(default));
    }

    [Fact]
    public async Task The_rate_is_changed_by_an_admin_refused_when_not_a_rate_and_used_in_every_figure()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        await host.Runtime.Processes.SaveAsync(Sample, "onboarding.yaml", "test", default);
        using var alice = host.Client();
        await WebTestHost.SignInAsync(alice, "alice");

        var refused = await PostAsync(alice, "/Processes/Rate", new() { ["Rate"] = "28500" });
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("Rate: &quot;28500&quot; is not an hourly rate", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var saved = await PostAsync(alice, "/Processes/Rate", new() { ["Rate"] = "20" });
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Contains("<strong id=\"rate\">$20.00</strong>", await alice.GetStringAsync("/Processes"), StringComparison.Ordinal);
        // 920 h × $20 = $18,400 labour + $23,616 errors.
        Assert.Contains("<strong id=\"cost-year\">$42,016</strong>", await alice.GetStringAsync("/Processes/Process/onboarding"), StringComparison.Ordinal);

        // An HR operator reads but may not change the rate.
        using var hector = host.Client();
        await WebTestHost.SignInAsync(hector, "hector");
        var denied = await hector.GetAsync("/Processes/Rate");
        Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
        Assert.Contains("/Account/AccessDenied", denied.Headers.Location?.ToString(), StringComparison.Ordinal);
    }
}
