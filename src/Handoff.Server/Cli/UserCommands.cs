using System.ComponentModel;
using Handoff.Server.Web.Account;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public class UserSettings : HandoffSettings
{
    [CommandArgument(0, "<USER>")]
    [Description("The user name (a charter member's id, to sign dictionary versions as that member).")]
    public string UserName { get; init; } = "";

    [CommandOption("--as <ACTOR>")]
    [Description("Who makes the change (recorded in the audit log).")]
    public string Actor { get; init; } = Environment.UserName;
}

public sealed class UserRolesSettings : UserSettings
{
    [CommandOption("--role <ROLE>")]
    [Description("hr_admin, hr_operator, it_admin, it_operator, auditor, viewer; repeat for several.")]
    public string[] Roles { get; init; } = [];
}

public sealed class UserAddSettings : UserSettings
{
    [CommandOption("--role <ROLE>")]
    [Description("hr_admin, hr_operator, it_admin, it_operator, auditor, viewer; repeat for several.")]
    public string[] Roles { get; init; } = [];

    [CommandOption("--name <NAME>")]
    [Description("The name shown in the web app.")]
    public string? DisplayName { get; init; }
}

/// <summary>A verb on the user store, with the same password rules and audit entries as the web app.</summary>
public abstract class UserCommand<T> : HandoffCommand<T> where T : HandoffSettings
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, T settings, CancellationToken ct)
    {
        await using var services = UserAccounts.CreateServices(runtime);
        await using var scope = services.CreateAsyncScope();
        try
        {
            return await RunAsync(scope.ServiceProvider.GetRequiredService<UserAccounts>(), settings, ct);
        }
        catch (AccountException e)
        {
            throw new HandoffCliException(e.Message);
        }
    }

    protected abstract Task<int> RunAsync(UserAccounts accounts, T settings, CancellationToken ct);
}

public sealed class UsersAddCommand : UserCommand<UserAddSettings>
{
    protected override async Task<int> RunAsync(UserAccounts accounts, UserAddSettings settings, CancellationToken ct)
    {
        var (user, password) = await accounts.CreateAsync(settings.UserName, settings.DisplayName, settings.Roles, settings.Actor, ct);
        Console.MarkupLineInterpolated($"user {user.UserName} ({string.Join(", ", settings.Roles)}) created; one-time password, shown once (to change at the first sign-in):");
        Console.WriteLine(password);
        return 0;
    }
}

public sealed class UsersListCommand : UserCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(UserAccounts accounts, HandoffSettings settings, CancellationToken ct)
    {
        var table = new Table().AddColumns("user", "name", "roles", "status");
        foreach (var u in await accounts.ListAsync(ct))
        {
            table.AddRow(Markup.Escape(u.UserName), Markup.Escape(u.DisplayName), string.Join(", ", u.Roles),
                u.LockedOutUntil is { } l ? $"locked until {l:u}" : u.MustChangePassword ? "must change password" : "active");
        }
        Console.Write(table);
        return 0;
    }
}

public sealed class UsersRolesCommand : UserCommand<UserRolesSettings>
{
    protected override async Task<int> RunAsync(UserAccounts accounts, UserRolesSettings settings, CancellationToken ct)
    {
        var roles = await accounts.SetRolesAsync(settings.UserName, settings.Roles, settings.Actor, ct);
        Console.MarkupLineInterpolated($"{settings.UserName}: {(roles.Count == 0 ? "no roles" : string.Join(", ", roles))}");
        return 0;
    }
}

public sealed class UsersResetPasswordCommand : UserCommand<UserSettings>
{
    protected override async Task<int> RunAsync(UserAccounts accounts, UserSettings settings, CancellationToken ct)
    {
        var password = await accounts.ResetPasswordAsync(settings.UserName, settings.Actor, ct);
        Console.MarkupLineInterpolated($"new one-time password for {settings.UserName} (lockout lifted; to change at the next sign-in):");
        Console.WriteLine(password);
        return 0;
    }
}
