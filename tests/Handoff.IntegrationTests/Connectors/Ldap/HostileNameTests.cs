using CsCheck;
using Handoff.Connectors.Ldap;
using Handoff.Core.Connectors;

namespace Handoff.IntegrationTests.Connectors.Ldap;

/// <summary>Names full of what DNs and filters treat specially (RFC 4514 / 4515) go into the DN (the
/// account's cn, a group's cn) and into filters (the anchor), are created in the real server and read
/// back unchanged.</summary>
public sealed class HostileNameTests
{
    /// <summary>Characters that must be escaped somewhere, plus non-ASCII and plain letters.</summary>
    private static readonly Gen<char> Hostile = Gen.OneOf(
        Gen.Char[",+\"\\<>;=#*()/ \0"],
        Gen.Char["éøßñ漢字Ж"],
        Gen.Char['a', 'z']);

    /// <summary>1–20 characters with a letter somewhere (a name of only spaces is no name), often with
    /// a leading # or space and a trailing space.</summary>
    private static readonly Gen<string> Name =
        Gen.Select(Hostile.Array[1, 14], Gen.Char['a', 'z'], Gen.OneOf(Gen.Const(""), Gen.Const("#"), Gen.Const(" ")), Gen.OneOf(Gen.Const(""), Gen.Const(" ")),
            (chars, letter, lead, trail) => lead + letter + new string(chars) + trail);

    public static TheoryData<string> Dialects => new() { LdapSettings.OpenLdap, LdapSettings.ActiveDirectory };

    [Theory, MemberData(nameof(Dialects))]
    public async Task Hostile_names_and_anchors_round_trip_through_the_real_server(string dialect)
    {
        var directory = TestDirectory.Of(dialect);
        // OpenLDAP accounts are named by cn here, so the hostile name is in the DN as in AD
        using var ldap = directory.Connector(TestDirectory.Unique("hostile"), new() { ["rdn"] = "cn" });
        var n = 0;
        await Gen.Select(Name, Name, Name).SampleAsync(async t =>
        {
            var (display, anchorPart, group) = t;
            n++;
            // AD: employeeID at most 16 characters, cn at most 64
            var anchor = (anchorPart.Length > 12 ? anchorPart[..12] : anchorPart) + n.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
            if (dialect == LdapSettings.ActiveDirectory && anchor.Contains('\0', StringComparison.Ordinal))
            {
                // Samba matches filter values only up to a NUL: such an anchor is refused, not mismatched
                var refused = await Assert.ThrowsAsync<ConnectorException>(() => ldap.ApplyAsync(Ops.Create(anchor, Ops.Person($"h{n}", "G", "S")), default));
                Assert.Equal(ConnectorFailure.SchemaViolation, refused.Failure);
                anchor = anchor.Replace('\0', '0');
            }
            var username = $"h{Guid.NewGuid().ToString("N")[..12]}";
            var attributes = Ops.Person(username, "Given", "Sur");
            attributes[AccountAttributes.DisplayName] = display + n;
            attributes["description"] = display;
            var created = await ldap.ApplyAsync(Ops.Create(anchor, attributes), default);

            var entry = directory.Read(created.NativeId!) ?? throw new InvalidOperationException($"{created.NativeId} cannot be read back");
            // leading and trailing spaces are insignificant in directory strings (RFC 4518): servers drop them
            Assert.Equal((display + n).Trim(' '), entry["cn"].Single().Trim(' '));
            Assert.Equal(display.Trim(' '), entry["description"].Single().Trim(' '));
            Assert.Equal(anchor.Trim(' '), entry[ldap.AnchorAttribute].Single().Trim(' '));
            Assert.Equal((display + n).Trim(' '), LdapText.RdnValue(LdapText.SplitFirst(created.NativeId!).Rdn).Trim(' '));
            // the anchor in a filter finds exactly this entry; the retried create recognises it
            var again = await ldap.ApplyAsync(Ops.Create(anchor, attributes), default);
            Assert.True(again.AlreadyApplied);
            Assert.Equal(created.NativeId, again.NativeId);

            // a group with a hostile name, joined and left
            var groupName = group + n;
            await ldap.ApplyAsync(Ops.On(TargetOperationKind.AddToGroups, created.NativeId!, new() { [AccountAttributes.Groups] = new List<string> { groupName } }), default);
            var groupDn = $"cn={LdapText.EscapeDnValue(groupName)},{ldap.GroupDn}";
            var groupEntry = directory.Read(groupDn, "cn", "member") ?? throw new InvalidOperationException($"group {groupDn} cannot be read back");
            Assert.Equal(groupName.Trim(' '), groupEntry["cn"].Single().Trim(' '));
            Assert.Single(groupEntry["member"]);
            await ldap.ApplyAsync(Ops.On(TargetOperationKind.RemoveFromGroups, created.NativeId!, new() { [AccountAttributes.Groups] = new List<string> { groupName } }), default);
            Assert.True((await ldap.ApplyAsync(Ops.On(TargetOperationKind.RemoveFromGroups, created.NativeId!, new() { [AccountAttributes.Groups] = new List<string> { groupName } }), default)).AlreadyApplied);

            await ldap.ApplyAsync(Ops.On(TargetOperationKind.Delete, created.NativeId!), default);
            Assert.Null(directory.Read(created.NativeId!));
        }, iter: dialect == LdapSettings.ActiveDirectory ? 15 : 40, threads: 1);
    }

    [Fact]
    public void Escaping_follows_rfc_4514_and_4515()
    {
        Assert.Equal(@"\#a\,b\+c\""d\\e\<f\>g\;h\=i\ ", LdapText.EscapeDnValue("#a,b+c\"d\\e<f>g;h=i "));
        Assert.Equal(@"\ lead", LdapText.EscapeDnValue(" lead"));
        Assert.Equal(@"nul\00", LdapText.EscapeDnValue("nul\0"));
        Assert.Equal("Zoë", LdapText.EscapeDnValue("Zoë"));
        Assert.Equal(@"a\2a\28b\29\5c\00", LdapText.EscapeFilterValue("a*(b)\\\0"));
        Assert.Equal(@"Zo\c3\ab", LdapText.EscapeFilterValue("Zoë"));
        Gen.String.Sample(s => Assert.Equal(s, LdapText.RdnValue("cn=" + LdapText.EscapeDnValue(s))));
    }
}
