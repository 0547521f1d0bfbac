using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Core.Workflows.Steps;

// Account steps exist twice: for the directory (AD / LDAP) and for SCIM apps. The class is the same;
// the attribute says which kind of system the step writes to.

[Step("directory.create_account", "Create a directory account", HasTarget = true, Target = SystemKind.Directory, Operation = "account.create",
    Description = "Creates the person's account (disabled by default). The username is made unique in the target: john.smith, then john.smith2 …")]
[Step("app.create_account", "Create an app account", HasTarget = true, Target = SystemKind.App, Operation = "account.create",
    Description = "Creates the person's account in a SCIM app. The username is made unique in the app.")]
[StepInput("username", InputKind.Text, Required = true, Description = "Wanted username; a number is added when it is taken")]
[StepInput("alternatives", InputKind.List, Description = "Other usernames to try, in order, before numbering the first")]
[StepInput("display_name", InputKind.Text, Description = "Name shown in address books", Default = "{{ first_name }} {{ last_name }}")]
[StepInput("given_name", InputKind.Text, Default = "{{ first_name }}")]
[StepInput("surname", InputKind.Text, Default = "{{ last_name }}")]
[StepInput("email", InputKind.Email, Description = "Work mail address")]
[StepInput("enabled", InputKind.Bool, Description = "Whether the account can sign in now", Default = "false")]
[StepInput("expires", InputKind.Date, Description = "Last day the account may be used (empty: never)")]
[StepInput("container", InputKind.Text, Description = "OU / container, e.g. ou=Sales,ou=People")]
[StepInput("groups", InputKind.List, Description = "Groups to join at creation")]
[StepInput("attributes", InputKind.Map, Description = "Further native attributes: name → template")]
[StepInput("anchor", InputKind.Text, Description = "Stable id written to the account (AD employeeID)", Default = "{{ employee_id }}")]
public sealed class CreateAccountStep : IWorkflowStep
{
    public async Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken ct)
    {
        // Already linked (the baseline, a rehire, a repeated run): the account is the person's, and its
        // username is what later steps build on (steps.ID.username, e.g. the mail address).
        if (context.LinkedNativeId is { } existing)
        {
            var linked = new Dictionary<string, object?> { ["native_id"] = existing, ["already_linked"] = true };
            if (context.LinkedUsername is { Length: > 0 } name)
                linked["username"] = name;
            return new StepOutcome.Completed(linked);
        }
        var alternatives = new List<string> { context.RequiredText("username") };
        alternatives.AddRange(context.List("alternatives"));
        var anchor = context.Text("anchor") is { Length: > 0 } a ? a : null;
        var username = await context.SelectUniqueAsync(ObjectClasses.Account, AccountAttributes.Username, alternatives, anchor, ct);
        var attributes = new Dictionary<string, object?>
        {
            [AccountAttributes.Username] = username,
            [AccountAttributes.DisplayName] = context.Text("display_name"),
            [AccountAttributes.GivenName] = context.Text("given_name"),
            [AccountAttributes.Surname] = context.Text("surname"),
            [AccountAttributes.Email] = context.Text("email"),
            [AccountAttributes.Enabled] = context.Bool("enabled") ?? false,
            [AccountAttributes.Expires] = context.Date("expires"),
            [AccountAttributes.Container] = context.Text("container"),
            [AccountAttributes.Groups] = context.List("groups"),
        };
        foreach (var (name, value) in context.Map("attributes"))
            attributes[name] = value;
        var result = await context.ApplyAsync(new TargetOperation(TargetOperationKind.Create, ObjectClasses.Account, null,
            anchor, attributes, context.IdempotencyKey), ct);
        var outputs = new Dictionary<string, object?>(result.Outputs)
        {
            ["username"] = result.Outputs.TryGetValue("username", out var chosen) ? chosen : username,
            ["native_id"] = result.NativeId,
        };
        return new StepOutcome.Completed(outputs);
    }
}

/// <summary>Base for the steps that act on the person's linked account.</summary>
public abstract class LinkedAccountStep : IWorkflowStep
{
    public async Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken ct)
    {
        if (context.LinkedNativeId is not { } nativeId)
        {
            return NothingToRemove
                ? new StepOutcome.Skipped($"{context.PersonName} has no account linked in {context.TargetSystem}: nothing to remove")
                : new StepOutcome.Failed($"{context.PersonName} has no account linked in {context.TargetSystem}");
        }
        var (kind, attributes) = Operation(context);
        var result = await context.ApplyAsync(new TargetOperation(kind, ObjectClasses.Account, nativeId, null, attributes,
            context.IdempotencyKey), ct);
        return new StepOutcome.Completed(new Dictionary<string, object?>(result.Outputs) { ["native_id"] = result.NativeId ?? nativeId });
    }

    protected abstract (TargetOperationKind Kind, Dictionary<string, object?> Attributes) Operation(StepContext context);

    /// <summary>Disabling or deleting an account that does not exist leaves the wanted state: skip, don't fail.</summary>
    protected virtual bool NothingToRemove => false;
}

[Step("directory.update_account", "Update a directory account", HasTarget = true, Target = SystemKind.Directory, Operation = "account.update",
    Description = "Writes attributes of the person's account (e.g. title, department, manager after a move).")]
[Step("app.update_account", "Update an app account", HasTarget = true, Target = SystemKind.App, Operation = "account.update")]
[StepInput("display_name", InputKind.Text)]
[StepInput("email", InputKind.Email)]
[StepInput("attributes", InputKind.Map, Description = "Native attributes to write: name → template")]
public sealed class UpdateAccountStep : LinkedAccountStep
{
    protected override (TargetOperationKind, Dictionary<string, object?>) Operation(StepContext context)
    {
        var attributes = new Dictionary<string, object?>();
        if (context.Text("display_name") is { } display)
            attributes[AccountAttributes.DisplayName] = display;
        if (context.Text("email") is { } email)
            attributes[AccountAttributes.Email] = email;
        foreach (var (name, value) in context.Map("attributes"))
            attributes[name] = value;
        return (TargetOperationKind.Update, attributes);
    }
}

[Step("directory.enable", "Enable a directory account", HasTarget = true, Target = SystemKind.Directory, Operation = "account.enable")]
[Step("app.enable", "Enable an app account", HasTarget = true, Target = SystemKind.App, Operation = "account.enable")]
public sealed class EnableAccountStep : LinkedAccountStep
{
    protected override (TargetOperationKind, Dictionary<string, object?>) Operation(StepContext context) => (TargetOperationKind.Enable, []);
}

[Step("directory.disable", "Disable a directory account", HasTarget = true, Target = SystemKind.Directory, Operation = "account.disable",
    Description = "Blocks sign-in without deleting anything. Counts toward the target's disable threshold.")]
[Step("app.disable", "Disable an app account", HasTarget = true, Target = SystemKind.App, Operation = "account.disable")]
public sealed class DisableAccountStep : LinkedAccountStep
{
    protected override bool NothingToRemove => true;

    protected override (TargetOperationKind, Dictionary<string, object?>) Operation(StepContext context) => (TargetOperationKind.Disable, []);
}

[Step("directory.set_expiry", "Set an account's expiry", HasTarget = true, Target = SystemKind.Directory, Operation = "account.expire")]
[StepInput("expires", InputKind.Date, Description = "Last day the account may be used (empty: never expires)")]
public sealed class SetExpiryStep : LinkedAccountStep
{
    protected override (TargetOperationKind, Dictionary<string, object?>) Operation(StepContext context) =>
        (TargetOperationKind.SetExpiry, new() { [AccountAttributes.Expires] = context.Date("expires") });
}

[Step("directory.move", "Move an account to another OU", HasTarget = true, Target = SystemKind.Directory, Operation = "account.move")]
[StepInput("container", InputKind.Text, Required = true, Description = "The new OU / container")]
public sealed class MoveAccountStep : LinkedAccountStep
{
    protected override (TargetOperationKind, Dictionary<string, object?>) Operation(StepContext context) =>
        (TargetOperationKind.Move, new() { [AccountAttributes.Container] = context.RequiredText("container") });
}

[Step("directory.add_to_groups", "Add to groups", HasTarget = true, Target = SystemKind.Directory, Operation = "groups")]
[Step("app.add_to_groups", "Add to app groups", HasTarget = true, Target = SystemKind.App, Operation = "groups")]
[StepInput("groups", InputKind.List, Required = true)]
public sealed class AddToGroupsStep : LinkedAccountStep
{
    protected override (TargetOperationKind, Dictionary<string, object?>) Operation(StepContext context) =>
        (TargetOperationKind.AddToGroups, new() { [AccountAttributes.Groups] = context.List("groups") });
}

[Step("directory.remove_from_groups", "Remove from groups", HasTarget = true, Target = SystemKind.Directory, Operation = "groups",
    Description = "Leaves the listed groups; with no list, every group the account is in.")]
[Step("app.remove_from_groups", "Remove from app groups", HasTarget = true, Target = SystemKind.App, Operation = "groups")]
[StepInput("groups", InputKind.List, Description = "Groups to leave (empty: all)")]
public sealed class RemoveFromGroupsStep : LinkedAccountStep
{
    protected override bool NothingToRemove => true;

    protected override (TargetOperationKind, Dictionary<string, object?>) Operation(StepContext context) =>
        (TargetOperationKind.RemoveFromGroups, new() { [AccountAttributes.Groups] = context.List("groups") });
}

[Step("directory.reset_password", "Reset a password", HasTarget = true, Target = SystemKind.Directory, Operation = "account.password",
    Description = "Sets a random password the person must change; the password is never stored or logged.")]
public sealed class ResetPasswordStep : LinkedAccountStep
{
    protected override (TargetOperationKind, Dictionary<string, object?>) Operation(StepContext context) =>
        (TargetOperationKind.SetPassword, new() { [AccountAttributes.Password] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18)) });
}

[Step("directory.delete", "Delete a directory account", HasTarget = true, Target = SystemKind.Directory, Operation = "account.delete",
    Description = "Removes the account. Counts toward the target's delete threshold.")]
[Step("app.delete", "Delete an app account", HasTarget = true, Target = SystemKind.App, Operation = "account.delete")]
public sealed class DeleteAccountStep : LinkedAccountStep
{
    protected override bool NothingToRemove => true;

    protected override (TargetOperationKind, Dictionary<string, object?>) Operation(StepContext context) => (TargetOperationKind.Delete, []);
}
