using System.Security.Claims;
using System.Security.Cryptography;
using Handoff.Core.Audit;
using Handoff.Data;
using Handoff.Data.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Handoff.Server.Web.Account;

/// <summary>A user as the admin pages, the API and <c>handoff users list</c> show it.</summary>
public sealed record UserSummary(string UserName, string DisplayName, IReadOnlyList<string> Roles, bool MustChangePassword,
    DateTimeOffset? LockedOutUntil, int FailedSignIns, string? ExternalProvider);

/// <summary>A refused account change (unknown user or role, a password the rules refuse…).</summary>
public sealed class AccountException(string message) : Exception(message);

/// <summary>
/// Local accounts: create, list, change roles, reset a password (one-time, must be changed at the
/// next sign-in), and the first-run admin. Used by the admin pages, the API and the CLI
/// (<c>handoff users …</c>, <c>demo</c>, <c>serve</c>); every change is an audit entry.
/// </summary>
public sealed class UserAccounts(UserManager<HandoffUser> users, RoleManager<IdentityRole> roles, HandoffRuntime runtime)
{
    public const string AdminUserName = "admin";

    /// <summary>The password rules and lockout of every Handoff user store (web host and CLI alike).</summary>
    public static void ConfigureIdentity(IdentityOptions o)
    {
        o.Password.RequiredLength = 12;
        o.Password.RequireDigit = true;
        o.Password.RequireLowercase = true;
        o.Password.RequireUppercase = true;
        o.Password.RequireNonAlphanumeric = false;
        o.Password.RequiredUniqueChars = 6;
        o.Lockout.AllowedForNewUsers = true;
        o.Lockout.MaxFailedAccessAttempts = 5;
        o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
        o.User.RequireUniqueEmail = false;
        o.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@";
        o.SignIn.RequireConfirmedAccount = false;
    }

    /// <summary>The services of the user store outside the web host (CLI verbs): the same rules.</summary>
    public static ServiceProvider CreateServices(HandoffRuntime runtime)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(runtime);
        services.AddDbContext<HandoffDbContext>(runtime.Database.Configure);
        services.AddIdentityCore<HandoffUser>(ConfigureIdentity).AddRoles<IdentityRole>().AddEntityFrameworkStores<HandoffDbContext>();
        services.AddScoped<UserAccounts>();
        return services.BuildServiceProvider();
    }

    /// <summary>A random password that meets the rules: 4 groups of 4 (upper, lower, digits, mixed),
    /// about 80 bits.</summary>
    public static string OneTimePassword() =>
        string.Join('-',
            RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZ", 4),
            RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyz", 4),
            RandomNumberGenerator.GetString("23456789", 4),
            RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 4));

    public async Task EnsureRolesAsync()
    {
        foreach (var role in HandoffRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
                Check(await roles.CreateAsync(new IdentityRole(role)));
        }
    }

    /// <summary>On first run (no user at all) creates <c>admin</c> with hr_admin and it_admin and a
    /// one-time password, returned once; null when users exist.</summary>
    public async Task<string?> EnsureFirstAdminAsync(CancellationToken ct)
    {
        await EnsureRolesAsync();
        if (await users.Users.AnyAsync(ct))
            return null;
        var (_, password) = await CreateAsync(AdminUserName, "Administrator", [HandoffRoles.HrAdmin, HandoffRoles.ItAdmin], "system:first-run", ct);
        return password;
    }

    /// <summary>Creates a local account with a one-time password (returned once, to be changed at first sign-in).</summary>
    public async Task<(HandoffUser User, string Password)> CreateAsync(string userName, string? displayName, IReadOnlyCollection<string> roleNames, string actor,
        CancellationToken ct, string? password = null)
    {
        await EnsureRolesAsync();
        CheckRoles(roleNames);
        if (await users.FindByNameAsync(userName) is not null)
            throw new AccountException($"a user '{userName}' exists already");
        var user = new HandoffUser
        {
            UserName = userName,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? userName : displayName.Trim(),
            MustChangePassword = password is null,
            CreatedAt = runtime.Clock.GetUtcNow(),
        };
        password ??= OneTimePassword();
        Check(await users.CreateAsync(user, password));
        Check(await users.AddToRolesAsync(user, roleNames.Distinct()));
        await AuditAsync(actor, "user.created", userName, [new("roles", null, string.Join(",", roleNames.Order(StringComparer.Ordinal)))], ct);
        return (user, password);
    }

    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken ct)
    {
        var all = await users.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(ct);
        var result = new List<UserSummary>();
        foreach (var u in all)
        {
            var lockedOut = u.LockoutEnd is { } end && end > runtime.Clock.GetUtcNow() ? end : (DateTimeOffset?)null;
            result.Add(new UserSummary(u.UserName!, u.DisplayName, [.. (await users.GetRolesAsync(u)).Order(StringComparer.Ordinal)],
                u.MustChangePassword, lockedOut, u.AccessFailedCount, u.ExternalProvider));
        }
        return result;
    }

    /// <summary>Replaces a user's roles; the change (before → after) is an audit entry.</summary>
    public async Task<IReadOnlyList<string>> SetRolesAsync(string userName, IReadOnlyCollection<string> roleNames, string actor, CancellationToken ct)
    {
        CheckRoles(roleNames);
        var user = await FindAsync(userName);
        var before = (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal).ToList();
        var after = roleNames.Distinct().Order(StringComparer.Ordinal).ToList();
        if (before.SequenceEqual(after))
            return after;
        if (userName == actor && !after.Any(r => r is HandoffRoles.HrAdmin or HandoffRoles.ItAdmin))
            throw new AccountException("you cannot take away your own administration rights; ask another administrator");
        Check(await users.RemoveFromRolesAsync(user, before.Except(after)));
        Check(await users.AddToRolesAsync(user, after.Except(before)));
        // A new security stamp ends the user's other sessions at their next request check.
        await users.UpdateSecurityStampAsync(user);
        await AuditAsync(actor, "user.roles_changed", userName, [new("roles", string.Join(",", before), string.Join(",", after))], ct);
        return after;
    }

    /// <summary>Sets a new one-time password (returned once) and lifts a lockout.</summary>
    public async Task<string> ResetPasswordAsync(string userName, string actor, CancellationToken ct)
    {
        var user = await FindAsync(userName);
        var password = OneTimePassword();
        if (await users.HasPasswordAsync(user))
            Check(await users.RemovePasswordAsync(user));
        Check(await users.AddPasswordAsync(user, password));
        user.MustChangePassword = true;
        Check(await users.UpdateAsync(user));
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await users.UpdateSecurityStampAsync(user);
        await AuditAsync(actor, "user.password_reset", userName, [], ct);
        return password;
    }

    /// <summary>The user's own change from a one-time (or old) password to one they chose.</summary>
    public async Task<IdentityResult> ChangePasswordAsync(HandoffUser user, string current, string next, CancellationToken ct)
    {
        var result = await users.ChangePasswordAsync(user, current, next);
        if (!result.Succeeded)
            return result;
        user.MustChangePassword = false;
        Check(await users.UpdateAsync(user));
        await AuditAsync(user.UserName!, "user.password_changed", user.UserName!, [], ct);
        return result;
    }

    private async Task<HandoffUser> FindAsync(string userName) =>
        await users.FindByNameAsync(userName) ?? throw new AccountException($"no user '{userName}'");

    private static void CheckRoles(IReadOnlyCollection<string> roleNames)
    {
        var unknown = roleNames.Where(r => !HandoffRoles.All.Contains(r)).ToList();
        if (unknown.Count > 0)
            throw new AccountException($"unknown role(s) {string.Join(", ", unknown)}; known: {string.Join(", ", HandoffRoles.All)}");
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
            throw new AccountException(string.Join("; ", result.Errors.Select(e => e.Description)));
    }

    private Task AuditAsync(string actor, string action, string userName, IReadOnlyList<AuditFieldChange> fields, CancellationToken ct) =>
        AccountAudit.WriteAsync(runtime, actor.Contains(':') ? actor : $"user:{actor}", action, userName, fields, ct);
}

/// <summary>Writes account and sign-in events to the audit log, each in its own transaction.</summary>
public static class AccountAudit
{
    public static async Task WriteAsync(HandoffRuntime runtime, string actor, string action, string userName, IReadOnlyList<AuditFieldChange> fields, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await runtime.Audit.AppendAsync(db, new AuditDraft(actor, action, "user", userName, fields, null, null, runtime.Clock.GetUtcNow()), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }
}

/// <summary>Adds the display name and the "must change password" mark to the sign-in cookie.</summary>
public sealed class HandoffClaimsFactory(UserManager<HandoffUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<HandoffUser, IdentityRole>(users, roles, options)
{
    public const string MustChangePasswordClaim = "handoff:must_change_password";
    public const string DisplayNameClaim = "handoff:display_name";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(HandoffUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(DisplayNameClaim, user.DisplayName));
        if (user.MustChangePassword)
            identity.AddClaim(new Claim(MustChangePasswordClaim, "true"));
        return identity;
    }
}
