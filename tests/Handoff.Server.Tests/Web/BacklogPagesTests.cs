using System.Net;
using Handoff.Data.Tests;
using Handoff.Server.Web.Change;

namespace Handoff.Server.Tests.Web;

/// <summary>The charter page, the backlog (each side scores its own), and the change plan with its
/// Markdown training pages rendered without raw HTML.</summary>
public sealed class BacklogPagesTests
{
    private static async Task<HttpClient> SignedInAsync(WebTestHost host, string user)
    {
        var client = host.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await WebTestHost.SignInAsync(client, user)).StatusCode);
        return client;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, Dictionary<string, string> form)
    {
        form["__RequestVerificationToken"] = await WebTestHost.AntiforgeryTokenAsync(client, "/Backlog");
        return await client.PostAsync(path, new FormUrlEncodedContent(form));
    }

    [Fact]
    public async Task The_charter_page_shows_sponsors_rules_metrics_escalation_and_routing()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        var victor = await SignedInAsync(host, "victor");
        var html = await (await victor.GetAsync("/Charter")).Content.ReadAsStringAsync();
        Assert.Contains("Alice Moreau (alice)", html, StringComparison.Ordinal);
        Assert.Contains("Tara Singh (tara)", html, StringComparison.Ordinal);
        Assert.Contains("hr_hours_per_week", html, StringComparison.Ordinal);
        Assert.Contains("1d after the breach", html, StringComparison.Ordinal);
        Assert.Contains("2 business day(s)", html, StringComparison.Ordinal);
        Assert.Contains("it-help@acme.example", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HR_scores_the_HR_side_IT_the_IT_side_and_the_page_shows_the_joint_rank()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        var hector = await SignedInAsync(host, "hector");
        var olga = await SignedInAsync(host, "olga");

        await PostAsync(hector, "/Backlog/Add", new() { ["Id"] = "badge", ["Name"] = "Order a badge", ["Reads"] = "first_name, last_name" });
        await PostAsync(hector, "/Backlog/ScoreHr", new() { ["Id"] = "badge", ["Value"] = "4", ["Volume"] = "3", ["Pain"] = "5" });
        await PostAsync(olga, "/Backlog/ScoreIt", new() { ["Id"] = "badge", ["Effort"] = "2", ["Risk"] = "3", ["Availability"] = "4" });
        // The other side's form is not theirs: refused before the store is reached.
        var wrong = await PostAsync(olga, "/Backlog/ScoreHr", new() { ["Id"] = "badge", ["Value"] = "1", ["Volume"] = "1", ["Pain"] = "1" });
        Assert.Contains("/Account/AccessDenied", wrong.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var entry = (await host.Runtime.Backlog.ListAsync(default)).Single();
        Assert.Equal((1.71m, "hector", "olga"), (entry.Rank, entry.Row.HrScoredBy, entry.Row.ItScoredBy));
        var html = await (await hector.GetAsync("/Backlog")).Content.ReadAsStringAsync();
        Assert.Contains("<td class=\"rank\">1.71</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Training_markdown_is_rendered_without_raw_html_or_script_links()
    {
        var html = ChangePlanMarkdown.ToHtml("# Pre-hire\n\n<script>alert(1)</script>\n\n**Check** the [guide](/Workflows) and [this](javascript:alert(2)) and ![x](data:text/html,hi)\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        Assert.Contains("<h1", html, StringComparison.Ordinal);
        Assert.Contains("<strong>Check</strong>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/Workflows\"", html, StringComparison.Ordinal);
        Assert.Contains("<table>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("data:text", html, StringComparison.OrdinalIgnoreCase);

        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        var proposal = await host.Runtime.Workflows.ProposeAsync(File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "workflows", "pre-hire.yaml")), "pre-hire.yaml", "alice", default);
        var alice = await SignedInAsync(host, "alice");
        await PostAsync(alice, "/Change/TrainingSave", new() { ["WorkflowId"] = proposal.WorkflowId, ["Role"] = "hr_operator", ["Title"] = "Pre-hire for HR", ["Markdown"] = "# Steps\n\n<img src=x onerror=alert(1)>" });
        await PostAsync(alice, "/Change/Communicate", new() { ["WorkflowId"] = proposal.WorkflowId, ["Date"] = "2026-12-01", ["Audience"] = "Hiring managers", ["Message"] = "Accounts 7 days early", ["Channel"] = "email", ["Owner"] = "hector" });

        var victor = await SignedInAsync(host, "victor");
        var plan = await (await victor.GetAsync($"/Workflows/{proposal.WorkflowId}/change")).Content.ReadAsStringAsync();
        Assert.Contains("Hiring managers", plan, StringComparison.Ordinal);
        Assert.Contains("Pre-hire for HR", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"communicate\"", plan, StringComparison.Ordinal); // a viewer reads, does not plan
        var training = await (await victor.GetAsync($"/Workflows/{proposal.WorkflowId}/change/training/hr_operator")).Content.ReadAsStringAsync();
        Assert.Contains("<h1", training, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", training, StringComparison.Ordinal);
        Assert.Contains("&lt;img", training, StringComparison.Ordinal);
    }
}
