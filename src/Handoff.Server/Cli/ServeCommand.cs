using System.ComponentModel;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class ServeSettings : HandoffSettings
{
    [CommandOption("--urls <URLS>")]
    [Description("Where to listen. Default: http://127.0.0.1:5080")]
    public string Urls { get; init; } = "http://127.0.0.1:5080";
}

public sealed class ServeCommand : HandoffCommand<ServeSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ServeSettings settings, CancellationToken ct)
    {
        var app = BuildApp(runtime, settings.Urls);
        await app.RunAsync(ct);
        return 0;
    }

    public static WebApplication BuildApp(HandoffRuntime runtime, string urls, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(urls);
        builder.AddHandoff(runtime);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapHandoff();
        return app;
    }
}
