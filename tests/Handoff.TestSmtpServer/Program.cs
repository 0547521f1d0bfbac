using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

// A real SMTP server for the mail connector's tests, started by them as a separate process on loopback:
//
//   Handoff.TestSmtpServer --port N --dir FOLDER [--cert FILE.pfx [--implicit-tls]] [--fail-first N] [--reject-domain DOMAIN]
//
// --cert        offer STARTTLS with this certificate (PKCS#12 without a password; the tests make a
//               self-signed one at test time); without it the server has no TLS at all
// --implicit-tls  TLS from the first byte instead (SMTPS, as on port 465): no plain-text greeting
// --fail-first  answer 451 (transient) to the first N messages, then accept
// --reject-domain  refuse recipients in this domain with 550 (permanent)
//
// Every accepted message is written as FOLDER/NNNN.eml exactly as received. "listening on PORT" on
// stdout tells the test the server is ready; it runs until killed or its stdin closes.
var options = Arguments.Parse(args);
Directory.CreateDirectory(options.Folder);

var endpoint = new EndpointDefinitionBuilder()
    .Endpoint(new IPEndPoint(IPAddress.Loopback, options.Port))
    .IsSecure(options.ImplicitTls)
    .SessionTimeout(TimeSpan.FromSeconds(30));
if (options.ImplicitTls && options.Certificate is null)
    throw new ArgumentException("--implicit-tls needs --cert");
if (options.Certificate is { } pfx)
    endpoint.Certificate(X509CertificateLoader.LoadPkcs12FromFile(pfx, null));

var smtpOptions = new SmtpServerOptionsBuilder()
    .ServerName("handoff-test-smtp")
    .Endpoint(endpoint.Build())
    .Build();
var services = new SmtpServer.ComponentModel.ServiceProvider();
services.Add(new FolderStore(options.Folder, options.FailFirst));
services.Add(new DomainFilter(options.RejectDomain));
var server = new SmtpServer.SmtpServer(smtpOptions, services);

using var stop = new CancellationTokenSource();
var running = server.StartAsync(stop.Token);
Console.WriteLine($"listening on {options.Port}");
Console.Out.Flush();

// The test owns this process: when it closes our stdin (or dies), stop.
_ = Task.Run(async () =>
{
    while (await Console.In.ReadLineAsync() is not null)
    {
    }
    await stop.CancelAsync();
});
try
{
    await running;
}
catch (OperationCanceledException)
{
}

internal sealed record Arguments(int Port, string Folder, string? Certificate, int FailFirst, string? RejectDomain, bool ImplicitTls)
{
    public static Arguments Parse(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        var port = int.Parse(Value("--port") ?? throw new ArgumentException("--port is required"), CultureInfo.InvariantCulture);
        var folder = Value("--dir") ?? throw new ArgumentException("--dir is required");
        var failFirst = Value("--fail-first") is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 0;
        return new Arguments(port, folder, Value("--cert"), failFirst, Value("--reject-domain"), args.Contains("--implicit-tls"));
    }
}

/// <summary>Writes each message into the folder, after answering 451 to the first N.</summary>
internal sealed class FolderStore(string folder, int failFirst) : IMessageStore
{
    private int _received;
    private int _saved;

    public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _received) <= failFirst)
            return new SmtpResponse(SmtpReplyCode.Aborted, "4.3.0 try again later (test server told to fail)");
        var name = Path.Combine(folder, $"{Interlocked.Increment(ref _saved):D4}.eml");
        await using (var file = File.Create(name + ".tmp"))
        {
            foreach (var segment in buffer)
                await file.WriteAsync(segment, cancellationToken);
        }
        // Renamed only when complete, so a test never reads half a message.
        File.Move(name + ".tmp", name);
        return SmtpResponse.Ok;
    }
}

/// <summary>Refuses recipients in one domain (a permanent 550).</summary>
internal sealed class DomainFilter(string? rejectDomain) : IMailboxFilter
{
    public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) =>
        Task.FromResult(true);

    public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken) =>
        Task.FromResult(rejectDomain is null || !string.Equals(to.Host, rejectDomain, StringComparison.OrdinalIgnoreCase));
}
