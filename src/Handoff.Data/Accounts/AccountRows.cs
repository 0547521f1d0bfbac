using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Accounts;

/// <summary>A person who signs in to Handoff (ASP.NET Core Identity, table <c>users</c>). The user
/// name is matched to the charter's member ids, so <c>alice</c> signs dictionary versions as alice.</summary>
public sealed class HandoffUser : IdentityUser
{
    public string DisplayName { get; set; } = "";

    /// <summary>Set for a one-time password (first run, reset): every page leads to the change-password
    /// page until the user chose their own.</summary>
    public bool MustChangePassword { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Null for local accounts; the provider name for accounts created by single sign-on.</summary>
    public string? ExternalProvider { get; set; }
}

/// <summary>The roles of the permission matrix (docs/permissions.md). Identity stores them in <c>roles</c>.</summary>
public static class HandoffRoles
{
    public const string HrAdmin = "hr_admin";
    public const string HrOperator = "hr_operator";
    public const string ItAdmin = "it_admin";
    public const string ItOperator = "it_operator";
    public const string Auditor = "auditor";
    public const string Viewer = "viewer";

    public static readonly IReadOnlyList<string> All = [HrAdmin, HrOperator, ItAdmin, ItOperator, Auditor, Viewer];
}

/// <summary>
/// The Identity tables inside <see cref="HandoffDbContext"/>, renamed to the snake_case names of the
/// rest of the schema (<c>users</c>, <c>roles</c>, <c>user_roles</c>…). Kept apart from the other
/// entity configuration so that other features' model changes merge without touching it.
/// </summary>
internal static class AccountModel
{
    public static void Configure(ModelBuilder b)
    {
        b.Entity<HandoffUser>(e =>
        {
            e.ToTable("users");
            e.Property(u => u.DisplayName).HasMaxLength(200);
            e.Property(u => u.ExternalProvider).HasMaxLength(100);
        });
        b.Entity<IdentityRole>().ToTable("roles");
        b.Entity<IdentityUserRole<string>>().ToTable("user_roles");
        b.Entity<IdentityUserClaim<string>>().ToTable("user_claims");
        b.Entity<IdentityUserLogin<string>>().ToTable("user_logins");
        b.Entity<IdentityUserToken<string>>().ToTable("user_tokens");
        b.Entity<IdentityRoleClaim<string>>().ToTable("role_claims");
    }
}
