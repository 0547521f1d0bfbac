using System.Net;
using Handoff.Data.Governance;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Web;

/// <summary>"Report a problem" in the web app: a viewer reports on a person, HR operations sees it in
/// its inbox (IT does not) and resolves it; the other side cannot.</summary>
public sealed class FeedbackPagesTests
{
    private static async Task<HttpClient> SignedInAsync(WebTestHost host, string user)
    {
        var client = host.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await WebTestHost.SignInAsync(client, user)).StatusCode);
        return client;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string tokenPage, Dictionary<string, string> form) =>
        PostWithTokenAsync(client, path, tokenPage, form);

    private static async Task<HttpResponseMessage> PostWithTokenAsync(HttpClient client, string path, string tokenPage, Dictionary<string, string> form)
    {
        form["__RequestVerificationToken"] = await WebTestHost.AntiforgeryTokenAsync(client, tokenPage);
        return await client.PostAsync(path, new FormUrlEncodedContent(form));
    }

    [Fact]
    public async Task A_viewer_reports_a_problem_on_a_person_and_HR_operations_resolves_it_from_its_inbox()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite);
        Guid person;
        await using (var db = host.Runtime.Database.CreateContext())
            person = await db.People.OrderBy(p => p.DisplayName).Select(p => p.Id).FirstAsync();

        var victor = await SignedInAsync(host, "victor");
        var page = await (await victor.GetAsync($"/People/Person/{person}")).Content.ReadAsStringAsync();
        Assert.Contains("Report a problem", page, StringComparison.Ordinal);
        var filed = await PostAsync(victor, "/Feedback/New", $"/People/Person/{person}", new()
        {
            ["PersonId"] = person.ToString(),
            ["Category"] = "wrong_value",
            ["Note"] = "The job title is out of date",
            ["ReturnTo"] = $"/People/Person/{person}",
        });
        Assert.Equal(HttpStatusCode.Redirect, filed.StatusCode);
        Assert.Equal($"/People/Person/{person}", filed.Headers.Location!.OriginalString);
        // A viewer has no inbox.
        Assert.Contains("/Account/AccessDenied", (await victor.GetAsync("/Feedback")).Headers.Location!.OriginalString, StringComparison.Ordinal);

        var report = (await host.Runtime.Feedback.ListAsync(["hr_operations"], false, default)).Single();
        Assert.Equal(("victor", "hr_operations", person), (report.ReportedBy, report.Route, report.PersonId));

        var hector = await SignedInAsync(host, "hector");
        var inbox = await (await hector.GetAsync("/Feedback")).Content.ReadAsStringAsync();
        Assert.Contains($"id=\"feedback-{report.Id}\"", inbox, StringComparison.Ordinal);
        Assert.Contains("The job title is out of date", inbox, StringComparison.Ordinal);
        var olga = await SignedInAsync(host, "olga");
        Assert.DoesNotContain($"id=\"feedback-{report.Id}\"", await (await olga.GetAsync("/Feedback")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await olga.GetAsync($"/Feedback/Report/{report.Id}")).StatusCode);
        var refused = await PostAsync(olga, "/Feedback/Handle", "/Feedback", new() { ["Id"] = report.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Action"] = "resolve" });
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Equal(FeedbackStatus.Open, (await host.Runtime.Feedback.GetAsync(report.Id, default))!.Status);

        var id = report.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await PostAsync(hector, "/Feedback/Handle", $"/Feedback/Report/{id}", new() { ["Id"] = id, ["Action"] = "acknowledge" });
        await PostAsync(hector, "/Feedback/Handle", $"/Feedback/Report/{id}", new() { ["Id"] = id, ["Action"] = "resolve", ["Note"] = "title corrected in the HRIS" });

        var done = (await host.Runtime.Feedback.GetAsync(report.Id, default))!;
        Assert.Equal((FeedbackStatus.Resolved, "hector", true), (done.Status, done.ResolvedBy, done.WithinSla));
        var detail = await (await hector.GetAsync($"/Feedback/Report/{id}")).Content.ReadAsStringAsync();
        Assert.Contains("id=\"resolved\"", detail, StringComparison.Ordinal);
        Assert.Contains("within the SLA", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reporting_a_value_files_a_review_item_and_a_routed_feedback_report()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite);
        Guid person;
        await using (var db = host.Runtime.Database.CreateContext())
            person = await db.People.OrderBy(p => p.DisplayName).Select(p => p.Id).FirstAsync();
        var olga = await SignedInAsync(host, "olga");

        var answer = await PostAsync(olga, "/People/Report", $"/People/Person/{person}", new() { ["PersonId"] = person.ToString(), ["Field"] = "first_name", ["Note"] = "misspelt" });

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        var report = (await host.Runtime.Feedback.ListAsync(["hr_operations", "it"], false, default)).Single();
        Assert.Equal(("wrong_value", "hr_operations", "first_name"), (report.Category, report.Route, report.Field));
        Assert.NotNull(report.ReviewItemId);
    }

    [Fact]
    public async Task A_run_page_offers_report_a_problem_routed_to_IT_by_default()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite);
        var ivan = await SignedInAsync(host, "ivan");
        // Any run id the engine knows is enough to see the form; a run that does not exist is refused by name.
        var missing = await PostAsync(ivan, "/Feedback/New", "/Backlog", new() { ["RunId"] = Guid.Empty.ToString(), ["Category"] = "automation", ["Note"] = "x", ["ReturnTo"] = "/Runs" });
        Assert.Equal("/Runs", missing.Headers.Location!.OriginalString);
        Assert.Empty(await host.Runtime.Feedback.ListAsync(["hr_operations", "it"], true, default));
    }
}
