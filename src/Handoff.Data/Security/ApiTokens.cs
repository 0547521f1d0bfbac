using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Security;

/// <summary>A token just created: <see cref="Token"/> is the only time its text exists outside the caller.</summary>
public sealed record CreatedApiToken(ApiTokenInfo Info, string Token);

/// <summary>What is known about a token (never its text or hash).</summary>
public sealed record ApiTokenInfo(long Id, string System, string Name, IReadOnlyList<string> Scopes, string Prefix, DateTimeOffset CreatedAt,
    string CreatedBy, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt)
{
    public string StatusAt(DateTimeOffset now) => RevokedAt is not null ? "revoked" : ExpiresAt <= now ? "expired" : "active";

    internal static ApiTokenInfo From(ApiTokenRow r) => new(r.Id, r.System, r.Name, ApiTokens.SplitScopes(r.Scopes), r.Prefix, r.CreatedAt,
        r.CreatedBy, r.ExpiresAt, r.RevokedAt, r.LastUsedAt);
}

/// <summary>The answer to "may this token do that": the token when yes, the reason when no.</summary>
public sealed record TokenCheck(bool Allowed, string? Refusal, ApiTokenInfo? Token)
{
    internal static TokenCheck Refused(string reason, ApiTokenRow? row = null) => new(false, reason, row is null ? null : ApiTokenInfo.From(row));
}

/// <summary>A token request that cannot be honoured (unknown system or scope, unknown token id).</summary>
public sealed class ApiTokenException(string message) : Exception(message);

/// <summary>
/// API tokens for inbound systems (webhooks, the SCIM server): random, shown once, stored as a hash,
/// scoped to one system and to named operations, with expiry and revocation.
/// </summary>
public sealed class ApiTokens(DatabaseOptions database, TimeProvider clock, Audit.AuditLog audit)
{
    public const string TokenPrefix = "hoff_";
    public const string HooksWrite = "hooks:write";
    public const string ScimRead = "scim:read";
    public const string ScimWrite = "scim:write";

    /// <summary>Scopes <c>api:ROLE</c> (<c>api:viewer</c>, <c>api:auditor</c>…): the token may call the
    /// REST API under <c>/api</c> with that role's permissions, acting as its system.</summary>
    public const string ApiScopePrefix = "api:";

    public static readonly IReadOnlyList<string> KnownScopes = [HooksWrite, ScimRead, ScimWrite, .. Accounts.HandoffRoles.All.Select(r => ApiScopePrefix + r)];

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // 43 base62 characters carry 256 bits, as many as 32 random bytes.
    private const int RandomLength = 43;
    private const int DisplayLength = 8;
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>Creates a token for <paramref name="system"/> with <paramref name="scopes"/>; the
    /// returned text is shown once and never stored.</summary>
    public async Task<CreatedApiToken> CreateAsync(string system, IReadOnlyCollection<string> scopes, TimeSpan? expiresIn, string actor,
        CancellationToken ct = default, string? name = null)
    {
        if (scopes.Count == 0)
            throw new ApiTokenException($"a token needs at least one scope ({string.Join(", ", KnownScopes)})");
        var unknown = scopes.Where(s => !KnownScopes.Contains(s)).ToList();
        if (unknown.Count > 0)
            throw new ApiTokenException($"unknown scope(s) {string.Join(", ", unknown)}; known: {string.Join(", ", KnownScopes)}");
        if (expiresIn is { } e && e <= TimeSpan.Zero)
            throw new ApiTokenException("the expiry must be in the future");
        if (string.IsNullOrWhiteSpace(actor))
            throw new ApiTokenException("say who creates the token (--as NAME)");

        await using var db = database.CreateContext();
        if (!await db.Systems.AnyAsync(s => s.Id == system, ct))
            throw new ApiTokenException($"no system '{system}' in the workspace");

        var token = TokenPrefix + RandomNumberGenerator.GetString(Base62, RandomLength);
        var now = clock.GetUtcNow();
        var row = new ApiTokenRow
        {
            System = system,
            Name = string.IsNullOrWhiteSpace(name) ? $"{system} {string.Join(" ", scopes)}" : name.Trim(),
            Scopes = string.Join(' ', scopes.Distinct().Order(StringComparer.Ordinal)),
            Hash = HashOf(token),
            Prefix = token[..(TokenPrefix.Length + DisplayLength)],
            CreatedAt = now,
            CreatedBy = actor,
            ExpiresAt = expiresIn is { } ttl ? now + ttl : null,
        };
        db.ApiTokens.Add(row);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await audit.AppendAsync(db, new Core.Audit.AuditDraft($"user:{actor}", "token.created", "api_token", row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [new("system", null, system), new("scopes", null, row.Scopes), new("expires_at", null, row.ExpiresAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture))], system, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new CreatedApiToken(ApiTokenInfo.From(row), token);
    }

    public async Task<IReadOnlyList<ApiTokenInfo>> ListAsync(CancellationToken ct = default)
    {
        await using var db = database.CreateContext();
        var rows = await db.ApiTokens.AsNoTracking().OrderBy(t => t.Id).ToListAsync(ct);
        return [.. rows.Select(ApiTokenInfo.From)];
    }

    /// <summary>Revokes a token now. Revoking a revoked token keeps its first revocation time.</summary>
    public async Task<ApiTokenInfo> RevokeAsync(long id, CancellationToken ct = default, string actor = "unknown")
    {
        await using var db = database.CreateContext();
        var row = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id, ct) ?? throw new ApiTokenException($"no token {id}");
        row.RevokedAt ??= clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await audit.AppendAsync(db, new Core.Audit.AuditDraft($"user:{actor}", "token.revoked", "api_token", id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [new("system", null, row.System)], row.System, null, row.RevokedAt), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return ApiTokenInfo.From(row);
    }

    /// <summary>Whether <paramref name="token"/> may do <paramref name="scope"/> on <paramref name="system"/>
    /// now; when refused, the reason (unknown, revoked, expired, other system, missing scope).</summary>
    public async Task<TokenCheck> AuthenticateAsync(string? token, string system, string scope, CancellationToken ct = default)
    {
        var check = await AuthenticateAsync(token, ct);
        if (!check.Allowed)
            return check;
        var info = check.Token!;
        if (!string.Equals(info.System, system, StringComparison.Ordinal))
            return new TokenCheck(false, $"token {info.Prefix}… is not for system '{system}'", info);
        if (!info.Scopes.Contains(scope))
            return new TokenCheck(false, $"token {info.Prefix}… lacks the scope {scope}", info);
        return check;
    }

    /// <summary>Whether <paramref name="token"/> is a known, unrevoked, unexpired token, whatever its
    /// system and scopes (the caller checks those); records its use.</summary>
    public async Task<TokenCheck> AuthenticateAsync(string? token, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(token) || !token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length != TokenPrefix.Length + RandomLength)
            return TokenCheck.Refused("not a Handoff API token (hoff_…)");
        var prefix = token[..(TokenPrefix.Length + DisplayLength)];
        var hash = Convert.FromHexString(HashOf(token));

        await using var db = database.CreateContext();
        // Looked up by the public prefix, then compared in constant time, so response times say
        // nothing about how much of a guessed hash matched.
        var candidates = await db.ApiTokens.Where(t => t.Prefix == prefix).ToListAsync(ct);
        var row = candidates.FirstOrDefault(c => CryptographicOperations.FixedTimeEquals(Convert.FromHexString(c.Hash), hash));
        if (row is null)
            return TokenCheck.Refused("unknown token");
        var now = clock.GetUtcNow();
        if (row.RevokedAt is { } revoked)
            return TokenCheck.Refused($"token {row.Prefix}… was revoked at {revoked:u}", row);
        if (row.ExpiresAt is { } expires && expires <= now)
            return TokenCheck.Refused($"token {row.Prefix}… expired at {expires:u}", row);

        if (row.LastUsedAt is null || now - row.LastUsedAt >= LastUsedResolution)
        {
            row.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }
        return new TokenCheck(true, null, ApiTokenInfo.From(row));
    }

    /// <summary>
    /// SHA-256 of the token, hex. Not a password hash (PBKDF2, Argon2…) on purpose: those are slow to
    /// make guessing a low-entropy password expensive, but a token is 256 random bits — no amount of
    /// guessing finds one, fast hash or not — and a slow hash on every request would only give callers
    /// a way to burn the server's CPU. Same reasoning as GitHub's and Stripe's API keys.
    /// </summary>
    internal static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    internal static IReadOnlyList<string> SplitScopes(string scopes) => scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
