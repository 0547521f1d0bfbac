using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Handoff.Core.Connectors;
using Handoff.Core.Workspace;
using MailKit.Security;
using MimeKit;

namespace Handoff.Connectors.Mail;

/// <summary>
/// The configuration of a <c>connector: smtp</c> system, checked once when the connector is built so a
/// typo names the system and the key instead of failing on the first mail.
/// </summary>
/// <param name="Security">how the connection is protected: STARTTLS on the submission port (default, from
/// <c>starttls:</c> required / when_available / none), or TLS from the first byte on port 465 (<c>tls: implicit</c>,
/// also written <c>security: ssl_on_connect</c>, MailKit's name for it), as relays that only offer SMTPS need</param>
/// <param name="Templates">the mail template folder as written (relative to the workspace folder or absolute)</param>
/// <param name="TrustedCertificates">extra roots (from <c>ca_file</c>) a server certificate may chain to,
/// besides the machine's store — for an internal CA, and for the tests' self-signed server</param>
public sealed record SmtpSettings(
    string Host,
    int Port,
    MailboxAddress From,
    SecureSocketOptions Security,
    string? Username,
    string? PasswordEnv,
    string? Templates,
    X509Certificate2Collection? TrustedCertificates,
    TimeSpan Timeout)
{
    public const int DefaultPort = 587;

    /// <summary>SMTPS (RFC 8314): TLS from the first byte.</summary>
    public const int ImplicitTlsPort = 465;

    /// <summary>Whether TLS starts on connect (no STARTTLS).</summary>
    public bool ImplicitTls => Security == SecureSocketOptions.SslOnConnect;

    public static SmtpSettings Read(SystemDefinition system)
    {
        ConnectorException Bad(string message) => new(system.Id, ConnectorFailure.SchemaViolation, message);

        var host = system.Setting("host") is { Length: > 0 } h ? h : throw Bad("config.host is required for an smtp system");
        var security = ReadSecurity(system, Bad);
        var port = security == SecureSocketOptions.SslOnConnect ? ImplicitTlsPort : DefaultPort;
        if (system.Setting("port") is { } p && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            throw Bad($"config.port \"{p}\" is not a port number (1-65535)");
        var fromText = system.Setting("from") ?? throw Bad("config.from is required for an smtp system (the sender address, e.g. \"IT <it@acme.example>\")");
        if (!MailboxAddress.TryParse(ParserOptions.Default, fromText, out var from) || !MailAddresses.HasDomain(from))
            throw Bad($"config.from \"{fromText}\" is not a mail address");
        var username = system.Setting("username");
        var passwordEnv = system.Setting("password_env");
        if (username is not null && passwordEnv is null)
            throw Bad("config.username needs config.password_env (the name of the environment variable holding the password)");
        X509Certificate2Collection? trusted = null;
        if (system.Setting("ca_file") is { } caFile)
        {
            trusted = [];
            try
            {
                trusted.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw Bad($"config.ca_file \"{caFile}\" cannot be read as PEM certificates: {e.Message}");
            }
            if (trusted.Count == 0)
                throw Bad($"config.ca_file \"{caFile}\" holds no PEM certificate");
        }
        var timeout = TimeSpan.FromSeconds(30);
        if (system.Setting("timeout_seconds") is { } t)
        {
            if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 1)
                throw Bad($"config.timeout_seconds \"{t}\" is not a positive whole number");
            timeout = TimeSpan.FromSeconds(seconds);
        }
        return new SmtpSettings(host, port, from, security, username, passwordEnv, system.Setting("templates"), trusted, timeout);
    }

    /// <summary>One way to say it: <c>tls</c> (starttls | implicit), <c>security</c> (MailKit's names) and
    /// <c>starttls</c> (required | when_available | none) must not contradict each other.</summary>
    private static SecureSocketOptions ReadSecurity(SystemDefinition system, Func<string, ConnectorException> bad)
    {
        var fromStartTls = system.Setting("starttls") switch
        {
            null => (SecureSocketOptions?)null,
            "required" => SecureSocketOptions.StartTls,
            "when_available" => SecureSocketOptions.StartTlsWhenAvailable,
            "none" => SecureSocketOptions.None,
            var other => throw bad($"config.starttls \"{other}\" is not one of required, when_available, none"),
        };
        var fromTls = system.Setting("tls") switch
        {
            null => (SecureSocketOptions?)null,
            "implicit" => SecureSocketOptions.SslOnConnect,
            "starttls" => SecureSocketOptions.StartTls,
            var other => throw bad($"config.tls \"{other}\" is not one of implicit (TLS on connect, port 465), starttls"),
        };
        var fromSecurity = system.Setting("security") switch
        {
            null => (SecureSocketOptions?)null,
            "ssl_on_connect" => SecureSocketOptions.SslOnConnect,
            "starttls" => SecureSocketOptions.StartTls,
            "starttls_when_available" => SecureSocketOptions.StartTlsWhenAvailable,
            "none" => SecureSocketOptions.None,
            var other => throw bad($"config.security \"{other}\" is not one of ssl_on_connect, starttls, starttls_when_available, none"),
        };
        if (fromTls is { } t && fromSecurity is { } s && t != s)
            throw bad($"config.tls \"{system.Setting("tls")}\" and config.security \"{system.Setting("security")}\" contradict each other; give one");
        var chosen = fromTls ?? fromSecurity;
        if (chosen == SecureSocketOptions.SslOnConnect && fromStartTls is not null)
            throw bad($"config.starttls \"{system.Setting("starttls")}\" does not apply to implicit TLS (TLS from the first byte, no STARTTLS); remove it");
        if (chosen is { } c && fromStartTls is { } st && c != st)
            throw bad($"config.starttls \"{system.Setting("starttls")}\" contradicts config.{(fromTls is null ? "security" : "tls")}; give one");
        return chosen ?? fromStartTls ?? SecureSocketOptions.StartTls;
    }
}

internal static class MailAddresses
{
    /// <summary>MimeKit accepts a bare local part ("bob"); a mail for delivery needs a domain.</summary>
    public static bool HasDomain(MailboxAddress address) =>
        address.Address.IndexOf('@') is > 0 and var at && at < address.Address.Length - 1;
}
