using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Handoff.Data.Tests;
using Handoff.Server.Sources;
using Handoff.Server.Tests.Systems;
using Microsoft.EntityFrameworkCore;
using static Handoff.Server.Tests.Jobs.BackgroundJobTests;

namespace Handoff.Server.Tests.Web;

/// <summary>Review → Deliveries (issue #14): a file the delivery guard holds shows with what it would
/// do (columns, counts, examples) and why; everyone signed in sees it, who may run a sync accepts it
/// (it applies) or rejects it with a reason; a viewer cannot decide, on the page or the API.</summary>
public sealed class DeliveryPagesTests
{
    private static string Workers(string dir) => Path.Combine(dir, "data", "hris", "workers.csv");

    private static async Task<HttpClient> SignedInAsync(WebTestHost host, string user)
    {
        var client = host.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await WebTestHost.SignInAsync(client, user)).StatusCode);
        return client;
    }

    /// <summary>Renames a column of the HRIS export (and changes one title) and reads the folder: the file is held.</summary>
    private static async Task<long> HoldRenamedColumnAsync(WebTestHost host, string dir, string from, string to)
    {
        host.Spine.Clock.Now += TimeSpan.FromHours(1);
        var text = File.ReadAllText(Workers(dir));
        var header = text[..text.IndexOf('\n', StringComparison.Ordinal)];
        File.WriteAllText(Workers(dir), text.Replace(header, header.Replace(from, to, StringComparison.Ordinal), StringComparison.Ordinal)
            .Replace("Chief Executive Officer", "CEO", StringComparison.Ordinal));
        var report = await SourceRuns.SyncAsync(host.Runtime, "hris", null, default);
        var outcome = Assert.Single(report.Deliveries);
        Assert.Equal("held", outcome.Status);
        return outcome.DeliveryId;
    }

    [Fact]
    public async Task A_held_delivery_shows_what_it_would_do_and_an_IT_operator_accepts_it_a_viewer_cannot()
    {
        var dir = SystemsPageTests.CopyOfAcme();
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, workspaceDir: dir);
        var id = await HoldRenamedColumnAsync(host, dir, "Department", "Dept_Name");

        // A viewer reads: the dashboard counts it, the list names it with its reason, the detail says what it would do.
        var victor = await SignedInAsync(host, "victor");
        var dashboard = await victor.GetStringAsync("/");
        Assert.Matches("id=\"held-deliveries\"><span class=\"stat\">1</span>[\\s\\S]*?href=\"/Review/Deliveries#held\"", dashboard);
        var list = WebUtility.HtmlDecode(await victor.GetStringAsync("/Review/Deliveries"));
        Assert.Contains($"data-delivery=\"{id}\"", list, StringComparison.Ordinal);
        Assert.Contains("'Department' missing", list, StringComparison.Ordinal);
        Assert.Contains("workers.csv", list, StringComparison.Ordinal);
        var detail = WebUtility.HtmlDecode(await victor.GetStringAsync($"/Review/Delivery/{id}"));
        Assert.Contains("the columns differ from the last accepted delivery", detail, StringComparison.Ordinal);
        Assert.Matches("id=\"missing-columns\">[^<]*<code>Department</code>", detail);
        Assert.Matches("id=\"new-columns\">[^<]*<code>Dept_Name</code>", detail);
        Assert.Matches("id=\"examples\">[\\s\\S]*?\\(100101\\): job_title \"Chief Executive Officer\" → \"CEO\"", detail);
        Assert.Matches("data-field=\"job_title\"><td>job_title</td><td class=\"num\">\\d+ of \\d+ \\(", detail);
        Assert.Matches("data-count=\"changed\"><td>[^<]*</td><td class=\"num\">\\d+ of \\d+ \\(", detail);
        Assert.DoesNotContain("id=\"accept\"", detail, StringComparison.Ordinal);
        Assert.Contains("id=\"who-decides\"", detail, StringComparison.Ordinal);

        // ... and cannot decide: the page sends it to "not allowed", the API answers 403; nothing changed.
        var refused = await PostFormAsync(victor, "/Review/Deliveries", "/Review/DecideDelivery", new() { ["Id"] = $"{id}", ["Decision"] = "accept" });
        Assert.Contains("/Account/AccessDenied", refused.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await victor.PostAsync($"/api/deliveries/{id}/accept", null)).StatusCode);
        Assert.Equal("held", (await host.Runtime.Deliveries.FindAsync(id, default))!.Status);
        var (_, margaret) = await host.Spine.PersonByKeyAsync("employee_id", "100101");
        Assert.Equal("Chief Executive Officer", margaret["job_title"].Value);

        // An IT operator accepts it: it applies as olga, nobody's department is cleared.
        var olga = await SignedInAsync(host, "olga");
        Assert.Contains("id=\"accept\"", await olga.GetStringAsync($"/Review/Delivery/{id}"), StringComparison.Ordinal);
        var accepted = await PostFormAsync(olga, $"/Review/Delivery/{id}", "/Review/DecideDelivery", new() { ["Id"] = $"{id}", ["Decision"] = "accept" });
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.Equal($"/Review/Delivery/{id}", accepted.Headers.Location!.OriginalString);
        var after = WebUtility.HtmlDecode(await olga.GetStringAsync(accepted.Headers.Location!.OriginalString));
        Assert.Contains("workers.csv: accepted by user:olga and applied", after, StringComparison.Ordinal);
        Assert.Contains("accepted by user:olga", after, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"accept\"", after, StringComparison.Ordinal);

        var delivery = (await host.Runtime.Deliveries.FindAsync(id, default))!;
        Assert.Equal(("applied", "user:olga"), (delivery.Status, delivery.DecidedBy));
        (_, margaret) = await host.Spine.PersonByKeyAsync("employee_id", "100101");
        Assert.Equal("CEO", margaret["job_title"].Value);
        Assert.Equal("Operations", margaret["department"].Value);
        await using (var db = host.Spine.Db())
            Assert.Equal("user:olga", await db.AuditEntries.Where(a => a.Action == "delivery.accepted").Select(a => a.Actor).SingleAsync());
        Assert.Matches("id=\"held-deliveries\"><span class=\"stat\">0</span>", await victor.GetStringAsync("/"));
    }

    [Fact]
    public async Task The_API_lists_held_deliveries_with_their_report_and_a_rejection_needs_a_reason()
    {
        var dir = SystemsPageTests.CopyOfAcme();
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, workspaceDir: dir);
        var id = await HoldRenamedColumnAsync(host, dir, "Cost_Center", "Cost_Centre");

        var victor = await SignedInAsync(host, "victor");
        var held = await victor.GetFromJsonAsync<JsonElement>("/api/deliveries?status=held");
        var item = Assert.Single(held.EnumerateArray());
        Assert.Equal(id, item.GetProperty("id").GetInt64());
        Assert.Equal("held", item.GetProperty("status").GetString());
        Assert.Equal(["Cost_Center"], item.GetProperty("report").GetProperty("missing_columns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["Cost_Centre"], item.GetProperty("report").GetProperty("new_columns").EnumerateArray().Select(c => c.GetString()));
        Assert.True(item.GetProperty("report").GetProperty("fields").GetProperty("job_title").GetInt32() >= 1);
        Assert.Contains(item.GetProperty("report").GetProperty("examples").EnumerateArray(), e => e.GetString() == "workers.csv:2 (100101): job_title \"Chief Executive Officer\" → \"CEO\"");
        Assert.Equal(HttpStatusCode.Forbidden, (await victor.PostAsJsonAsync($"/api/deliveries/{id}/reject", new { reason = "no" })).StatusCode);
        Assert.Equal(1, (await victor.GetFromJsonAsync<JsonElement>("/api/dashboard")).GetProperty("attention").GetProperty("heldDeliveries").GetInt32());

        var alice = await SignedInAsync(host, "alice");
        Assert.Equal(HttpStatusCode.Conflict, (await alice.PostAsJsonAsync($"/api/deliveries/{id}/reject", new { reason = " " })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.PostAsJsonAsync("/api/deliveries/999999/reject", new { reason = "x" })).StatusCode);
        var rejected = await alice.PostAsJsonAsync($"/api/deliveries/{id}/reject", new { reason = "the export mapping was changed by mistake" });
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        var decision = await rejected.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rejected", decision.GetProperty("delivery").GetProperty("status").GetString());
        Assert.Equal("user:alice", decision.GetProperty("delivery").GetProperty("decided_by").GetString());
        Assert.Equal("the export mapping was changed by mistake", decision.GetProperty("delivery").GetProperty("reason").GetString());
        var again = await alice.PostAsync($"/api/deliveries/{id}/accept", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("is rejected, not held", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var (_, margaret) = await host.Spine.PersonByKeyAsync("employee_id", "100101");
        Assert.Equal("Chief Executive Officer", margaret["job_title"].Value);
        Assert.Empty((await victor.GetFromJsonAsync<JsonElement>("/api/deliveries?status=held")).EnumerateArray());
    }
}
