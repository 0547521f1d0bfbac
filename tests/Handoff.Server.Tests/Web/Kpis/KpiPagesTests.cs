using System.Net;
using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Web.Kpis;

/// <summary>The KPI page and the dashboard tiles against the real server.</summary>
public sealed class KpiPagesTests
{
    private static string Sample => File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "processes", "onboarding.yaml"));

    [Fact]
    public async Task The_kpi_page_shows_the_process_audit_baseline_targets_and_trend_charts_and_the_dashboard_its_tiles()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        using var alice = host.Client();
        await WebTestHost.SignInAsync(alice, "alice");
        var before = await alice.GetStringAsync("/Kpis");
        Assert.Contains("id=\"kpi-hr_hours_per_week\"", before, StringComparison.Ordinal);
        Assert.Contains("<span class=\"muted\">none</span>", before, StringComparison.Ordinal);

        var form = new Dictionary<string, string> { ["Yaml"] = Sample, ["__RequestVerificationToken"] = await WebTestHost.AntiforgeryTokenAsync(alice, "/Processes/Upload") };
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostAsync("/Processes/Upload", new FormUrlEncodedContent(form))).StatusCode);

        // A viewer reads the page: the onboarding map's 920 manual hours a year ÷ 52 = 17.69 hours a week.
        using var victor = host.Client();
        await WebTestHost.SignInAsync(victor, "victor");
        var page = await victor.GetStringAsync("/Kpis");
        Assert.Contains("17.69 hours/week <span class=\"muted\">process audit</span>", page, StringComparison.Ordinal);
        Assert.Contains("-50 % vs baseline", page, StringComparison.Ordinal);
        Assert.Contains("&lt; 0.01", page, StringComparison.Ordinal);
        Assert.Contains("id=\"trend-automation_failure_rate\" data-chart=\"line\"", page, StringComparison.Ordinal);
        Assert.Equal(6, page.Split("data-chart=\"line\"").Length - 1);
        Assert.Contains("href=\"/Kpis\"", page, StringComparison.Ordinal);

        var dashboard = await victor.GetStringAsync("/");
        Assert.Contains("id=\"kpi-tiles\"", dashboard, StringComparison.Ordinal);
        foreach (var id in new[] { "hr_hours_per_week", "data_error_rate", "day_one_tickets", "automation_failure_rate", "security_incidents", "audit_completeness" })
            Assert.Contains($"id=\"tile-{id}\"", dashboard, StringComparison.Ordinal);
    }
}
