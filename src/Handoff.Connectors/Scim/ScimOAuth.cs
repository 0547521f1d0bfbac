using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Handoff.Core.Connectors;

namespace Handoff.Connectors.Scim;

/// <summary>
/// OAuth 2.0 client credentials for a SCIM app (RFC 6749 §4.4): where the token endpoint is and which
/// environment variables hold the client id and secret (read at use, like every other connector's
/// secrets, so they never sit in systems.yaml or the database).
/// </summary>
/// <param name="TokenUrl">the app's token endpoint</param>
/// <param name="ClientIdEnv">environment variable holding the client id</param>
/// <param name="ClientSecretEnv">environment variable holding the client secret</param>
/// <param name="Scope">the <c>scope</c> to ask for, or null for the app's default</param>
/// <param name="PostCredentials">send the credentials in the form body (<c>client_secret_post</c>) rather
/// than HTTP Basic (<c>client_secret_basic</c>, the RFC's default every server must accept)</param>
public sealed record ScimOAuthSettings(Uri TokenUrl, string ClientIdEnv, string ClientSecretEnv, string? Scope, bool PostCredentials);

/// <summary>
/// Gets and caches the access token of <see cref="ScimOAuthSettings"/>. The cache is process-wide, per
/// token endpoint, client id and scope: the engine builds a workspace's connectors once per run, and a
/// token is good for every run until it expires. One request at a time asks the endpoint, so a burst of
/// parallel writes after expiry fetches one token, not one each.
/// </summary>
/// <remarks>A token is renewed a little before its <c>expires_in</c> ends (10 % of its life, at most
/// 30 s), so a request does not leave with a token that dies on the way. A token without
/// <c>expires_in</c> is kept for an hour. A 401 from the app invalidates the cached token
/// (<see cref="InvalidateAsync"/>): the app revoked it or rotated its keys.</remarks>
public sealed class ScimOAuthTokens
{
    private sealed class Slot
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public string? Token;
        public DateTimeOffset RenewAt;
    }

    private static readonly ConcurrentDictionary<(Uri Url, string ClientId, string? Scope), Slot> Cache = new();

    private readonly string _systemId;
    private readonly ScimOAuthSettings _settings;
    private readonly HttpClient _client;
    private readonly TimeProvider _clock;

    public ScimOAuthTokens(string systemId, ScimOAuthSettings settings, HttpClient client, TimeProvider clock)
    {
        _systemId = systemId;
        _settings = settings;
        _client = client;
        _clock = clock;
    }

    /// <summary>A token that was valid when last seen; fetched from the endpoint when there is none or it is about to expire.</summary>
    public async Task<string> GetAsync(CancellationToken ct)
    {
        var (clientId, secret) = Credentials();
        var slot = Cache.GetOrAdd((_settings.TokenUrl, clientId, _settings.Scope), _ => new Slot());
        await slot.Gate.WaitAsync(ct);
        try
        {
            if (slot.Token is { } cached && _clock.GetUtcNow() < slot.RenewAt)
                return cached;
            var (token, lifetime) = await FetchAsync(clientId, secret, ct);
            slot.Token = token;
            slot.RenewAt = _clock.GetUtcNow() + lifetime - TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks, lifetime.Ticks / 10));
            return token;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>Forgets <paramref name="rejected"/> (the app answered 401 to it) so the next
    /// <see cref="GetAsync"/> asks the endpoint; a token another request renewed meanwhile is kept.</summary>
    public async Task InvalidateAsync(string rejected, CancellationToken ct)
    {
        var (clientId, _) = Credentials();
        if (!Cache.TryGetValue((_settings.TokenUrl, clientId, _settings.Scope), out var slot))
            return;
        await slot.Gate.WaitAsync(ct);
        try
        {
            if (slot.Token == rejected)
                slot.Token = null;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private (string ClientId, string Secret) Credentials()
    {
        string Need(string name, string key) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v
            : throw new ConnectorException(_systemId, ConnectorFailure.Denied, $"the environment variable {name} (config.{key}) holding the app's OAuth client {(key == "client_id_env" ? "id" : "secret")} is not set");
        return (Need(_settings.ClientIdEnv, "client_id_env"), Need(_settings.ClientSecretEnv, "client_secret_env"));
    }

    private async Task<(string Token, TimeSpan Lifetime)> FetchAsync(string clientId, string secret, CancellationToken ct)
    {
        var what = $"POST {_settings.TokenUrl.GetLeftPart(UriPartial.Path)} (config.token_url)";
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (_settings.Scope is { Length: > 0 } scope)
            form.Add(new("scope", scope));
        using var request = new HttpRequestMessage(HttpMethod.Post, _settings.TokenUrl);
        if (_settings.PostCredentials)
        {
            form.Add(new("client_id", clientId));
            form.Add(new("client_secret", secret));
        }
        else
        {
            // RFC 6749 §2.3.1: both parts form-urlencoded before they are joined for Basic.
            var basic = $"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        }
        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, ct);
        }
        catch (Exception e) when (Http.HttpConnector.Transport(_systemId, what, e, _client.Timeout, ct) is { } failure)
        {
            throw failure;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonObject? json = null;
            try
            {
                json = text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
            }
            catch (JsonException)
            {
                // an HTML page: the status says enough
            }
            var status = (int)response.StatusCode;
            if (status is 429 or >= 500)
                throw new ConnectorException(_systemId, ConnectorFailure.Unavailable, $"{what} answered {status}");
            if (!response.IsSuccessStatusCode)
            {
                // RFC 6749 §5.2: error, error_description
                var error = json?["error"]?.ToString();
                var description = json?["error_description"]?.ToString();
                var detail = error is null ? (text.Length <= 200 ? text : text[..197] + "...") : description is null ? error : $"{error}: {description}";
                throw new ConnectorException(_systemId, ConnectorFailure.Denied, $"{what} answered {status}{(detail.Length > 0 ? ": " + detail : "")}");
            }
            if (json?["access_token"]?.ToString() is not { Length: > 0 } token)
                throw new ConnectorException(_systemId, ConnectorFailure.Denied, $"{what} answered {status} without an access_token");
            if (json["token_type"]?.ToString() is { } type && !type.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
                throw new ConnectorException(_systemId, ConnectorFailure.Denied, $"{what} gave a token of type \"{type}\"; only Bearer tokens are supported");
            var lifetime = json["expires_in"] is JsonValue v && (v.TryGetValue<long>(out var seconds)
                || (v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out seconds))) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : TimeSpan.FromHours(1);
            return (token, lifetime);
        }
    }
}
