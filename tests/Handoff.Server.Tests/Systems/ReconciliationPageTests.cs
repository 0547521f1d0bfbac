using System.Net;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Data.Tests;
using Handoff.Data.Workflows;
using Handoff.Server.Tests.Web;
using Microsoft.EntityFrameworkCore;
using static Handoff.Server.Tests.Jobs.BackgroundJobTests;

namespace Handoff.Server.Tests.Systems;

/// <summary>The reconciliation page of a target against the real server: reports, a report's items by
/// class with filters, and "Run dry-run now" / "Run now" (POST, IT only, audited as the user).</summary>
public sealed class ReconciliationPageTests
{
    private static async Task<string> CreateAsync(SandboxConnector directory, string anchor, string first, string last, string title)
    {
        var result = await directory.ApplyAsync(new TargetOperation(TargetOperationKind.Create, ObjectClasses.Account, null, anchor, new Dictionary<string, object?>
        {
            [AccountAttributes.Username] = $"{first}.{last}".ToLowerInvariant(),
            [AccountAttributes.DisplayName] = $"{first} {last}",
            [AccountAttributes.GivenName] = first,
            [AccountAttributes.Surname] = last,
            ["title"] = title,
            ["department"] = "Engineering",
        }, Guid.NewGuid().ToString("N")), default);
        return result.NativeId!;
    }

    private static async Task<string?> TitleAsync(SandboxConnector directory, string dn)
    {
        await foreach (var o in directory.ReadAsync(ObjectClasses.Account, default))
        {
            if (o.NativeId == dn)
                return o.Attributes["title"] as string;
        }
        return null;
    }

    /// <summary>Follows "Run now" to its background job, waits for it, checks the job page's summary and
    /// returns the link it gives to the report.</summary>
    private static async Task<string> ReportOfJobAsync(HttpClient client, HttpResponseMessage posted, string summary)
    {
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var id = JobIdFrom(posted);
        var (final, _) = await WaitAsync(client, id);
        Assert.Equal("completed", final.GetProperty("status").GetString());
        var job = WebUtility.HtmlDecode(await client.GetStringAsync($"/Jobs/{id}"));
        Assert.Contains(summary, job, StringComparison.Ordinal);
        var link = System.Text.RegularExpressions.Regex.Match(job, "id=\"job-report\" class=\"button\" href=\"([^\"]+)\"");
        Assert.True(link.Success, job);
        return link.Groups[1].Value;
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_page_lists_reports_and_items_by_class_and_runs_a_dry_run_and_a_repair_for_IT(string provider)
    {
        await using var host = await WebTestHost.StartAsync(provider);
        var directory = (SandboxConnector)new SandboxConnectors(host.Spine.Definition, host.Spine.Database, host.Spine.Clock).Find("directory")!;
        // David Okafor (100102, VP Engineering) has an account whose title someone changed; one account nobody knows.
        var david = (await host.Spine.PersonByKeyAsync("employee_id", "100102")).Row.Id;
        var dn = await CreateAsync(directory, "100102", "David", "Okafor", "Intern");
        var stranger = await CreateAsync(directory, "999999", "Stray", "Admin", "Admin");
        await using (var db = host.Spine.Db())
        {
            db.AccountLinks.Add(new AccountLinkRow { System = "directory", PersonId = david, NativeId = dn, CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch });
            await db.SaveChangesAsync();
        }
        using var ivan = host.Client();
        await WebTestHost.SignInAsync(ivan, "ivan");

        var empty = await ivan.GetStringAsync("/Systems/directory/Reconciliation");
        Assert.Contains("id=\"no-reports\"", empty, StringComparison.Ordinal);
        Assert.Contains("id=\"run-now\"", empty, StringComparison.Ordinal);
        Assert.Contains("data-reconciliation=\"directory\"", await ivan.GetStringAsync("/Systems"), StringComparison.Ordinal);

        // dry run: the report lists the drift as would_repair and nothing changes in the directory
        var dry = await PostFormAsync(ivan, "/Systems/directory/Reconciliation", "/Systems/directory/Reconciliation/Run", new() { ["DryRun"] = "true" });
        var dryReport = await ReportOfJobAsync(ivan, dry, "1 would be repaired");
        var dryPage = WebUtility.HtmlDecode(await ivan.GetStringAsync(dryReport));
        Assert.Contains("(dry run: nothing was written to the target)", dryPage, StringComparison.Ordinal);
        Assert.Matches($"data-class=\"drifted\" data-repair=\"would_repair\"[\\s\\S]*?{System.Text.RegularExpressions.Regex.Escape(dn)}", dryPage.Replace("<td class=\"mono\">", "", StringComparison.Ordinal));
        Assert.Contains("“Intern” → “VP Engineering”", dryPage, StringComparison.Ordinal);
        Assert.Equal("Intern", await TitleAsync(directory, dn));

        // run now: repaired, audited as ivan
        var run = await PostFormAsync(ivan, "/Systems/directory/Reconciliation", "/Systems/directory/Reconciliation/Run", new() { ["DryRun"] = "false" });
        var location = await ReportOfJobAsync(ivan, run, "1 repaired, 0 held, 0 failed");
        var reportId = location[(location.IndexOf("report=", StringComparison.Ordinal) + 7)..];
        var page = WebUtility.HtmlDecode(await ivan.GetStringAsync(location));
        Assert.Contains("data-repair=\"repaired\"", page, StringComparison.Ordinal);
        Assert.Contains("data-repair=\"repaired\"", page, StringComparison.Ordinal);
        Assert.Equal("VP Engineering", await TitleAsync(directory, dn));
        await using (var db = host.Spine.Db())
        {
            var entry = await db.AuditEntries.AsNoTracking().SingleAsync(a => a.CorrelationId == reportId && a.Action == "reconcile.completed");
            Assert.Equal("user:ivan", entry.Actor);
        }
        // two reports listed; the filter by class shows only the unmanaged account
        var listed = await ivan.GetStringAsync("/Systems/directory/Reconciliation");
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(listed, "<tr data-report=").Count);
        var unmanaged = await ivan.GetStringAsync($"/Systems/directory/Reconciliation?report={reportId}&class=unmanaged");
        Assert.Contains(stranger, unmanaged, StringComparison.Ordinal);
        Assert.DoesNotContain("data-class=\"drifted\"", unmanaged, StringComparison.Ordinal);
        Assert.Contains("data-class=\"unmanaged\"", unmanaged, StringComparison.Ordinal);
        var byRepair = await ivan.GetStringAsync($"/Systems/directory/Reconciliation?report={reportId}&repair=repaired");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(byRepair, "<tr data-item="));

        // a viewer reads the reports but has no buttons, and may not run
        using var victor = host.Client();
        await WebTestHost.SignInAsync(victor, "victor");
        var seen = await victor.GetStringAsync("/Systems/directory/Reconciliation");
        Assert.Contains(reportId, seen, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"run-now\"", seen, StringComparison.Ordinal);
        var refused = await PostFormAsync(victor, "/Systems/directory/Reconciliation", "/Systems/directory/Reconciliation/Run", new() { ["DryRun"] = "false" });
        Assert.Contains("/Account/AccessDenied", refused.Headers.Location!.ToString(), StringComparison.Ordinal);

        // a system that is not a target is not found; running it is refused with the list of targets
        Assert.Equal(HttpStatusCode.NotFound, (await ivan.GetAsync("/Systems/hris/Reconciliation")).StatusCode);
        var wrong = await PostFormAsync(ivan, "/Systems/directory/Reconciliation", "/Systems/hris/Reconciliation/Run", new() { ["DryRun"] = "true" });
        Assert.Contains("target systems that can be reconciled: directory, slack", WebUtility.HtmlDecode(await ivan.GetStringAsync(wrong.Headers.Location!.ToString())), StringComparison.Ordinal);
    }
}
