using System.ComponentModel;
using System.Security.Cryptography.X509Certificates;
using Handoff.Server.Web.Account;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class ServeSettings : HandoffSettings
{
    [CommandOption("--urls <URLS>")]
    [Description("Where to listen. Default: http://127.0.0.1:5080 (https://… needs --cert).")]
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    [CommandOption("--cert <PFX>")]
    [Description("A PKCS#12 certificate for HTTPS (then use --urls https://HOST:PORT). Default: $HANDOFF_CERT.")]
    public string? Certificate { get; init; }

    [CommandOption("--node-id <ID>")]
    [Description("This node's name in the cluster (leases, heartbeat, run steps). Default: $HANDOFF_NODE_ID, else HOST:PID.")]
    public string? NodeId { get; init; }

    [CommandOption("--cert-password <PASSWORD>")]
    [Description("The certificate's password. Default: $HANDOFF_CERT_PASSWORD.")]
    public string? CertificatePassword { get; init; }
}

public sealed class ServeCommand : HandoffCommand<ServeSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ServeSettings settings, CancellationToken ct)
    {
        // On SQLite one node only: the lock is held until the process ends (a crash frees it too).
        using var sqliteLock = await Cluster.SqliteNodeLock.AcquireAsync(runtime, ct);
        var certificate = settings.Certificate ?? Environment.GetEnvironmentVariable("HANDOFF_CERT");
        var app = BuildApp(runtime, settings.Urls, b =>
        {
            if (certificate is not null)
            {
                var cert = X509CertificateLoader.LoadPkcs12FromFile(certificate, settings.CertificatePassword ?? Environment.GetEnvironmentVariable("HANDOFF_CERT_PASSWORD"));
                b.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = cert));
            }
        });
        await PrintFirstRunAdminAsync(app, Console, ct);
        Console.MarkupLineInterpolated($"Handoff on {settings.Urls} — sign in at {settings.Urls.Split(';')[0]}/Account/Login (node {runtime.NodeId})");
        await app.RunAsync(ct);
        return 0;
    }

    /// <summary>On first start (no user yet) creates <c>admin</c> and prints its one-time password, once.</summary>
    /// <remarks>Several nodes started together on a new PostgreSQL database race to create the roles and
    /// the admin: the losers' inserts hit the unique indexes, and their second look finds them made.</remarks>
    public static async Task PrintFirstRunAdminAsync(WebApplication app, IAnsiConsole console, CancellationToken ct)
    {
        string? password = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = app.Services.CreateAsyncScope();
                password = await scope.ServiceProvider.GetRequiredService<UserAccounts>().EnsureFirstAdminAsync(ct);
                break;
            }
            catch (Exception e) when ((e is Microsoft.EntityFrameworkCore.DbUpdateException or AccountException) && attempt < 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
            }
        }
        if (password is null)
            return;
        console.MarkupLine("[yellow]First run: created the user [bold]admin[/] (hr_admin + it_admin) with this one-time password, shown only now:[/]");
        console.WriteLine($"  admin / {password}");
        console.MarkupLine("[yellow]It must be changed at the first sign-in. Lost it? `handoff users reset-password admin`.[/]");
    }

    public static WebApplication BuildApp(HandoffRuntime runtime, string urls, Action<WebApplicationBuilder>? configure = null)
    {
        // The application name is this assembly's, also when a test process hosts the app: Razor Pages
        // are discovered from the application's assembly.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(ServeCommand).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls(urls);
        builder.AddHandoff(runtime);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapHandoff();
        return app;
    }
}
