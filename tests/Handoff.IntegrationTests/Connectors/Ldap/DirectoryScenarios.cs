using System.Globalization;
using Handoff.Connectors.Ldap;
using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;

namespace Handoff.IntegrationTests.Connectors.Ldap;

/// <summary>The account lifecycle against a real directory: the same scenarios run on slapd
/// (<see cref="OpenLdapTests"/>) and on Samba AD (<see cref="ActiveDirectoryTests"/>).</summary>
public abstract class DirectoryScenarios(TestDirectory directory)
{
    protected TestDirectory Directory { get; } = directory;

    protected bool Ad => Directory.Dialect == LdapSettings.ActiveDirectory;

    [Fact]
    public async Task Create_update_disable_enable_expire_move_and_delete_change_the_real_entry()
    {
        using var ldap = Directory.Connector(TestDirectory.Unique("life"));
        var user = TestDirectory.Unique("ada.l");
        var anchor = TestDirectory.Unique("E");
        var attributes = Ops.Person(user, "Ada", "Lovelace");
        attributes["title"] = "Engineer";
        var created = await ldap.ApplyAsync(Ops.Create(anchor, attributes), default);
        Assert.False(created.AlreadyApplied);
        var dn = created.NativeId!;
        var entry = Directory.Read(dn)!;
        Assert.Equal(user, entry[ldap.UsernameAttribute].Single());
        Assert.Equal(anchor, entry[ldap.AnchorAttribute].Single());
        Assert.Equal("Engineer", entry["title"].Single());
        Assert.Equal("Ada Lovelace", entry["cn"].Single());
        if (Ad)
        {
            Assert.Equal($"{user}@example.test", entry["userPrincipalName"].Single());
            Assert.Equal(512 | 2, int.Parse(entry["userAccountControl"].Single(), CultureInfo.InvariantCulture));
            Assert.Equal($"{user}@example.test", created.Outputs["user_principal_name"]);
        }
        else
        {
            Assert.Equal(OpenLdapDialect.PermanentLock, entry["pwdAccountLockedTime"].Single());
        }

        // update: a changed title, a new mail attribute; the same update again writes nothing
        var update = Ops.On(TargetOperationKind.Update, dn, new() { ["title"] = "Principal Engineer", [AccountAttributes.Email] = $"{user}@acme.example" });
        Assert.False((await ldap.ApplyAsync(update, default)).AlreadyApplied);
        Assert.True((await ldap.ApplyAsync(update, default)).AlreadyApplied);
        entry = Directory.Read(dn)!;
        Assert.Equal("Principal Engineer", entry["title"].Single());
        Assert.Equal($"{user}@acme.example", entry["mail"].Single());
        // an empty value removes the attribute; removing it again changes nothing
        var clear = Ops.On(TargetOperationKind.Update, dn, new() { ["title"] = null });
        Assert.False((await ldap.ApplyAsync(clear, default)).AlreadyApplied);
        Assert.True((await ldap.ApplyAsync(clear, default)).AlreadyApplied);
        Assert.False(Directory.Read(dn)!.ContainsKey("title"));
        Assert.False((await ldap.ApplyAsync(Ops.On(TargetOperationKind.Update, dn, new() { ["title"] = "Principal Engineer" }), default)).AlreadyApplied);

        // password, then enable: the person can sign in
        var password = TestDirectory.NewPassword();
        await ldap.ApplyAsync(Ops.On(TargetOperationKind.SetPassword, dn, new() { [AccountAttributes.Password] = password }), default);
        if (Ad)
        {
            // a flag set by someone else (password never expires) survives enable and disable
            await ldap.ApplyAsync(Ops.On(TargetOperationKind.Update, dn, new() { ["userAccountControl"] = (0x10000 | 512 | 2).ToString(CultureInfo.InvariantCulture) }), default);
        }
        Assert.False((await ldap.ApplyAsync(Ops.On(TargetOperationKind.Enable, dn), default)).AlreadyApplied);
        Assert.True((await ldap.ApplyAsync(Ops.On(TargetOperationKind.Enable, dn), default)).AlreadyApplied);
        Assert.True(Directory.CanBind(Ad ? $"{user}@example.test" : dn, password));
        Assert.False(Directory.CanBind(Ad ? $"{user}@example.test" : dn, password + "x"));
        if (Ad)
            Assert.Equal(0x10000 | 512, int.Parse(Directory.Read(dn, "userAccountControl")!["userAccountControl"].Single(), CultureInfo.InvariantCulture));

        // disable: sign-in refused, other flags kept
        await ldap.ApplyAsync(Ops.On(TargetOperationKind.Disable, dn), default);
        Assert.False(Directory.CanBind(Ad ? $"{user}@example.test" : dn, password));
        if (Ad)
            Assert.Equal(0x10000 | 512 | 2, int.Parse(Directory.Read(dn, "userAccountControl")!["userAccountControl"].Single(), CultureInfo.InvariantCulture));

        // expiry: last usable day 2027-03-31, then never
        await ldap.ApplyAsync(Ops.On(TargetOperationKind.SetExpiry, dn, new() { [AccountAttributes.Expires] = new DateOnly(2027, 3, 31) }), default);
        entry = Directory.Read(dn)!;
        if (Ad)
            Assert.Equal(new DateTime(2027, 4, 1, 0, 0, 0, DateTimeKind.Utc).ToFileTimeUtc().ToString(CultureInfo.InvariantCulture), entry["accountExpires"].Single());
        else
            Assert.Equal((new DateOnly(2027, 4, 1).DayNumber - new DateOnly(1970, 1, 1).DayNumber).ToString(CultureInfo.InvariantCulture), entry["shadowExpire"].Single());
        var read = Assert.Single(await ToListAsync(ldap.ReadAsync(ObjectClasses.Account, default)));
        Assert.Equal(new DateOnly(2027, 3, 31), read.Attributes[AccountAttributes.Expires]);
        Assert.Equal(anchor, read.Anchor);
        await ldap.ApplyAsync(Ops.On(TargetOperationKind.SetExpiry, dn, new() { [AccountAttributes.Expires] = null }), default);
        entry = Directory.Read(dn)!;
        if (Ad)
            Assert.Contains(entry["accountExpires"].Single(), new[] { "0", LdapConnector.NeverExpires.ToString(CultureInfo.InvariantCulture) });
        else
            Assert.False(entry.ContainsKey("shadowExpire"));

        // move to another OU (created on the way): the entry is there, not at the old DN
        var moved = await ldap.ApplyAsync(Ops.On(TargetOperationKind.Move, dn, new() { [AccountAttributes.Container] = $"ou=Sales,{ldap.Settings.PeopleOu}" }), default);
        Assert.NotEqual(dn, moved.NativeId);
        Assert.Null(Directory.Read(dn));
        Assert.StartsWith(Ad ? "CN=Ada Lovelace,ou=Sales," : $"uid={user},ou=Sales,", moved.NativeId!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(anchor, Directory.Read(moved.NativeId!)![ldap.AnchorAttribute].Single());
        // the same move again (a retry after a crash, with the old DN) finds it at its new place
        Assert.True((await ldap.ApplyAsync(Ops.On(TargetOperationKind.Move, dn, new() { [AccountAttributes.Container] = $"ou=Sales,{ldap.Settings.PeopleOu}" }), default)).AlreadyApplied);

        // delete: gone; deleting again is already done
        await ldap.ApplyAsync(Ops.On(TargetOperationKind.Delete, moved.NativeId!), default);
        Assert.Null(Directory.Read(moved.NativeId!));
        Assert.Empty(Directory.Find($"({ldap.AnchorAttribute}={anchor})"));
        Assert.True((await ldap.ApplyAsync(Ops.On(TargetOperationKind.Delete, moved.NativeId!), default)).AlreadyApplied);
    }

    [Fact]
    public async Task Groups_are_joined_through_the_groups_member_attribute_and_left_again()
    {
        using var ldap = Directory.Connector(TestDirectory.Unique("grp"));
        var a = (await ldap.ApplyAsync(Ops.Create(TestDirectory.Unique("E"), Ops.Person(TestDirectory.Unique("gr.a"), "Grace", "Hopper")), default)).NativeId!;
        var b = (await ldap.ApplyAsync(Ops.Create(TestDirectory.Unique("E"), Ops.Person(TestDirectory.Unique("gr.b"), "Alan", "Turing")), default)).NativeId!;
        await ldap.ApplyAsync(Ops.On(TargetOperationKind.AddToGroups, a, new() { [AccountAttributes.Groups] = new List<string> { "all-staff", "dept-engineering" } }), default);
        await ldap.ApplyAsync(Ops.On(TargetOperationKind.AddToGroups, b, new() { [AccountAttributes.Groups] = new List<string> { "all-staff" } }), default);
        Assert.True((await ldap.ApplyAsync(Ops.On(TargetOperationKind.AddToGroups, b, new() { [AccountAttributes.Groups] = new List<string> { "all-staff" } }), default)).AlreadyApplied);

        var staff = Directory.Read($"cn=all-staff,{ldap.GroupDn}", "member")!;
        Assert.Equal(2, staff["member"].Length);
        Assert.Single(Directory.Read($"cn=dept-engineering,{ldap.GroupDn}", "member")!["member"]);
        var readA = (await ToListAsync(ldap.ReadAsync(ObjectClasses.Account, default))).Single(o => o.NativeId == a);
        Assert.Equal(["all-staff", "dept-engineering"], ((IEnumerable<string>)readA.Attributes[AccountAttributes.Groups]!).Order());

        await ldap.ApplyAsync(Ops.On(TargetOperationKind.RemoveFromGroups, b, new() { [AccountAttributes.Groups] = new List<string> { "all-staff" } }), default);
        Assert.Single(Directory.Read($"cn=all-staff,{ldap.GroupDn}", "member")!["member"]);
        // no list: every group; the last member leaving keeps the group (groupOfNames needs a member)
        await ldap.ApplyAsync(Ops.On(TargetOperationKind.RemoveFromGroups, a, new() { [AccountAttributes.Groups] = new List<string>() }), default);
        Assert.DoesNotContain(a, Directory.Read($"cn=all-staff,{ldap.GroupDn}", "member")?.GetValueOrDefault("member") ?? []);
        Assert.DoesNotContain(a, Directory.Read($"cn=dept-engineering,{ldap.GroupDn}", "member")?.GetValueOrDefault("member") ?? []);
        Assert.NotNull(Directory.Read($"cn=dept-engineering,{ldap.GroupDn}"));
        Assert.Equal(2, (await ToListAsync(ldap.ReadAsync("group", default))).Count);
    }

    [Fact]
    public async Task A_create_retried_after_a_crash_finds_its_own_entry_by_the_anchor()
    {
        using var ldap = Directory.Connector(TestDirectory.Unique("idem"));
        var anchor = TestDirectory.Unique("E");
        var user = TestDirectory.Unique("kat.j");
        var first = await ldap.ApplyAsync(Ops.Create(anchor, Ops.Person(user, "Katherine", "Johnson"), key: "run-1/account"), default);
        // the process died before the step's commit: the engine sends the create again, with a new key
        using var restarted = Directory.Connector("unused", new() { ["people_ou"] = ldap.Settings.PeopleOu, ["group_ou"] = ldap.Settings.GroupOu });
        var again = await restarted.ApplyAsync(Ops.Create(anchor, Ops.Person(user, "Katherine", "Johnson"), key: "run-1/account#2"), default);
        Assert.False(first.AlreadyApplied);
        Assert.True(again.AlreadyApplied);
        Assert.Equal(first.NativeId, again.NativeId);
        Assert.Equal(user, again.Outputs[AccountAttributes.Username]);
        Assert.Single(Directory.Find($"({ldap.AnchorAttribute}={anchor})"));
    }

    [Fact]
    public async Task A_taken_username_is_a_conflict_and_the_lookup_says_so()
    {
        using var ldap = Directory.Connector(TestDirectory.Unique("uniq"));
        var user = TestDirectory.Unique("jo.s");
        await ldap.ApplyAsync(Ops.Create(TestDirectory.Unique("E"), Ops.Person(user, "John", "Smith")), default);
        Assert.True(await ldap.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, user, default));
        Assert.False(await ldap.IsTakenAsync(ObjectClasses.Account, AccountAttributes.Username, user + "2", default));
        var e = await Assert.ThrowsAsync<ConnectorException>(() => ldap.ApplyAsync(Ops.Create(TestDirectory.Unique("E"), Ops.Person(user, "Joan", "Smith")), default));
        Assert.Equal(ConnectorFailure.Conflict, e.Failure);
        Assert.Contains("already taken", e.Message, StringComparison.Ordinal);
        Assert.False(e.IsTransient);
        var problems = await ldap.ValidateAsync(Ops.Create(TestDirectory.Unique("E"), Ops.Person(user, "Joan", "Smith")), default);
        Assert.Contains(problems, p => p.Contains("already taken", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_username_taken_in_another_container_is_refused_by_the_server_and_named_as_taken()
    {
        // the create adds first; the server refuses the second uid / sAMAccountName (slapd's unique
        // overlay, AD itself) although the DN differs, and only then does the connector look the holder up
        using var ldap = Directory.Connector(TestDirectory.Unique("uniq2"));
        var user = TestDirectory.Unique("jo.c");
        var first = await ldap.ApplyAsync(Ops.Create(TestDirectory.Unique("E"), Ops.Person(user, "John", "Carter")), default);
        var elsewhere = Ops.Person(user, "Jane", "Carter");
        elsewhere[AccountAttributes.Container] = $"ou=Elsewhere,{ldap.Settings.PeopleOu}";
        var e = await Assert.ThrowsAsync<ConnectorException>(() => ldap.ApplyAsync(Ops.Create(TestDirectory.Unique("E"), elsewhere), default));
        Assert.Equal(ConnectorFailure.Conflict, e.Failure);
        Assert.Contains($"\"{user}\" is already taken by {first.NativeId}", e.Message, StringComparison.Ordinal);
        Assert.Single(Directory.Find($"({ldap.UsernameAttribute}={user})"));
    }

    [Fact]
    public async Task An_unknown_attribute_is_a_schema_violation_and_a_missing_entry_not_found()
    {
        using var ldap = Directory.Connector(TestDirectory.Unique("err"));
        var attributes = Ops.Person(TestDirectory.Unique("bad.a"), "Bad", "Attribute");
        attributes["noSuchAttributeXyz"] = "x";
        var schema = await Assert.ThrowsAsync<ConnectorException>(() => ldap.ApplyAsync(Ops.Create(TestDirectory.Unique("E"), attributes), default));
        Assert.Equal(ConnectorFailure.SchemaViolation, schema.Failure);
        var missing = await Assert.ThrowsAsync<ConnectorException>(() => ldap.ApplyAsync(
            Ops.On(TargetOperationKind.Enable, $"cn=nobody,{ldap.PeopleDn}"), default));
        Assert.Equal(ConnectorFailure.NotFound, missing.Failure);
    }

    [Fact]
    public async Task Schema_discovery_reads_the_account_class_from_the_subschema_entry()
    {
        using var ldap = Directory.Connector("schema");
        var schema = await ldap.DiscoverSchemaAsync(default);
        var account = schema.ObjectClasses.Single(c => c.Name == ObjectClasses.Account);
        var names = account.Attributes.Select(a => a.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Contains(Ad ? "user" : "inetOrgPerson", schema.ObjectClasses.Select(c => c.Name));
        foreach (var name in Ad ? ["sAMAccountName", "userPrincipalName", "userAccountControl", "accountExpires", "employeeID", "manager", "unicodePwd"]
                     : new[] { "uid", "cn", "sn", "mail", "employeeNumber", "manager", "userPassword", "shadowExpire" })
            Assert.Contains(name, names);
        Assert.True(account.Attributes.Single(a => a.Name.Equals("cn", StringComparison.OrdinalIgnoreCase)).Required);
        if (Ad)
            Assert.Equal(20, account.Attributes.Single(a => a.Name == "sAMAccountName").MaxLength);
        Assert.Contains(schema.ObjectClasses, c => c.Name == "group" && c.Attributes.Any(a => a.Name == "member"));
        Assert.True((await ldap.TestAsync(default)).Ok);
    }

    [Fact]
    public async Task Manager_is_written_as_the_managers_dn_found_by_anchor()
    {
        using var ldap = Directory.Connector(TestDirectory.Unique("mgr"));
        var bossAnchor = TestDirectory.Unique("E");
        var boss = await ldap.ApplyAsync(Ops.Create(bossAnchor, Ops.Person(TestDirectory.Unique("bo.s"), "Mary", "Boss")), default);
        var attributes = Ops.Person(TestDirectory.Unique("wo.k"), "Will", "Work");
        attributes[AccountAttributes.Manager] = bossAnchor;
        var worker = await ldap.ApplyAsync(Ops.Create(TestDirectory.Unique("E"), attributes), default);
        Assert.Equal(boss.NativeId, Directory.Read(worker.NativeId!, "manager")!["manager"].Single(), StringComparer.OrdinalIgnoreCase);
    }

    protected static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
            list.Add(item);
        return list;
    }
}

public sealed class OpenLdapTests() : DirectoryScenarios(TestDirectory.OpenLdap);

public sealed class ActiveDirectoryTests() : DirectoryScenarios(TestDirectory.ActiveDirectory);
