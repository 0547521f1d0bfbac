using System.Net;
using System.Text.RegularExpressions;
using Handoff.Data.Accounts;
using Handoff.Data.Tests;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Handoff.Server.Tests.Web;

/// <summary>
/// Every route of the app (from its endpoint data source) × every role, against the real server:
/// each route must be in <see cref="Expected"/> with the capability it needs, carry exactly that
/// policy, and answer each role as the permission matrix says. A new route without an entry here
/// fails. The matrix in code must equal the one in docs/permissions.md.
/// </summary>
public sealed partial class RouteMatrixTests
{
    private const string Anonymous = "anonymous";
    private const string SignedIn = "signed-in";

    /// <summary>Anonymous to the cookie scheme, authenticated by a SCIM source's API token only: every
    /// identity of the matrix (anonymous or signed in) is answered 401.</summary>
    private const string ScimToken = "scim-token";

    /// <summary>"METHOD /pattern" → the capability it needs (Razor pages answer GET and POST).</summary>
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["GET /health/live"] = Anonymous,
        ["GET /health/ready"] = Anonymous,
        ["GET /metrics"] = Capabilities.AdminTokens,
        ["POST /hooks/{system}"] = Anonymous,
        ["GET /hooks/{system}/deliveries/{id:guid}"] = Anonymous,
        ["POST /hooks/feedback/"] = Anonymous,
        ["POST /hooks/feedback/mail"] = Anonymous,
        ["GET /scim/v2/Users"] = ScimToken,
        ["POST /scim/v2/Users"] = ScimToken,
        ["POST /scim/v2/Users/.search"] = ScimToken,
        ["GET /scim/v2/Users/{id}"] = ScimToken,
        ["PUT /scim/v2/Users/{id}"] = ScimToken,
        ["PATCH /scim/v2/Users/{id}"] = ScimToken,
        ["DELETE /scim/v2/Users/{id}"] = ScimToken,
        ["GET /scim/v2/Groups"] = ScimToken,
        ["POST /scim/v2/Groups"] = ScimToken,
        ["POST /scim/v2/Groups/.search"] = ScimToken,
        ["GET /scim/v2/Groups/{id}"] = ScimToken,
        ["PUT /scim/v2/Groups/{id}"] = ScimToken,
        ["PATCH /scim/v2/Groups/{id}"] = ScimToken,
        ["DELETE /scim/v2/Groups/{id}"] = ScimToken,
        ["POST /scim/v2/Bulk"] = ScimToken,
        ["GET /scim/v2/ServiceProviderConfig"] = ScimToken,
        ["GET /scim/v2/Schemas"] = ScimToken,
        ["GET /scim/v2/Schemas/{id}"] = ScimToken,
        ["GET /scim/v2/ResourceTypes"] = ScimToken,
        ["GET /scim/v2/ResourceTypes/{name}"] = ScimToken,
        ["GET /openapi/{documentName}.json"] = SignedIn,
        ["GET /api/reference/{documentName?}"] = SignedIn,
        // The reference page's own script and icon (public files of Scalar.AspNetCore, served locally).
        ["GET /api/reference/scalar.js"] = Anonymous,
        ["GET /api/reference/scalar.aspnetcore.js"] = Anonymous,
        ["GET /api/reference/favicon.svg"] = Anonymous,

        ["PAGE /Account/Login"] = Anonymous,
        ["PAGE /Account/Sso"] = Anonymous,
        ["PAGE /Account/Logout"] = SignedIn,
        ["PAGE /Account/ChangePassword"] = SignedIn,
        ["PAGE /Account/AccessDenied"] = SignedIn,
        ["PAGE /"] = SignedIn,
        ["PAGE /Index"] = SignedIn,
        ["PAGE /People"] = Capabilities.PeopleRead,
        ["PAGE /People/Index"] = Capabilities.PeopleRead,
        ["PAGE /People/Person/{id}"] = Capabilities.PeopleRead,
        ["PAGE /People/Report"] = Capabilities.PeopleReport,
        ["PAGE /Dictionary"] = Capabilities.DictionaryRead,
        ["PAGE /Dictionary/Index"] = Capabilities.DictionaryRead,
        ["PAGE /Dictionary/Version/{id:int}"] = Capabilities.DictionaryRead,
        ["PAGE /Dictionary/Propose"] = Capabilities.DictionaryPropose,
        ["PAGE /Dictionary/Approve"] = Capabilities.DictionaryApprove,
        ["PAGE /Systems"] = Capabilities.SystemsRead,
        ["PAGE /Systems/Index"] = Capabilities.SystemsRead,
        ["PAGE /Systems/Sync"] = Capabilities.SystemsSync,
        ["PAGE /Systems/Release"] = Capabilities.SystemsSync,
        ["PAGE /Systems/Acknowledge"] = Capabilities.SystemsSync,
        ["PAGE /Systems/Test"] = Capabilities.SystemsTest,
        ["PAGE /Systems/Schema/{system}"] = Capabilities.SystemsRead,
        ["PAGE /Systems/{system}/Reconciliation"] = Capabilities.SystemsRead,
        ["PAGE /Systems/{system}/Reconciliation/Run"] = Capabilities.SystemsReconcile,
        // A job is readable by whoever may start its kind: the page and the API check that per job.
        ["PAGE /Jobs"] = SignedIn,
        ["PAGE /Jobs/Index"] = SignedIn,
        ["PAGE /Jobs/{id:guid}"] = SignedIn,
        ["PAGE /Workflows"] = Capabilities.WorkflowsRead,
        ["PAGE /Workflows/Index"] = Capabilities.WorkflowsRead,
        ["PAGE /Workflows/Version/{reference}"] = Capabilities.WorkflowsRead,
        ["PAGE /Workflows/Edit"] = Capabilities.WorkflowsPropose,
        ["PAGE /Workflows/Approve"] = Capabilities.WorkflowsApprove,
        ["PAGE /Workflows/Activate"] = Capabilities.WorkflowsActivate,
        ["PAGE /Workflows/Retire"] = Capabilities.WorkflowsActivate,
        ["PAGE /Workflows/Start"] = Capabilities.RunsStart,
        ["PAGE /Runs"] = Capabilities.RunsRead,
        ["PAGE /Runs/Index"] = Capabilities.RunsRead,
        ["PAGE /Runs/Run/{id:guid}"] = Capabilities.RunsRead,
        ["PAGE /Runs/Approvals"] = Capabilities.RunsRead,
        ["PAGE /Runs/Retry"] = Capabilities.RunsOperate,
        ["PAGE /Runs/Cancel"] = Capabilities.RunsOperate,
        ["PAGE /Runs/Decide"] = Capabilities.ApprovalsDecide,
        ["PAGE /Runs/Release"] = Capabilities.StagedDecide,
        ["PAGE /Runs/ExportJob"] = Capabilities.RunsExport,
        ["PAGE /Review"] = Capabilities.ReviewRead,
        ["PAGE /Review/Index"] = Capabilities.ReviewRead,
        ["PAGE /Review/Resolve"] = Capabilities.ReviewResolve,
        ["PAGE /Review/Retry"] = Capabilities.QuarantineRetry,
        ["PAGE /Review/Deliveries"] = Capabilities.SystemsRead,
        ["PAGE /Review/Delivery/{id:long}"] = Capabilities.SystemsRead,
        ["PAGE /Review/DecideDelivery"] = Capabilities.SystemsSync,
        ["PAGE /Audit"] = Capabilities.AuditRead,
        ["PAGE /Audit/Index"] = Capabilities.AuditRead,
        ["PAGE /Audit/Export"] = Capabilities.AuditExport,
        ["PAGE /Audit/ExportJob"] = Capabilities.AuditExport,
        ["PAGE /Admin"] = SignedIn,
        ["PAGE /Admin/Index"] = SignedIn,
        ["PAGE /Admin/Users"] = Capabilities.AdminUsers,
        ["PAGE /Admin/Tokens"] = Capabilities.AdminTokens,
        ["PAGE /Admin/Keys"] = Capabilities.AdminKeys,
        ["PAGE /Admin/Retention"] = Capabilities.RetentionRead,
        ["PAGE /Admin/RetentionRun"] = Capabilities.RetentionRun,
        ["PAGE /Processes"] = Capabilities.ProcessesRead,
        ["PAGE /Processes/Index"] = Capabilities.ProcessesRead,
        ["PAGE /Processes/Process/{id}"] = Capabilities.ProcessesRead,
        ["PAGE /Processes/Upload"] = Capabilities.ProcessesEdit,
        ["PAGE /Processes/Rate"] = Capabilities.ProcessesEdit,
        ["PAGE /Charter"] = Capabilities.ChangeRead,
        ["PAGE /Charter/Index"] = Capabilities.ChangeRead,
        ["PAGE /Backlog"] = Capabilities.ChangeRead,
        ["PAGE /Backlog/Index"] = Capabilities.ChangeRead,
        ["PAGE /Backlog/Add"] = Capabilities.ChangeEdit,
        ["PAGE /Backlog/ScoreHr"] = Capabilities.BacklogScoreHr,
        ["PAGE /Backlog/ScoreIt"] = Capabilities.BacklogScoreIt,
        ["PAGE /Workflows/{id}/change"] = Capabilities.ChangeRead,
        ["PAGE /Workflows/{id}/change/training/{role}"] = Capabilities.ChangeRead,
        ["PAGE /Change/Communicate"] = Capabilities.ChangeEdit,
        ["PAGE /Change/Status"] = Capabilities.ChangeEdit,
        ["PAGE /Change/TrainingSave"] = Capabilities.ChangeEdit,
        ["PAGE /Feedback"] = Capabilities.FeedbackRead,
        ["PAGE /Feedback/Index"] = Capabilities.FeedbackRead,
        ["PAGE /Feedback/Report/{id:long}"] = Capabilities.FeedbackRead,
        ["PAGE /Feedback/New"] = Capabilities.FeedbackReport,
        ["PAGE /Feedback/Handle"] = Capabilities.FeedbackHandle,
        ["PAGE /Kpis"] = Capabilities.KpisRead,
        ["PAGE /Kpis/Index"] = Capabilities.KpisRead,
        ["PAGE /Reviews"] = Capabilities.MonthlyReviewRead,
        ["PAGE /Reviews/Index"] = Capabilities.MonthlyReviewRead,
        ["PAGE /Reviews/Generate"] = Capabilities.MonthlyReviewGenerate,
        ["PAGE /Reviews/{month:length(7)}"] = Capabilities.MonthlyReviewRead,

        ["GET /api/me"] = SignedIn,
        ["GET /api/dashboard"] = SignedIn,
        ["GET /api/people/"] = Capabilities.PeopleRead,
        ["GET /api/people/{reference}"] = Capabilities.PeopleRead,
        ["POST /api/people/{id:guid}/problems"] = Capabilities.PeopleReport,
        ["GET /api/dictionary/versions"] = Capabilities.DictionaryRead,
        ["GET /api/dictionary/versions/{id:int}"] = Capabilities.DictionaryRead,
        ["GET /api/dictionary/diff"] = Capabilities.DictionaryRead,
        ["POST /api/dictionary/versions"] = Capabilities.DictionaryPropose,
        ["POST /api/dictionary/versions/{id:int}/approvals"] = Capabilities.DictionaryApprove,
        ["GET /api/systems/"] = Capabilities.SystemsRead,
        ["GET /api/systems/syncs"] = Capabilities.SystemsRead,
        ["POST /api/systems/{system}/syncs"] = Capabilities.SystemsSync,
        ["GET /api/workflows/"] = Capabilities.WorkflowsRead,
        ["GET /api/workflows/templates"] = Capabilities.WorkflowsRead,
        ["GET /api/workflows/steps"] = Capabilities.WorkflowsRead,
        ["GET /api/workflows/versions/{reference}"] = Capabilities.WorkflowsRead,
        ["GET /api/workflows/diff"] = Capabilities.WorkflowsRead,
        ["POST /api/workflows/validation"] = Capabilities.WorkflowsPropose,
        ["POST /api/workflows/simulation"] = Capabilities.WorkflowsPropose,
        ["POST /api/workflows/versions"] = Capabilities.WorkflowsPropose,
        ["POST /api/workflows/versions/{reference}/approvals"] = Capabilities.WorkflowsApprove,
        ["POST /api/workflows/versions/{reference}/activation"] = Capabilities.WorkflowsActivate,
        ["POST /api/workflows/{id}/retirement"] = Capabilities.WorkflowsActivate,
        ["POST /api/workflows/{id}/runs"] = Capabilities.RunsStart,
        ["GET /api/runs/"] = Capabilities.RunsRead,
        ["GET /api/runs/export"] = Capabilities.RunsExport,
        ["GET /api/runs/{id}"] = Capabilities.RunsRead,
        ["POST /api/runs/{id}/retry"] = Capabilities.RunsOperate,
        ["POST /api/runs/{id}/cancel"] = Capabilities.RunsOperate,
        ["GET /api/approvals/"] = Capabilities.RunsRead,
        ["POST /api/approvals/{id:long}/decision"] = Capabilities.ApprovalsDecide,
        ["GET /api/staged/"] = Capabilities.RunsRead,
        ["POST /api/staged/{id:long}/decision"] = Capabilities.StagedDecide,
        ["GET /api/review/"] = Capabilities.ReviewRead,
        ["POST /api/review/{id:long}/resolution"] = Capabilities.ReviewResolve,
        ["GET /api/quarantine/"] = Capabilities.ReviewRead,
        ["POST /api/quarantine/{system}/retry"] = Capabilities.QuarantineRetry,
        ["GET /api/deliveries/"] = Capabilities.SystemsRead,
        ["GET /api/deliveries/{id:long}"] = Capabilities.SystemsRead,
        ["POST /api/deliveries/{id:long}/accept"] = Capabilities.SystemsSync,
        ["POST /api/deliveries/{id:long}/reject"] = Capabilities.SystemsSync,
        ["GET /api/audit/"] = Capabilities.AuditRead,
        ["GET /api/audit/verify"] = Capabilities.AuditRead,
        ["GET /api/audit/export"] = Capabilities.AuditExport,
        ["GET /api/users/"] = Capabilities.AdminUsers,
        ["POST /api/users/"] = Capabilities.AdminUsers,
        ["PUT /api/users/{userName}/roles"] = Capabilities.AdminUsers,
        ["POST /api/users/{userName}/password-reset"] = Capabilities.AdminUsers,
        ["GET /api/tokens/"] = Capabilities.AdminTokens,
        ["POST /api/tokens/"] = Capabilities.AdminTokens,
        ["DELETE /api/tokens/{id:long}"] = Capabilities.AdminTokens,
        ["GET /api/keys"] = Capabilities.AdminKeys,
        ["GET /api/retention/due"] = Capabilities.RetentionRead,
        ["GET /api/jobs/{id:guid}"] = SignedIn,
    };

    private sealed record Route(string Key, string Method, string Pattern, string? Policy, bool Anonymous, bool Page);

    private static List<Route> Routes(IServiceProvider services)
    {
        var routes = new List<Route>();
        foreach (var e in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + e.RoutePattern.RawText!.TrimStart('/');
            var page = e.Metadata.GetMetadata<Microsoft.AspNetCore.Mvc.RazorPages.CompiledPageActionDescriptor>() is not null
                || e.Metadata.Any(m => m.GetType().Name == "PageActionDescriptor" || m is Microsoft.AspNetCore.Mvc.RazorPages.PageActionDescriptor);
            var policy = e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
            var anonymous = e.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            if (page)
                routes.Add(new Route($"PAGE {pattern}", "PAGE", pattern, policy, anonymous, true));
            else
                routes.AddRange(methods.Select(m => new Route($"{m} {pattern}", m, pattern, policy, anonymous, false)));
        }
        return routes;
    }

    [Fact]
    public async Task Every_route_has_an_entry_and_carries_that_policy()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        var routes = Routes(host.App.Services);
        var unlisted = routes.Select(r => r.Key).Except(Expected.Keys).ToList();
        Assert.True(unlisted.Count == 0, "routes without an entry in the permission matrix test: " + string.Join(", ", unlisted));
        var gone = Expected.Keys.Except(routes.Select(r => r.Key)).ToList();
        Assert.True(gone.Count == 0, "entries for routes that no longer exist: " + string.Join(", ", gone));
        foreach (var r in routes)
        {
            var expected = Expected[r.Key];
            if (expected is Anonymous or ScimToken)
                Assert.True(r.Anonymous, $"{r.Key} should be anonymous");
            else if (expected == SignedIn)
                Assert.True(!r.Anonymous && r.Policy is null, $"{r.Key} should need a signed-in user only (fallback policy), has {r.Policy}");
            else
                Assert.True(!r.Anonymous && r.Policy == expected, $"{r.Key} should need {expected}, has {r.Policy ?? "none"}{(r.Anonymous ? " (anonymous)" : "")}");
        }
    }

    [Fact]
    public async Task Every_route_answers_every_role_as_the_matrix_says()
    {
        await using var host = await WebTestHost.StartAsync(TestDatabases.Sqlite, ingest: false);
        var routes = Routes(host.App.Services);
        var identities = new List<(string Name, string? Role, HttpClient Client)> { ("anonymous", null, host.Client()) };
        foreach (var (role, user) in WebTestHost.UserByRole)
        {
            var client = host.Client();
            var signIn = await WebTestHost.SignInAsync(client, user);
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            identities.Add((user, role, client));
        }

        var failures = new List<string>();
        foreach (var route in routes)
        {
            var expected = Expected[route.Key];
            foreach (var method in route.Page ? new[] { "GET", "POST" } : [route.Method])
            {
                var path = Placeholder().Replace(route.Pattern, m => Sample(m.Groups[1].Value));
                foreach (var (name, role, client) in identities)
                {
                    var allowed = expected == Anonymous || (role is not null && expected != ScimToken && (expected == SignedIn || Capabilities.Has(role, expected)));
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method is "POST" or "PUT")
                        request.Content = route.Page ? new FormUrlEncodedContent([]) : new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                    using var response = await client.SendAsync(request);
                    var location = response.Headers.Location?.ToString() ?? "";
                    // The access-denied page itself answers 403 (it tells the browser the request was refused).
                    var ownForbidden = route.Pattern == "/Account/AccessDenied" && method == "GET";
                    var refusedAs = response.StatusCode switch
                    {
                        HttpStatusCode.Unauthorized => "401",
                        HttpStatusCode.Forbidden when !ownForbidden => "403",
                        HttpStatusCode.Redirect when location.Contains("/Account/Login", StringComparison.Ordinal) => "redirect to sign-in",
                        HttpStatusCode.Redirect when location.Contains("/Account/AccessDenied", StringComparison.Ordinal) => "redirect to access denied",
                        _ => null,
                    };
                    if (allowed && refusedAs is not null)
                        failures.Add($"{method} {path} as {name}: expected allowed ({expected}), got {refusedAs}");
                    if (!allowed && refusedAs is null)
                        failures.Add($"{method} {path} as {name}: expected refused ({expected}), got {(int)response.StatusCode}");
                    if (!allowed && refusedAs is not null && !route.Pattern.StartsWith("/api", StringComparison.Ordinal) && route.Page)
                    {
                        // Pages send strangers to sign in and signed-in users without the right to "not allowed".
                        var want = role is null ? "redirect to sign-in" : "redirect to access denied";
                        if (refusedAs != want)
                            failures.Add($"{method} {path} as {name}: expected {want}, got {refusedAs}");
                    }
                    if (expected == ScimToken && refusedAs != "401")
                        failures.Add($"{method} {path} as {name}: expected 401 (SCIM needs its API token), got {refusedAs ?? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                    if (!allowed && refusedAs is not null && route.Pattern.StartsWith("/api", StringComparison.Ordinal))
                    {
                        var want = role is null ? "401" : "403";
                        if (refusedAs != want)
                            failures.Add($"{method} {path} as {name}: expected {want}, got {refusedAs}");
                    }
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void The_matrix_in_code_is_the_one_in_docs_permissions_md()
    {
        var doc = File.ReadAllLines(Path.Combine(Repository.Root, "docs", "permissions.md"));
        var header = doc.First(l => l.StartsWith("| capability", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries)[2..^1];
        Assert.Equal(HandoffRoles.All, header);
        var written = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var line in doc.Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries)[1..^1];
            var capability = cells[0].Trim('`');
            written[capability] = [.. header.Where((_, i) => cells[i + 1] == "✓")];
        }
        Assert.Equal(Capabilities.Matrix.Keys.Order(), written.Keys.Order());
        foreach (var (capability, roles) in Capabilities.Matrix)
            Assert.True(roles.Order().SequenceEqual(written[capability].Order()), $"{capability}: code says {string.Join(",", roles)}, docs say {string.Join(",", written[capability])}");
    }

    /// <summary>Harmless values: ids that exist nowhere, a user and a system that do not exist, so an
    /// allowed POST is refused by the domain (404/409/400), never performed.</summary>
    private static string Sample(string parameter) => parameter.Split(':', '?')[0].TrimStart('*') switch
    {
        "id" when parameter.Contains("guid", StringComparison.Ordinal) => Guid.Empty.ToString(),
        "id" when parameter.Contains("int", StringComparison.Ordinal) || parameter.Contains("long", StringComparison.Ordinal) => "999999",
        "id" => Guid.Empty.ToString(),
        "system" => "no-such-system",
        "userName" => "no-such-user",
        "reference" => "no-such-person",
        "documentName" => "v1",
        "name" => "User",
        "month" => "2026-01",
        _ => "x",
    };

    [GeneratedRegex(@"\{\**([^}]+)\}")]
    private static partial Regex Placeholder();
}
