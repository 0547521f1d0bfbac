using System.Net;
using System.Net.Http.Headers;
using Handoff.Data.Tests;
using Handoff.Server.Web.Security;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Web.Security;

/// <summary>A refused permission is an audit entry (who, which route, what it needs, what they hold),
/// and the security-incident KPI counts it; a caller who is simply not signed in is not recorded.</summary>
public sealed class AccessDenialTests
{
    [Fact]
    public async Task A_page_or_api_route_refused_to_a_user_or_token_is_audited_and_counted_as_a_security_incident()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite);
        var from = host.Runtime.Clock.GetUtcNow().AddMinutes(-1);
        using var anonymous = host.Client();
        Assert.Contains("/Account/Login", (await anonymous.GetAsync("/Audit")).Headers.Location!.OriginalString, StringComparison.Ordinal);

        using var victor = host.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await WebTestHost.SignInAsync(victor, "victor")).StatusCode);
        Assert.Contains("/Account/AccessDenied", (await victor.GetAsync("/Feedback?page=2")).Headers.Location!.OriginalString, StringComparison.Ordinal);

        var token = await host.Runtime.Tokens.CreateAsync("hris", ["api:viewer"], TimeSpan.FromDays(1), "test");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/audit/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.SendAsync(request)).StatusCode);

        await using (var db = host.Runtime.Database.CreateContext())
        {
            var denied = await db.AuditEntries.Where(e => e.Action == AccessDenials.AccessDenied).OrderBy(e => e.Sequence).ToListAsync();
            Assert.Equal(2, denied.Count); // the anonymous visitor was sent to sign in, not refused
            Assert.Equal(("user:victor", "route", "GET /Feedback"), (denied[0].Actor, denied[0].ObjectType, denied[0].ObjectId));
            Assert.Contains("\"feedback.read\"", denied[0].FieldsJson, StringComparison.Ordinal);
            Assert.Contains("viewer", denied[0].FieldsJson, StringComparison.Ordinal);
            Assert.DoesNotContain("page=2", denied[0].FieldsJson + denied[0].ObjectId, StringComparison.Ordinal);
            Assert.Equal(($"token:{token.Info.Id}", "GET /api/audit/"), (denied[1].Actor, denied[1].ObjectId));
        }

        var kpis = await host.Runtime.KpiCalculator.ComputeAsync(from, host.Runtime.Clock.GetUtcNow().AddMinutes(1), null, default);
        var incidents = kpis.Single(k => k.Kpi == Handoff.Core.Governance.Kpis.SecurityIncidents);
        Assert.Equal(2m, incidents.Value);
        Assert.Contains("2 flagged audit entries", incidents.Basis, StringComparison.Ordinal);
        Assert.True((await host.Runtime.Audit.VerifyAsync(default)).Intact);
    }
}
