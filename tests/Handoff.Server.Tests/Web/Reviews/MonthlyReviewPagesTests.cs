using System.Net;
using Handoff.Data.Systems;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Web.Reviews;

/// <summary>The monthly review pages and the Acknowledge button on a system finding, against the real server
/// (the Acme workspace, clock 2026-11-27).</summary>
public sealed class MonthlyReviewPagesTests
{
    private static async Task<HttpClient> SignedInAsync(WebTestHost host, string user)
    {
        var client = host.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await WebTestHost.SignInAsync(client, user)).StatusCode);
        return client;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string page, string path, Dictionary<string, string> form)
    {
        form["__RequestVerificationToken"] = await WebTestHost.AntiforgeryTokenAsync(client, page);
        return await client.PostAsync(path, new FormUrlEncodedContent(form));
    }

    [Fact]
    public async Task A_review_is_generated_on_the_page_shown_in_the_app_and_downloaded_as_html_and_pdf()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        var hector = await SignedInAsync(host, "hector");
        var list = await hector.GetStringAsync("/Reviews");
        Assert.Contains("id=\"no-reviews\"", list, StringComparison.Ordinal);
        Assert.Contains("value=\"2026-10\"", list, StringComparison.Ordinal);          // last month is suggested

        var generated = await PostAsync(hector, "/Reviews", "/Reviews/Generate", new() { ["Month"] = "2026-10" });
        Assert.Equal("/Reviews/2026-10?version=1", generated.Headers.Location!.OriginalString);
        var again = await PostAsync(hector, "/Reviews", "/Reviews/Generate", new() { ["Month"] = "2026-10" });
        Assert.Equal("/Reviews/2026-10?version=2", again.Headers.Location!.OriginalString);

        var response = await hector.GetAsync("/Reviews/2026-10?version=1");
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("Monthly HR–IT review: October 2026", page, StringComparison.Ordinal);
        Assert.Contains("by user:hector", page, StringComparison.Ordinal);
        Assert.Equal(6, page.Split("<svg ").Length - 1);
        Assert.Contains("href=\"/Reviews/2026-10?version=2\"", page, StringComparison.Ordinal);
        // Shown inside the app under the strict policy: the review's styles come from a stylesheet, not inline.
        var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        var css = await hector.GetAsync("/Reviews?handler=Css");
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);

        var pdf = await hector.GetAsync("/Reviews/2026-10?handler=Pdf&version=2");
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType!.MediaType);
        Assert.Equal("review-2026-10-v2.pdf", pdf.Content.Headers.ContentDisposition!.FileName);
        var bytes = await pdf.Content.ReadAsByteArrayAsync();
        Assert.Equal((await host.Runtime.Reviews.GetAsync(new(2026, 10), 2, default))!.Pdf, bytes);
        var html = await hector.GetAsync("/Reviews/2026-10?handler=Html");
        Assert.StartsWith("<!DOCTYPE html>", await html.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("review-2026-10-v2.html", html.Content.Headers.ContentDisposition!.FileName);

        Assert.Equal(HttpStatusCode.NotFound, (await hector.GetAsync("/Reviews/2026-09")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hector.GetAsync("/Reviews/2026-1x")).StatusCode);
        var bad = await PostAsync(hector, "/Reviews", "/Reviews/Generate", new() { ["Month"] = "2027-01" });
        Assert.Equal("/Reviews", bad.Headers.Location!.OriginalString);
        Assert.Contains("month 2027-01: it has not started yet", await hector.GetStringAsync("/Reviews"), StringComparison.Ordinal);

        // An IT operator reads reviews but does not generate them; a viewer does not read them.
        var olga = await SignedInAsync(host, "olga");
        Assert.Contains("data-month=\"2026-10\"", await olga.GetStringAsync("/Reviews"), StringComparison.Ordinal);
        Assert.DoesNotContain("data-generate", await olga.GetStringAsync("/Reviews"), StringComparison.Ordinal);
        var refused = await PostAsync(olga, "/Reviews", "/Reviews/Generate", new() { ["Month"] = "2026-10" });
        Assert.Contains("/Account/AccessDenied", refused.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var victor = await SignedInAsync(host, "victor");
        Assert.Contains("/Account/AccessDenied", (await victor.GetAsync("/Reviews/2026-10")).Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(2, (await host.Runtime.Reviews.ListAsync(default)).Count);
    }

    [Fact]
    public async Task A_finding_is_acknowledged_with_the_button_as_the_signed_in_owner()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        long id;
        await using (var db = host.Spine.Database.CreateContext())
        {
            var row = new SystemFindingRow
            {
                System = "hris",
                Kind = "drift",
                Key = "drift:removed:Department",
                Severity = "critical",
                Detail = "field Department was removed",
                Owners = "hr:hr-ops, it:it-systems",
                RaisedAt = host.Runtime.Clock.GetUtcNow(),
            };
            db.SystemFindings.Add(row);
            await db.SaveChangesAsync();
            id = row.Id;
        }
        var victor = await SignedInAsync(host, "victor");
        Assert.DoesNotContain($"data-acknowledge=\"{id}\"", await victor.GetStringAsync("/Systems"), StringComparison.Ordinal);
        var ivan = await SignedInAsync(host, "ivan");
        Assert.Contains($"data-acknowledge=\"{id}\"", await ivan.GetStringAsync("/Systems"), StringComparison.Ordinal);

        var refused = await PostAsync(victor, "/Systems", "/Systems/Acknowledge", new() { ["Finding"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Contains("/Account/AccessDenied", refused.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var done = await PostAsync(ivan, "/Systems", "/Systems/Acknowledge", new() { ["Finding"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal("/Systems", done.Headers.Location!.OriginalString);
        var page = await ivan.GetStringAsync("/Systems");
        Assert.Contains($"finding {id} (hris, drift) acknowledged and closed", page, StringComparison.Ordinal);
        Assert.DoesNotContain("field Department was removed", page, StringComparison.Ordinal);   // closed: no longer listed

        await using var check = host.Spine.Database.CreateContext();
        var stored = await check.SystemFindings.AsNoTracking().SingleAsync(f => f.Id == id);
        Assert.Equal("user:ivan", stored.AcknowledgedBy);
        Assert.NotNull(stored.ResolvedAt);
        Assert.Equal("user:ivan", (await check.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "system.finding_acknowledged")).Actor);
        // Twice is refused with the reason.
        await PostAsync(ivan, "/Systems", "/Systems/Acknowledge", new() { ["Finding"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Contains($"system finding {id} is already resolved", await ivan.GetStringAsync("/Systems"), StringComparison.Ordinal);
    }
}
