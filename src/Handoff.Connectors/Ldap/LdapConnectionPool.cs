using System.Collections.Concurrent;
using System.DirectoryServices.Protocols;
using System.Net;

namespace Handoff.Connectors.Ldap;

/// <summary>
/// A few bound connections to one server, reused across calls: each call borrows one, so up to
/// <see cref="LdapSettings.MaxConcurrency"/> requests are in flight at once. A connection that failed
/// at the transport level (server gone, timeout) is thrown away; the next call opens a fresh one, so
/// the connector recovers by itself when the server comes back.
/// </summary>
internal sealed class LdapConnectionPool(LdapSettings settings, string systemId) : IDisposable
{
    private readonly ConcurrentBag<LdapConnection> _idle = [];
    private readonly SemaphoreSlim _slots = new(settings.MaxConcurrency, settings.MaxConcurrency);
    private bool _disposed;

    /// <summary>Borrows a connection for the whole of <paramref name="use"/> (a paged search keeps its
    /// connection: the paging cookie belongs to it).</summary>
    public async Task<T> UseAsync<T>(Func<LdapConnection, Task<T>> use, CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        LdapConnection? connection = null;
        var healthy = false;
        try
        {
            connection = _idle.TryTake(out var idle) ? idle : await Task.Run(Open, ct);
            var result = await use(connection);
            healthy = true;
            return result;
        }
        catch (DirectoryOperationException)
        {
            // the server answered with an error code: the connection itself is fine
            healthy = true;
            throw;
        }
        finally
        {
            if (connection is not null)
            {
                if (healthy && !_disposed)
                    _idle.Add(connection);
                else
                    connection.Dispose();
            }
            _slots.Release();
        }
    }

    /// <summary>Sends one request on a borrowed connection. Synchronous underneath, on a pool thread:
    /// on Linux the library's Begin/EndSendRequest polls for the answer, which costs tens of
    /// milliseconds a request; concurrency comes from the pool's several connections instead.</summary>
    public static Task<DirectoryResponse> SendAsync(LdapConnection connection, DirectoryRequest request) =>
        Task.Run(() => connection.SendRequest(request));

    private LdapConnection Open()
    {
        var password = settings.PasswordEnv is { } env
            ? Environment.GetEnvironmentVariable(env)
                ?? throw new Core.Connectors.ConnectorException(systemId, Core.Connectors.ConnectorFailure.Denied,
                    $"the bind password is read from the environment variable {env}, which is not set")
            : null;
        var identifier = new LdapDirectoryIdentifier(settings.Url.Host, settings.Port, fullyQualifiedDnsHostName: true, connectionless: false);
        var connection = new LdapConnection(identifier)
        {
            AuthType = settings.BindDn is null ? AuthType.Anonymous : AuthType.Basic,
            Timeout = settings.Timeout,
            AutoBind = false,
        };
        try
        {
            // Linux defaults to LDAPv2, which slapd and AD refuse for these operations.
            connection.SessionOptions.ProtocolVersion = 3;
            connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
            if (settings.UsesSsl)
                connection.SessionOptions.SecureSocketLayer = true;
            if (settings.StartTls)
            {
                // On Linux the library gives libldap the server's address only when it first connects
                // (in Bind or SendRequest); a StartTLS before that goes to libldap's default,
                // ldap://localhost:389 — another server, or none. An anonymous bind first makes
                // the connection to this server; the StartTLS upgrades it, and the real bind below
                // travels encrypted (a failed certificate check throws here, before any password is sent).
                if (!OperatingSystem.IsWindows())
                    connection.Bind();
                connection.SessionOptions.StartTransportLayerSecurity(null);
            }
            if (settings.BindDn is { } bindDn)
                connection.Bind(new NetworkCredential(bindDn, password));
            else
                connection.Bind();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var c))
            c.Dispose();
    }
}
