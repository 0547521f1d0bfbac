using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit;

namespace Handoff.Connectors.Tests.Mail;

/// <summary>
/// The Handoff.TestSmtpServer tool (a real SMTP server built on the SmtpServer library) started as a
/// separate process on 127.0.0.1, on a port of this suite's private range 5220-5239 (or
/// HANDOFF_TEST_SMTP_PORTS, e.g. <c>2600-2620</c>, when several checkouts test on one machine). Messages
/// it accepted are read back from its folder as .eml files.
/// </summary>
public sealed class SmtpTestServer : IDisposable
{
    private static readonly (int First, int Last) Range = PortRange();
    private static readonly int FirstPort = Range.First;
    private static readonly int LastPort = Range.Last;
    private static int _nextPort = FirstPort - 1;

    private readonly Process _process;

    public int Port { get; }

    public string Folder { get; }

    private SmtpTestServer(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
    }

    /// <param name="certificate">offer STARTTLS with it; null: a server without TLS</param>
    /// <param name="failFirst">answer 451 to this many messages first</param>
    /// <param name="rejectDomain">answer 550 to recipients in this domain</param>
    /// <param name="implicitTls">TLS from the first byte with <paramref name="certificate"/> (SMTPS, as on port 465) instead of STARTTLS</param>
    public static async Task<SmtpTestServer> StartAsync(TestCertificate? certificate = null, int failFirst = 0, string? rejectDomain = null, bool implicitTls = false)
    {
        var folder = Path.Combine(Path.GetTempPath(), "handoff-smtp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var port = FreePort();
        var tool = Path.Combine(AppContext.BaseDirectory, "Handoff.TestSmtpServer.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { tool, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dir", Path.Combine(folder, "received") })
            start.ArgumentList.Add(arg);
        if (certificate is not null)
        {
            start.ArgumentList.Add("--cert");
            start.ArgumentList.Add(certificate.PfxFile);
            if (implicitTls)
                start.ArgumentList.Add("--implicit-tls");
        }
        if (failFirst > 0)
        {
            start.ArgumentList.Add("--fail-first");
            start.ArgumentList.Add(failFirst.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (rejectDomain is not null)
        {
            start.ArgumentList.Add("--reject-domain");
            start.ArgumentList.Add(rejectDomain);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the test SMTP server");
        var server = new SmtpTestServer(process, port, Path.Combine(folder, "received"));
        try
        {
            // A cold `dotnet` start on a loaded 2-core machine can take a while: wait for the line, bounded.
            var ready = process.StandardOutput.ReadLineAsync();
            if (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(60))) != ready || ready.Result?.StartsWith("listening", StringComparison.Ordinal) != true)
                throw new InvalidOperationException($"the test SMTP server did not start: {(process.HasExited ? await process.StandardError.ReadToEndAsync() : "no \"listening\" line within 60 s")}");
            await WaitForConnectAsync(port);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server process (the tests' "the mail relay died").</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>The messages received so far, in arrival order.</summary>
    public IReadOnlyList<MimeMessage> Messages() =>
        Directory.Exists(Folder)
            ? Directory.EnumerateFiles(Folder, "*.eml").Order(StringComparer.Ordinal).Select(f => MimeMessage.Load(f)).ToList()
            : [];

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close(); // the server stops when its stdin closes
                if (!_process.WaitForExit(5_000))
                    Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(Path.GetDirectoryName(Folder)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The next port of the private range that nothing listens on (tests run in parallel).</summary>
    private static int FreePort()
    {
        for (var tries = 0; tries <= LastPort - FirstPort; tries++)
        {
            var port = FirstPort + ((Interlocked.Increment(ref _nextPort) - FirstPort) % (LastPort - FirstPort + 1));
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException($"no free port in {FirstPort}-{LastPort}");
    }

    private static async Task WaitForConnectAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static (int First, int Last) PortRange()
    {
        var text = Environment.GetEnvironmentVariable("HANDOFF_TEST_SMTP_PORTS");
        if (string.IsNullOrEmpty(text))
            return (5220, 5239);
        var parts = text.Split('-');
        return parts.Length == 2 && int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var first)
            && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var last) && first > 0 && last >= first && last < 65536
            ? (first, last)
            : throw new InvalidOperationException($"HANDOFF_TEST_SMTP_PORTS \"{text}\" is not a port range such as 2600-2620");
    }

    /// <summary>A port in the range where nothing listens (a relay that is down).</summary>
    public static int UnusedPort() => FreePort();
}

/// <summary>A self-signed server certificate for 127.0.0.1 made at test time: a PFX for the server,
/// a PEM for the client's <c>ca_file</c> (trusted by that connector only).</summary>
public sealed class TestCertificate
{
    public required string PfxFile { get; init; }

    public required string PemFile { get; init; }

    public static TestCertificate Create()
    {
        var folder = Path.Combine(Path.GetTempPath(), "handoff-smtp-cert-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=handoff-test-smtp", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var result = new TestCertificate { PfxFile = Path.Combine(folder, "server.pfx"), PemFile = Path.Combine(folder, "ca.pem") };
        File.WriteAllBytes(result.PfxFile, certificate.Export(X509ContentType.Pfx));
        File.WriteAllText(result.PemFile, certificate.ExportCertificatePem());
        return result;
    }
}
