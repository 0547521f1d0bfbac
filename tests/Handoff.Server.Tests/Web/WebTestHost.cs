using System.Net;
using System.Text.RegularExpressions;
using Handoff.Data.Tests;
using Handoff.Server.Cli;
using Handoff.Server.Web.Account;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Handoff.Server.Tests.Web;

/// <summary>
/// The real web app on Kestrel (a free port on 127.0.0.1) over a test database with the Acme workspace
/// (optionally its HR data ingested), and one user per role with a known password:
/// alice hr_admin, hector hr_operator, ivan and tara it_admin, olga it_operator, audrey auditor,
/// victor viewer — the first five are charter members.
/// </summary>
public sealed partial class WebTestHost : IAsyncDisposable
{
    public const string Password = "Correct-Horse-42";

    public static readonly IReadOnlyDictionary<string, string> UserByRole = new Dictionary<string, string>
    {
        ["hr_admin"] = "alice",
        ["hr_operator"] = "hector",
        ["it_admin"] = "ivan",
        ["it_operator"] = "olga",
        ["auditor"] = "audrey",
        ["viewer"] = "victor",
    };

    private readonly string _dataProtection;

    private WebTestHost(WebApplication app, DataSpine spine, HandoffRuntime runtime, string dataProtection)
    {
        App = app;
        Spine = spine;
        Runtime = runtime;
        _dataProtection = dataProtection;
        BaseAddress = new Uri(app.Urls.First());
    }

    public WebApplication App { get; }
    public DataSpine Spine { get; }
    public HandoffRuntime Runtime { get; }
    public Uri BaseAddress { get; }

    /// <param name="workspaceDir">a copy of the Acme workspace to serve (a test that drops files into a
    /// drop folder must not write into samples/acme)</param>
    /// <param name="workers">keep the server's background workers (workflow engine, drop folders, schedule);
    /// by default a test drives the engine itself and only the background-job runner stays</param>
    public static async Task<WebTestHost> StartAsync(string provider, bool ingest = true, int signInsPerMinute = 1000, string? workspaceDir = null, bool workers = false)
    {
        var spine = await DataSpine.StartAsync(provider, workspaceDir: workspaceDir);
        if (ingest)
        {
            foreach (var system in new[] { "ats", "hris", "payroll" })
                await spine.SyncCsvAsync(system);
        }
        var runtime = new HandoffRuntime(spine.Database, spine.Clock, spine.Keys, spine.AuditKey);
        var dataProtection = Path.Combine(Path.GetTempPath(), "handoff-tests", "dp-" + Guid.NewGuid().ToString("N"));
        var app = ServeCommand.BuildApp(runtime, "http://127.0.0.1:0", b =>
        {
            b.Configuration["Handoff:SignIn:PermitPerMinute"] = signInsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
            b.Configuration["Handoff:DataProtection:Path"] = dataProtection;
            b.Configuration["Handoff:Jobs:Path"] = Path.Combine(dataProtection, "jobs");
            b.Configuration["Handoff:DropFolders:PollSeconds"] = "1";
            if (Environment.GetEnvironmentVariable("HANDOFF_TEST_LOG") != "1")
                b.Logging.ClearProviders();
            if (!workers)
            {
                b.Services.RemoveAll<IHostedService>();
                b.Services.AddHostedService<Server.Jobs.BackgroundJobRunner>();
            }
        });
        await app.StartAsync();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<UserAccounts>();
            foreach (var (role, user) in UserByRole)
                await accounts.CreateAsync(user, user, [role], "test", default, Password);
            await accounts.CreateAsync("tara", "tara", ["it_admin"], "test", default, Password);
        }
        return new WebTestHost(app, spine, runtime, dataProtection);
    }

    /// <summary>A client that keeps cookies and does not follow redirects (so a redirect to the
    /// sign-in or access-denied page is seen as such).</summary>
    public HttpClient Client() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = BaseAddress };

    /// <summary>Signs in through the login form (antiforgery token and all); returns the answer to the POST.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string user, string password = Password)
    {
        var token = await AntiforgeryTokenAsync(client, "/Account/Login");
        return await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = user,
            ["Password"] = password,
            ["__RequestVerificationToken"] = token,
        }));
    }

    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string page)
    {
        using var answer = await client.GetAsync(page);
        if (!answer.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {page}: {(int)answer.StatusCode} {answer.Headers.Location}");
        var html = await answer.Content.ReadAsStringAsync();
        return Token().Match(html).Groups[1].Value;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_dataProtection, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
