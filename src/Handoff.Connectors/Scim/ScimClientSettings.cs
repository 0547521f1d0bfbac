using System.Globalization;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Scim;

/// <summary>How an app wants its users replaced: RFC 7644 PATCH (most apps) or a whole-resource PUT
/// (apps that implement only PUT, e.g. older Atlassian and some home-grown SCIM endpoints).</summary>
public enum ScimUpdateMode { Patch, Put }

/// <summary>
/// The settings of a <c>connector: scim-client</c> system (see <see cref="ConnectorCatalog"/>).
/// </summary>
/// <param name="BaseUrl">the app's SCIM base, e.g. <c>https://app.example/scim/v2/</c> (always ends with a slash)</param>
/// <param name="TokenEnv">name of the environment variable holding the bearer token; null sends no token</param>
/// <param name="Update">PATCH with replace operations, or GET + PUT of the whole user</param>
/// <param name="PageSize">the <c>count</c> of each page a read asks for</param>
/// <param name="Retries">how often a 429, a 5xx or a network failure is retried in-process before the
/// engine's durable retry takes over</param>
/// <param name="RetryDelay">first back-off delay (doubled each retry, with jitter) when the app gives no Retry-After</param>
/// <param name="MaxWait">the longest Retry-After honoured in-process; a longer one is handed to the engine at once</param>
/// <param name="OAuth">OAuth 2.0 client credentials instead of a fixed token (<c>token_url</c>, <c>client_id_env</c>,
/// <c>client_secret_env</c>, <c>scope</c>, <c>token_auth</c>); null when the app takes a fixed token or none</param>
public sealed record ScimClientSettings(Uri BaseUrl, string? TokenEnv, ScimUpdateMode Update, int PageSize, int Retries, TimeSpan RetryDelay, TimeSpan MaxWait,
    ScimOAuthSettings? OAuth = null)
{
    public static ScimClientSettings From(SystemDefinition system)
    {
        int Number(string key, int fallback, int min) => system.Setting(key) is { } v
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min ? n
                : throw new InvalidOperationException($"system {system.Id}: config.{key} \"{v}\" is not a whole number ≥ {min}")
            : fallback;

        var url = system.Setting("url") is { Length: > 0 } u ? u
            : throw new InvalidOperationException($"system {system.Id}: a scim-client system needs config.url (the SCIM base, e.g. https://app.example/scim/v2)");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0)
            throw new InvalidOperationException($"system {system.Id}: config.url \"{url}\" is not an http:// or https:// address without a query");
        var update = (system.Setting("update") ?? "patch").ToLowerInvariant() switch
        {
            "patch" => ScimUpdateMode.Patch,
            "put" => ScimUpdateMode.Put,
            var other => throw new InvalidOperationException($"system {system.Id}: config.update \"{other}\" must be patch or put"),
        };
        var pageSize = Number("page_size", 100, 1);
        return new ScimClientSettings(url.EndsWith('/') ? uri : new Uri(url + "/"), system.Setting("token_env"), update,
            pageSize, Number("retries", 3, 0), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(Number("max_wait_seconds", 30, 0)), OAuthFrom(system));
    }

    private static ScimOAuthSettings? OAuthFrom(SystemDefinition system)
    {
        string[] keys = ["token_url", "client_id_env", "client_secret_env", "scope", "token_auth"];
        if (system.Setting("token_url") is not { Length: > 0 } url)
        {
            return keys.Skip(1).FirstOrDefault(k => system.Setting(k) is not null) is { } stray
                ? throw new InvalidOperationException($"system {system.Id}: config.{stray} needs config.token_url (the app's OAuth 2.0 token endpoint)")
                : null;
        }
        if (system.Setting("token_env") is not null)
            throw new InvalidOperationException($"system {system.Id}: config.token_env and config.token_url exclude each other: a fixed bearer token or OAuth client credentials, not both");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"system {system.Id}: config.token_url \"{url}\" is not an http:// or https:// address");
        string Need(string key) => system.Setting(key) is { Length: > 0 } v ? v
            : throw new InvalidOperationException($"system {system.Id}: config.token_url needs config.{key} (the environment variable holding the OAuth client {(key == "client_id_env" ? "id" : "secret")})");
        var post = (system.Setting("token_auth") ?? "basic").ToLowerInvariant() switch
        {
            "basic" or "client_secret_basic" => false,
            "post" or "client_secret_post" => true,
            var other => throw new InvalidOperationException($"system {system.Id}: config.token_auth \"{other}\" must be basic or post"),
        };
        return new ScimOAuthSettings(uri, Need("client_id_env"), Need("client_secret_env"), system.Setting("scope"), post);
    }
}
