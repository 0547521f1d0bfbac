using System.Security.Claims;
using Handoff.Data.People;
using Handoff.Data.Security;
using Handoff.Server.Web.Account;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;

namespace Handoff.Server.Web.Admin;

public sealed record NewUser(string UserName, string? DisplayName, IReadOnlyList<string> Roles);

public sealed record RoleChange(IReadOnlyList<string> Roles);

public sealed record NewToken(string System, IReadOnlyList<string> Scopes, int? ExpiresInDays, string? Name);

/// <summary>A key of the ring and how many stored values it encrypts.</summary>
public sealed record KeyStatus(string KeyId, bool Current, long Values);

public static class AdminActions
{
    public static async Task<IReadOnlyList<KeyStatus>> KeysAsync(HandoffRuntime runtime, CancellationToken ct)
    {
        var ring = runtime.Keys.Cipher.Ring;
        var counts = await new KeyRotation(runtime.Database, runtime.Clock).CountByKeyAsync(ct);
        var result = ring.KeyIds.Select(id => new KeyStatus(id, id == ring.CurrentKeyId, counts.GetValueOrDefault(id))).ToList();
        // Values under a key this node's ring does not hold (written by a node with another ring).
        result.AddRange(counts.Where(c => !ring.Contains(c.Key)).Select(c => new KeyStatus(c.Key, false, c.Value)));
        return result;
    }

    /// <summary>What retention would do (<paramref name="dryRun"/>) or does now. A dry run may be asked
    /// "as of" a later day, to see what becomes due.</summary>
    public static async Task<IReadOnlyList<PurgeAction>> RetentionAsync(HandoffRuntime runtime, bool dryRun, DateOnly? asOf, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var purge = dryRun && asOf is { } day ? new RetentionPurge(runtime.Database, new PinnedClock(day), runtime.Keys, runtime.Audit) : runtime.Retention;
        return await purge.RunAsync(workspace.Definition.Dictionary, dryRun, ct);
    }

    public static object Purge(PurgeAction a) => new
    {
        person_id = a.PersonId,
        purged = a.Purged,
        fields = a.Fields.Select(f => new { field = f.Field, policy = f.Policy, action = f.Action.ToString().ToLowerInvariant() }),
    };

    public static object Token(ApiTokenInfo t, DateTimeOffset now) => new
    {
        id = t.Id,
        prefix = t.Prefix,
        system = t.System,
        name = t.Name,
        scopes = t.Scopes,
        status = t.StatusAt(now),
        created_at = t.CreatedAt,
        created_by = t.CreatedBy,
        expires_at = t.ExpiresAt,
        last_used_at = t.LastUsedAt,
    };
}

public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Admin");
        users.MapGet("/", async (UserAccounts accounts, CancellationToken ct) => Results.Ok(await accounts.ListAsync(ct)))
            .WithName("ListUsers").WithSummary("Users with their roles and lockout").RequireAuthorization(Capabilities.AdminUsers);
        users.MapPost("/", async (NewUser user, UserAccounts accounts, ClaimsPrincipal me, CancellationToken ct) =>
        {
            var (created, password) = await accounts.CreateAsync(user.UserName, user.DisplayName, user.Roles, me.Actor(), ct);
            return Results.Created($"/api/users/{created.UserName}", new { user_name = created.UserName, one_time_password = password });
        }).WithName("CreateUser").WithSummary("Create a local account; its one-time password is in the answer, once").RequireAuthorization(Capabilities.AdminUsers);
        users.MapPut("/{userName}/roles", async (string userName, RoleChange change, UserAccounts accounts, ClaimsPrincipal me, CancellationToken ct) =>
            Results.Ok(new { user_name = userName, roles = await accounts.SetRolesAsync(userName, change.Roles, me.Actor(), ct) }))
            .WithName("SetUserRoles").WithSummary("Replace a user's roles (audited)").RequireAuthorization(Capabilities.AdminUsers);
        users.MapPost("/{userName}/password-reset", async (string userName, UserAccounts accounts, ClaimsPrincipal me, CancellationToken ct) =>
            Results.Ok(new { user_name = userName, one_time_password = await accounts.ResetPasswordAsync(userName, me.Actor(), ct) }))
            .WithName("ResetUserPassword").WithSummary("Set a new one-time password and lift a lockout").RequireAuthorization(Capabilities.AdminUsers);

        var tokens = api.MapGroup("/tokens").WithTags("Admin");
        tokens.MapGet("/", async (HandoffRuntime runtime, CancellationToken ct) =>
        {
            var now = runtime.Clock.GetUtcNow();
            return Results.Ok((await runtime.Tokens.ListAsync(ct)).Select(t => AdminActions.Token(t, now)));
        }).WithName("ListTokens").WithSummary("API tokens (never their text)").RequireAuthorization(Capabilities.AdminTokens);
        tokens.MapPost("/", async (NewToken token, HandoffRuntime runtime, ClaimsPrincipal me, CancellationToken ct) =>
        {
            var created = await runtime.Tokens.CreateAsync(token.System, token.Scopes, token.ExpiresInDays is { } d ? TimeSpan.FromDays(d) : null, me.Actor(), ct, token.Name);
            return Results.Created($"/api/tokens/{created.Info.Id}", new { token = created.Token, info = AdminActions.Token(created.Info, runtime.Clock.GetUtcNow()) });
        }).WithName("CreateToken").WithSummary("Create a token for one system and scopes; its text is in the answer, once").RequireAuthorization(Capabilities.AdminTokens);
        tokens.MapDelete("/{id:long}", async (long id, HandoffRuntime runtime, ClaimsPrincipal me, CancellationToken ct) =>
            Results.Ok(AdminActions.Token(await runtime.Tokens.RevokeAsync(id, ct, me.Actor()), runtime.Clock.GetUtcNow())))
            .WithName("RevokeToken").WithSummary("Revoke a token now").RequireAuthorization(Capabilities.AdminTokens);

        api.MapGet("/keys", async (HandoffRuntime runtime, CancellationToken ct) => Results.Ok(await AdminActions.KeysAsync(runtime, ct)))
            .WithTags("Admin").WithName("KeyStatus").WithSummary("Key ids, the current key, how many values each encrypts").RequireAuthorization(Capabilities.AdminKeys);
        api.MapGet("/retention/due", async (DateOnly? asOf, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok((await AdminActions.RetentionAsync(runtime, true, asOf, ct)).Select(AdminActions.Purge)))
            .WithTags("Admin").WithName("RetentionDryRun").WithSummary("What retention would purge (dry run), optionally as of a later day").RequireAuthorization(Capabilities.RetentionRead);
        return api;
    }
}
