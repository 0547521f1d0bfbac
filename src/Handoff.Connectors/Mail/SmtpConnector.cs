using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Handoff.Core.Connectors;
using Handoff.Core.Templates;
using Handoff.Core.Workspace;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Handoff.Connectors.Mail;

/// <summary>
/// Sends the <c>mail.send</c> step's mails through an SMTP relay (MailKit), STARTTLS required unless the
/// system says otherwise, or TLS from the first byte on port 465 (<c>tls: implicit</c>). A mail is either given whole by the step (<c>subject</c>, <c>body</c>) or made
/// from a template file in the system's <c>templates</c> folder (<see cref="MailTemplate"/>), rendered
/// with the step's inputs and its <c>values</c> map.
/// </summary>
/// <remarks>
/// SMTP has no way to ask "did you already get this?", so a mail sent again after a crash cannot be
/// suppressed here. Instead the Message-ID is derived from the idempotency key (run + step): the
/// repeated mail carries the same Message-ID and <c>X-Handoff-Idempotency-Key</c>, and receivers
/// (mail clients, ticket intake) that de-duplicate by Message-ID show it once.
/// Failures: 4xx replies, refused connections, dropped connections and timeouts are transient
/// (<see cref="ConnectorFailure.Unavailable"/> / <see cref="ConnectorFailure.Timeout"/>); 5xx replies
/// are permanent — a refused recipient or sender is a <see cref="ConnectorFailure.SchemaViolation"/>
/// naming the address, anything else (authentication, TLS, policy) <see cref="ConnectorFailure.Denied"/>.
/// </remarks>
public sealed class SmtpConnector : ITargetConnector, IOperationValidator
{
    /// <summary>Names the idempotency key (run/step) on every mail, for receivers and for tracing.</summary>
    public const string IdempotencyHeader = "X-Handoff-Idempotency-Key";

    private readonly SmtpSettings _settings;
    private readonly Func<CancellationToken, Task<string?>> _workspaceDirectory;
    private readonly TimeProvider _clock;

    /// <param name="workspaceDirectory">the folder the workspace was applied from (a relative
    /// <c>templates</c> setting is resolved against it); asked only when a template is used</param>
    public SmtpConnector(SystemDefinition system, Func<CancellationToken, Task<string?>> workspaceDirectory, TimeProvider? clock = null)
    {
        SystemId = system.Id;
        _settings = SmtpSettings.Read(system);
        _workspaceDirectory = workspaceDirectory;
        _clock = clock ?? TimeProvider.System;
    }

    public string SystemId { get; }

    private string Server => $"{(_settings.ImplicitTls ? "smtps" : "smtp")}://{_settings.Host}:{_settings.Port}";

    public async Task<ConnectionCheck> TestAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            using var client = await ConnectAsync(ct);
            var tls = !client.IsSecure ? "no TLS" : _settings.ImplicitTls ? "implicit TLS" : "STARTTLS";
            await client.DisconnectAsync(quit: true, ct);
            return new ConnectionCheck(true, $"{Server} answered EHLO ({tls}{(_settings.Username is null ? "" : ", authenticated")})", watch.Elapsed);
        }
        catch (ConnectorException e)
        {
            return new ConnectionCheck(false, e.Message, watch.Elapsed);
        }
    }

    public Task<TargetSchema> DiscoverSchemaAsync(CancellationToken ct) =>
        Task.FromResult(new TargetSchema([new TargetObjectClass(ObjectClasses.Message,
        [
            new TargetAttribute(MessageAttributes.To, "string", true, true, false, null),
            new TargetAttribute(MessageAttributes.Subject, "string", false, false, false, null),
            new TargetAttribute(MessageAttributes.Body, "string", false, false, false, null),
            new TargetAttribute(MessageAttributes.Template, "string", false, false, false, null),
        ])]));

    public async IAsyncEnumerable<TargetObject> ReadAsync(string objectClass, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        // Mail is sent, never read back.
        await Task.CompletedTask;
        yield break;
    }

    public async Task<IReadOnlyList<string>> ValidateAsync(TargetOperation operation, CancellationToken ct)
    {
        try
        {
            await ComposeAsync(operation, ct);
            return [];
        }
        catch (ConnectorException e)
        {
            return [e.Message];
        }
    }

    public async Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
    {
        var message = await ComposeAsync(operation, ct);
        using var client = await ConnectAsync(ct);
        try
        {
            await client.SendAsync(message, ct);
            await client.DisconnectAsync(quit: true, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw Classify(e, "sending the mail");
        }
        return TargetOperationResult.Done(message.MessageId, new Dictionary<string, object?>
        {
            ["message_id"] = message.MessageId,
            [MessageAttributes.Subject] = message.Subject,
        });
    }

    /// <summary>The Message-ID for an idempotency key: the same key always gives the same id, and
    /// the key (run and step ids) is not readable from it.</summary>
    public static string MessageIdFor(string idempotencyKey, MailboxAddress from)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..32];
        return $"{hash}.handoff@{from.Domain}";
    }

    private async Task<MimeMessage> ComposeAsync(TargetOperation operation, CancellationToken ct)
    {
        if (operation.Kind != TargetOperationKind.SendMail)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"an smtp system only sends mail, not {operation.Kind}");

        var recipients = Recipients(operation[MessageAttributes.To]);
        var subject = Text(operation[MessageAttributes.Subject]);
        var body = Text(operation[MessageAttributes.Body]);
        if (Text(operation[MessageAttributes.Template]) is { } name)
        {
            var template = await LoadTemplateAsync(name, ct);
            var values = TemplateValues(operation);
            try
            {
                // What the step gives directly wins over the template, so one template can serve a
                // workflow that only wants a different subject.
                subject ??= template.Subject is null ? null : (await template.Subject.RenderAsync(values)).Trim();
                body ??= await template.Body.RenderAsync(values);
            }
            catch (TemplateRenderException e)
            {
                throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"template \"{name}\": {e.Message}");
            }
        }
        if (string.IsNullOrWhiteSpace(subject))
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, "a mail needs a subject: give the step's subject input or a template with a Subject: line");
        if (subject.Contains('\n') || subject.Contains('\r'))
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, "the subject must be one line");

        var message = new MimeMessage
        {
            Subject = subject,
            MessageId = MessageIdFor(operation.IdempotencyKey, _settings.From),
            Date = _clock.GetUtcNow(),
            Body = new TextPart("plain") { Text = body ?? "" },
        };
        message.From.Add(_settings.From);
        message.To.AddRange(recipients);
        message.Headers.Add(IdempotencyHeader, operation.IdempotencyKey);
        return message;
    }

    private List<MailboxAddress> Recipients(object? value)
    {
        var items = value switch
        {
            string s => s.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            IEnumerable<string> list => list.SelectMany(s => s.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
            _ => [],
        };
        if (items.Length == 0)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, "a mail needs a recipient (to)");
        var result = new List<MailboxAddress>();
        foreach (var item in items)
        {
            if (!MailboxAddress.TryParse(ParserOptions.Default, item, out var address) || !MailAddresses.HasDomain(address))
                throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"to: \"{item}\" is not a mail address");
            result.Add(address);
        }
        return result;
    }

    private async Task<MailTemplate> LoadTemplateAsync(string name, CancellationToken ct)
    {
        if (_settings.Templates is not { } folder)
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"template \"{name}\" asked for, but the system has no config.templates folder");
        if (!Path.IsPathRooted(folder))
        {
            var workspace = await _workspaceDirectory(ct)
                ?? throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"config.templates \"{folder}\" is relative, but no workspace folder is known (apply the workspace with `handoff apply -f DIR`)");
            folder = Path.Combine(workspace, folder);
        }
        try
        {
            // Read on each use: templates are edited in the workspace and should not need a restart.
            return MailTemplate.Load(folder, name);
        }
        catch (MailTemplateException e)
        {
            throw new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, e.Message);
        }
    }

    /// <summary>The step's inputs (to, subject, body) and, at the top level, its <c>values</c> map.</summary>
    private static Dictionary<string, object?> TemplateValues(TargetOperation operation)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in operation.Attributes)
        {
            if (key != MessageAttributes.Values)
                values[key] = value;
        }
        if (operation[MessageAttributes.Values] is IReadOnlyDictionary<string, string> extra)
        {
            foreach (var (key, value) in extra)
                values[key] = value;
        }
        return values;
    }

    private static string? Text(object? value) => value is string { Length: > 0 } s && !string.IsNullOrWhiteSpace(s) ? s : null;

    private async Task<SmtpClient> ConnectAsync(CancellationToken ct)
    {
        var sawCertificate = false;
        var client = new SmtpClient
        {
            Timeout = (int)_settings.Timeout.TotalMilliseconds,
            ServerCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                sawCertificate = true;
                return ValidateCertificate(sender, certificate, chain, errors);
            },
        };
        try
        {
            await client.ConnectAsync(_settings.Host, _settings.Port, _settings.Security, ct);
            if (_settings.Username is { } user)
            {
                var password = Environment.GetEnvironmentVariable(_settings.PasswordEnv!)
                    ?? throw new ConnectorException(SystemId, ConnectorFailure.Denied, $"the environment variable {_settings.PasswordEnv} (config.password_env) is not set");
                await client.AuthenticateAsync(user, password, ct);
            }
            return client;
        }
        catch (SslHandshakeException e) when (_settings.ImplicitTls && !sawCertificate)
        {
            // no certificate came back at all: the port speaks plain SMTP (a submission port), not SMTPS
            client.Dispose();
            throw new ConnectorException(SystemId, ConnectorFailure.Denied,
                $"{Server}: connecting: config.tls is implicit, but the server did not start TLS on connect (a STARTTLS port such as 587? then use tls: starttls); nothing was sent: {FirstLine(e.Message)}", e);
        }
        catch (Exception e) when (e is not ConnectorException && (e is not OperationCanceledException || !ct.IsCancellationRequested))
        {
            client.Dispose();
            throw Classify(e, "connecting");
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The machine's trust store as usual; in addition a chain to a <c>ca_file</c> root. A
    /// name mismatch is never forgiven.</summary>
    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        if (_settings.TrustedCertificates is not { } roots || certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
            return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainElements.Select(e => e.Certificate).ToArray());
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }

    private ConnectorException Classify(Exception e, string doing)
    {
        var where = $"{Server}: {doing}";
        return e switch
        {
            SmtpCommandException { StatusCode: var code } c when (int)code is >= 400 and < 500 =>
                new ConnectorException(SystemId, ConnectorFailure.Unavailable, $"{where}: the server answered {(int)code} (try later): {c.Message.Trim()}", e),
            SmtpCommandException { ErrorCode: SmtpErrorCode.RecipientNotAccepted } c =>
                new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{where}: recipient {c.Mailbox?.Address} refused ({(int)c.StatusCode}): {c.Message.Trim()}", e),
            SmtpCommandException { ErrorCode: SmtpErrorCode.SenderNotAccepted } c =>
                new ConnectorException(SystemId, ConnectorFailure.SchemaViolation, $"{where}: sender {c.Mailbox?.Address} refused ({(int)c.StatusCode}): {c.Message.Trim()}", e),
            SmtpCommandException c =>
                new ConnectorException(SystemId, ConnectorFailure.Denied, $"{where}: the server answered {(int)c.StatusCode}: {c.Message.Trim()}", e),
            NotSupportedException when _settings.Security == SecureSocketOptions.StartTls =>
                new ConnectorException(SystemId, ConnectorFailure.Denied,
                    $"{where}: the server does not offer STARTTLS, and config.starttls is required, so nothing is sent in clear (set starttls: when_available or none only for a relay you trust)", e),
            SslHandshakeException =>
                new ConnectorException(SystemId, ConnectorFailure.Denied,
                    $"{where}: TLS failed — the server's certificate is not trusted or does not name {_settings.Host} (config.ca_file adds a CA to trust): {FirstLine(e.Message)}", e),
            AuthenticationException =>
                new ConnectorException(SystemId, ConnectorFailure.Denied, $"{where}: login as {_settings.Username} refused: {e.Message}", e),
            TimeoutException or OperationCanceledException =>
                new ConnectorException(SystemId, ConnectorFailure.Timeout, $"{where}: no answer within {_settings.Timeout.TotalSeconds:0} s", e),
            SocketException or IOException or SmtpProtocolException or ServiceNotConnectedException =>
                new ConnectorException(SystemId, ConnectorFailure.Unavailable, $"{where}: {e.Message}", e),
            _ => new ConnectorException(SystemId, ConnectorFailure.Unavailable, $"{where}: {e.GetType().Name}: {e.Message}", e),
        };
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
