using Handoff.Core.Connectors;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;
using static Handoff.Connectors.Tests.Sandbox.SandboxTarget;
using Kind = Handoff.Core.Connectors.TargetOperationKind;

namespace Handoff.Connectors.Tests.Sandbox;

public sealed class ActiveDirectorySandboxTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Created_account_gets_its_DN_UPN_and_normal_account_flags(string provider)
    {
        var ad = await StartAsync(provider);

        var created = await ad.Connector.ApplyAsync(Op(Kind.Create, anchor: "100101", attributes:
            [(AccountAttributes.Username, "z.obrien"), (AccountAttributes.GivenName, "Zoë"), (AccountAttributes.Surname, "O'Brien, Jr."), ("department", "Sales")]), default);

        Assert.False(created.AlreadyApplied);
        Assert.Equal(@"CN=Zoë O'Brien\, Jr.,OU=People,DC=acme,DC=example", created.NativeId);
        Assert.Equal("z.obrien", created.Outputs[AccountAttributes.Username]);
        Assert.Equal("z.obrien@acme.example", created.Outputs["user_principal_name"]);
        var read = await ad.ReadOneAsync(created.NativeId!);
        Assert.Equal("100101", read.Anchor);
        Assert.Equal("100101", read.Attributes["employeeID"]);
        Assert.Equal("Zoë O'Brien, Jr.", read.Attributes[AccountAttributes.DisplayName]);
        Assert.Equal(512L, read.Attributes["userAccountControl"]);
        Assert.Equal(true, read.Attributes[AccountAttributes.Enabled]);
        Assert.Equal("never", read.Attributes["accountExpires"]);
        Assert.Equal("Sales", read.Attributes["department"]);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task SAMAccountName_of_21_characters_is_refused_and_20_accepted(string provider)
    {
        var ad = await StartAsync(provider);

        var e = await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.CreateAsync(new string('a', 21), "1"));
        Assert.Contains("21 characters", e.Message);
        Assert.False(e.IsTransient);
        var ok = await ad.CreateAsync(new string('a', 20), "2");
        Assert.Equal(new string('a', 20), ok.Outputs[AccountAttributes.Username]);
        Assert.Equal(20, ad.Connector.MaxLength(ObjectClasses.Account, AccountAttributes.Username));
        await using var db = ad.Db();
        Assert.Equal(1, await db.SandboxObjects.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Forbidden_characters_in_the_username_are_refused(string provider)
    {
        var ad = await StartAsync(provider);

        foreach (var c in "\"/\\[]:;|=,+*?<>")
        {
            var e = await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.CreateAsync($"bad{c}name", "1"));
            Assert.Contains($"'{c}'", e.Message);
        }
        await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.CreateAsync("trailing.", "1"));
        await using var db = ad.Db();
        Assert.Equal(0, await db.SandboxObjects.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Same_username_for_another_person_is_a_conflict_whatever_its_case(string provider)
    {
        var ad = await StartAsync(provider);
        var first = await ad.CreateAsync("john.smith", "1");

        var e = await FailsAsync(ConnectorFailure.Conflict, () => ad.CreateAsync("John.Smith", "2"));
        Assert.Contains(first.NativeId!, e.Message);
        Assert.True(await ad.Connector.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, "JOHN.SMITH", default));
        Assert.False(await ad.Connector.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, "john.smith2", default));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Create_again_with_the_same_anchor_is_already_applied(string provider)
    {
        var ad = await StartAsync(provider);
        var first = await ad.CreateAsync("john.smith", "100101");

        // the step retried after a crash: another key even, but the entry with its employeeID is there
        var again = await ad.CreateAsync("john.smith", "100101");

        Assert.True(again.AlreadyApplied);
        Assert.Equal(first.NativeId, again.NativeId);
        Assert.Equal("john.smith", again.Outputs[AccountAttributes.Username]);
        Assert.Single(await ad.ReadAllAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Create_without_an_anchor_is_recognised_by_its_idempotency_key(string provider)
    {
        var ad = await StartAsync(provider);
        var op = Op(Kind.Create, key: "run-1/step-2", attributes: [(AccountAttributes.Username, "svc.backup"), (AccountAttributes.DisplayName, "Backup service")]);

        var first = await ad.Connector.ApplyAsync(op, default);
        var again = await ad.Connector.ApplyAsync(op, default);

        Assert.False(first.AlreadyApplied);
        Assert.True(again.AlreadyApplied);
        Assert.Equal(first.NativeId, again.NativeId);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Disable_and_enable_flip_only_the_disable_flag(string provider)
    {
        var ad = await StartAsync(provider);
        // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
        var dn = (await ad.CreateAsync("j.doe", "1", ("userAccountControl", "66048"))).NativeId!;

        var disabled = await ad.ApplyAsync(Kind.Disable, dn);
        var read = await ad.ReadOneAsync(dn);
        Assert.False(disabled.AlreadyApplied);
        Assert.Equal(66050L, read.Attributes["userAccountControl"]);
        Assert.Equal(false, read.Attributes[AccountAttributes.Enabled]);
        Assert.True((await ad.ApplyAsync(Kind.Disable, dn)).AlreadyApplied);

        await ad.ApplyAsync(Kind.Enable, dn);
        read = await ad.ReadOneAsync(dn);
        Assert.Equal(66048L, read.Attributes["userAccountControl"]);
        Assert.Equal(true, read.Attributes[AccountAttributes.Enabled]);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Created_disabled_account_stays_disabled_until_enabled(string provider)
    {
        var ad = await StartAsync(provider);
        var dn = (await ad.CreateAsync("pre.hire", "1", (AccountAttributes.Enabled, false))).NativeId!;

        Assert.Equal(514L, (await ad.ReadOneAsync(dn)).Attributes["userAccountControl"]);
        Assert.False((await ad.ApplyAsync(Kind.Enable, dn)).AlreadyApplied);
        Assert.Equal(512L, (await ad.ReadOneAsync(dn)).Attributes["userAccountControl"]);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Expiry_is_a_date_and_null_means_never(string provider)
    {
        var ad = await StartAsync(provider);
        var dn = (await ad.CreateAsync("leaver", "1")).NativeId!;

        await ad.ApplyAsync(Kind.SetExpiry, dn, (AccountAttributes.Expires, new DateOnly(2026, 12, 31)));
        var read = await ad.ReadOneAsync(dn);
        Assert.Equal(new DateOnly(2026, 12, 31), read.Attributes[AccountAttributes.Expires]);
        Assert.Equal("2026-12-31", read.Attributes["accountExpires"]);

        // the dictionary's filetime converter writes accountExpires natively: the first expired instant
        var filetime = new DateTime(2027, 1, 16, 0, 0, 0, DateTimeKind.Utc).ToFileTimeUtc();
        await ad.ApplyAsync(Kind.Update, dn, ("accountExpires", filetime.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(new DateOnly(2027, 1, 15), (await ad.ReadOneAsync(dn)).Attributes[AccountAttributes.Expires]);

        await ad.ApplyAsync(Kind.SetExpiry, dn, (AccountAttributes.Expires, null));
        read = await ad.ReadOneAsync(dn);
        Assert.Null(read.Attributes[AccountAttributes.Expires]);
        Assert.Equal("never", read.Attributes["accountExpires"]);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Move_changes_the_container_and_the_DN(string provider)
    {
        var ad = await StartAsync(provider);
        var dn = (await ad.CreateAsync("mover", "1")).NativeId!;

        var moved = await ad.ApplyAsync(Kind.Move, dn, (AccountAttributes.Container, "OU=Sales,OU=People"));

        Assert.Equal("CN=Ada Lovelace 1,OU=Sales,OU=People,DC=acme,DC=example", moved.NativeId);
        var read = await ad.ReadOneAsync(moved.NativeId!);
        Assert.Equal("OU=Sales,OU=People", read.Attributes[AccountAttributes.Container]);
        Assert.Equal(moved.NativeId, read.Attributes["distinguishedName"]);
        await FailsAsync(ConnectorFailure.NotFound, () => ad.ApplyAsync(Kind.Disable, dn));
        await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.ApplyAsync(Kind.Move, moved.NativeId!, (AccountAttributes.Container, "Sales")));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Two_people_with_the_same_name_in_one_OU_collide_on_the_DN(string provider)
    {
        var ad = await StartAsync(provider);
        await ad.Connector.ApplyAsync(Op(Kind.Create, anchor: "1", attributes: [(AccountAttributes.Username, "jsmith"), (AccountAttributes.DisplayName, "John Smith")]), default);

        var e = await FailsAsync(ConnectorFailure.Conflict, () => ad.Connector.ApplyAsync(
            Op(Kind.Create, anchor: "2", attributes: [(AccountAttributes.Username, "jsmith2"), (AccountAttributes.DisplayName, "John Smith")]), default));

        Assert.Contains("CN=John Smith,OU=People", e.Message);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Groups_are_added_and_removed_idempotently_and_created_on_first_use(string provider)
    {
        var ad = await StartAsync(provider);
        var dn = (await ad.CreateAsync("joiner", "1", (AccountAttributes.Groups, new[] { "all-staff" }))).NativeId!;

        Assert.False((await ad.ApplyAsync(Kind.AddToGroups, dn, (AccountAttributes.Groups, new[] { "sales", "vpn" }))).AlreadyApplied);
        Assert.True((await ad.ApplyAsync(Kind.AddToGroups, dn, (AccountAttributes.Groups, "sales"))).AlreadyApplied);
        Assert.Equal(["all-staff", "sales", "vpn"], (List<string>)(await ad.ReadOneAsync(dn)).Attributes[AccountAttributes.Groups]!);

        await ad.ApplyAsync(Kind.RemoveFromGroups, dn, (AccountAttributes.Groups, new[] { "vpn", "never-member" }));
        Assert.True((await ad.ApplyAsync(Kind.RemoveFromGroups, dn, (AccountAttributes.Groups, "vpn"))).AlreadyApplied);
        Assert.Equal(["all-staff", "sales"], (List<string>)(await ad.ReadOneAsync(dn)).Attributes[AccountAttributes.Groups]!);
        Assert.Equal(["all-staff", "sales", "vpn"], (await ad.ReadAllAsync("group")).Select(g => g.NativeId).Order());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Unknown_groups_are_refused_when_groups_must_exist(string provider)
    {
        var ad = await StartAsync(provider, groupsMustExist: true, groups: ["all-staff"]);
        var dn = (await ad.CreateAsync("joiner", "1", (AccountAttributes.Groups, new[] { "all-staff" }))).NativeId!;

        var e = await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.ApplyAsync(Kind.AddToGroups, dn, (AccountAttributes.Groups, new[] { "all-staff", "no-such-group" })));

        Assert.Contains("no-such-group", e.Message);
        Assert.Equal(["all-staff"], (List<string>)(await ad.ReadOneAsync(dn)).Attributes[AccountAttributes.Groups]!);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Update_writes_mapped_and_native_attributes_and_refuses_what_AD_does_not_have(string provider)
    {
        var ad = await StartAsync(provider);
        var dn = (await ad.CreateAsync("j.doe", "1")).NativeId!;

        await ad.ApplyAsync(Kind.Update, dn, (AccountAttributes.Email, "j.doe@acme.example"), ("title", "Engineer"), (AccountAttributes.Username, "jane.doe"));
        var read = await ad.ReadOneAsync(dn);
        Assert.Equal("j.doe@acme.example", read.Attributes["mail"]);
        Assert.Equal("Engineer", read.Attributes["title"]);
        Assert.Equal("jane.doe", read.Attributes["sAMAccountName"]);
        Assert.Equal("jane.doe@acme.example", read.Attributes["userPrincipalName"]);
        Assert.Equal(dn, read.NativeId); // a new sAMAccountName does not rename the object
        Assert.True((await ad.ApplyAsync(Kind.Update, dn, ("title", "Engineer"))).AlreadyApplied);

        var e = await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.ApplyAsync(Kind.Update, dn, ("favouriteColour", "blue"), ("userPrincipalName", "x@y.z"), ("department", new string('d', 65))));
        Assert.Contains("favouriteColour", e.Message);
        Assert.Contains("userPrincipalName", e.Message);
        Assert.Contains("department is 65 characters", e.Message);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_account_needs_a_name(string provider)
    {
        var ad = await StartAsync(provider);

        var e = await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.Connector.ApplyAsync(Op(Kind.Create, anchor: "1", attributes: [(AccountAttributes.Username, "nameless")]), default));

        Assert.Contains("display_name", e.Message);
        await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.Connector.ApplyAsync(Op(Kind.Create, anchor: "1", attributes: [(AccountAttributes.DisplayName, "No Username")]), default));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Password_is_checked_against_the_policy_and_only_a_hash_is_stored(string provider)
    {
        var ad = await StartAsync(provider);
        var dn = (await ad.CreateAsync("j.doe", "1")).NativeId!;

        await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.ApplyAsync(Kind.SetPassword, dn, (AccountAttributes.Password, "short")));
        await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.ApplyAsync(Kind.SetPassword, dn, (AccountAttributes.Password, "J.doe-Secret-1")));
        var set = await ad.ApplyAsync(Kind.SetPassword, dn, (AccountAttributes.Password, "Correct-Horse-9"));

        Assert.DoesNotContain(set.Outputs.Values, v => v is string s && s.Contains("Correct-Horse-9"));
        await using var db = ad.Db();
        var row = await db.SandboxObjects.SingleAsync();
        Assert.DoesNotContain("Correct-Horse-9", row.AttributesJson);
        Assert.Contains("pbkdf2-sha256$", row.AttributesJson);
        var read = await ad.ReadOneAsync(dn);
        Assert.Equal(true, read.Attributes["password_set"]);
        Assert.DoesNotContain(read.Attributes.Values, v => v is string s && s.Contains("pbkdf2"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Delete_removes_the_account_and_later_writes_find_nothing(string provider)
    {
        var ad = await StartAsync(provider);
        var dn = (await ad.CreateAsync("leaver", "1")).NativeId!;

        Assert.Equal(dn, (await ad.ApplyAsync(Kind.Delete, dn)).NativeId);

        Assert.Empty(await ad.ReadAllAsync());
        var e = await FailsAsync(ConnectorFailure.NotFound, () => ad.ApplyAsync(Kind.Delete, dn));
        Assert.False(e.IsTransient);
        await FailsAsync(ConnectorFailure.NotFound, () => ad.ApplyAsync(Kind.Enable, dn));
        Assert.False(await ad.Connector.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, "leaver", default));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Operations_a_directory_does_not_have_are_refused(string provider)
    {
        var ad = await StartAsync(provider);

        await FailsAsync(ConnectorFailure.SchemaViolation, () => ad.Connector.ApplyAsync(
            Op(Kind.CreateTicket, objectClass: ObjectClasses.Ticket, attributes: [(MessageAttributes.Title, "Laptop")]), default));
    }
}
