using System.Text;
using System.Text.Json;
using Handoff.Data.Security;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Security;

public sealed class ApiTokensTests
{
    private static async Task<(DatabaseOptions Database, TestClock Clock, ApiTokens Tokens)> StartAsync(string provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        await using (var db = database.CreateContext())
        {
            db.Systems.Add(new SystemRow { Id = "hris", Name = "Workday", Kind = "hris", Connector = "csv", Owner = "hr" });
            db.Systems.Add(new SystemRow { Id = "payroll", Name = "ADP", Kind = "payroll", Connector = "csv", Owner = "hr", Position = 1 });
            await db.SaveChangesAsync();
        }
        var clock = TestClock.At("2026-11-27");
        return (database, clock, new ApiTokens(database, clock, new Handoff.Data.Audit.AuditLog(database, new TestAuditKey(), clock)));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_token_authenticates_for_its_system_and_scope_until_it_expires(string provider)
    {
        var (_, clock, tokens) = await StartAsync(provider);
        var created = await tokens.CreateAsync("hris", [ApiTokens.HooksWrite], TimeSpan.FromDays(90), "ivan");
        Assert.Matches("^hoff_[0-9A-Za-z]{43}$", created.Token);
        Assert.Equal(created.Token[..13], created.Info.Prefix);
        Assert.Equal(clock.Now.AddDays(90), created.Info.ExpiresAt);

        var ok = await tokens.AuthenticateAsync(created.Token, "hris", ApiTokens.HooksWrite);
        Assert.True(ok.Allowed, ok.Refusal);
        Assert.Equal(created.Info.Id, ok.Token!.Id);
        Assert.Equal(clock.Now, (await tokens.ListAsync()).Single().LastUsedAt);

        clock.Now = clock.Now.AddDays(90);
        var expired = await tokens.AuthenticateAsync(created.Token, "hris", ApiTokens.HooksWrite);
        Assert.False(expired.Allowed);
        Assert.Contains("expired", expired.Refusal);
        Assert.Equal("expired", (await tokens.ListAsync()).Single().StatusAt(clock.Now));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Wrong_system_missing_scope_revoked_and_unknown_tokens_are_refused_with_the_reason(string provider)
    {
        var (_, clock, tokens) = await StartAsync(provider);
        var created = await tokens.CreateAsync("hris", [ApiTokens.HooksWrite, ApiTokens.ScimRead], null, "ivan", default, "Workday pushes");
        Assert.Null(created.Info.ExpiresAt);
        Assert.Equal("Workday pushes", created.Info.Name);

        var otherSystem = await tokens.AuthenticateAsync(created.Token, "payroll", ApiTokens.HooksWrite);
        Assert.False(otherSystem.Allowed);
        Assert.Contains("not for system 'payroll'", otherSystem.Refusal);

        var noScope = await tokens.AuthenticateAsync(created.Token, "hris", ApiTokens.ScimWrite);
        Assert.False(noScope.Allowed);
        Assert.Contains("lacks the scope scim:write", noScope.Refusal);
        Assert.True((await tokens.AuthenticateAsync(created.Token, "hris", ApiTokens.ScimRead)).Allowed);

        var guessed = "hoff_" + new string('a', 43);
        Assert.Equal("unknown token", (await tokens.AuthenticateAsync(guessed, "hris", ApiTokens.HooksWrite)).Refusal);
        // Same public prefix, different secret part.
        var samePrefix = created.Token[..13] + new string('Z', 35);
        Assert.Equal("unknown token", (await tokens.AuthenticateAsync(samePrefix, "hris", ApiTokens.HooksWrite)).Refusal);
        Assert.Contains("not a Handoff API token", (await tokens.AuthenticateAsync("Bearer xyz", "hris", ApiTokens.HooksWrite)).Refusal);

        clock.Now = clock.Now.AddHours(1);
        var revoked = await tokens.RevokeAsync(created.Info.Id);
        Assert.Equal(clock.Now, revoked.RevokedAt);
        var refused = await tokens.AuthenticateAsync(created.Token, "hris", ApiTokens.HooksWrite);
        Assert.False(refused.Allowed);
        Assert.Contains("revoked", refused.Refusal);
        Assert.Equal("revoked", (await tokens.ListAsync()).Single().StatusAt(clock.Now));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Unknown_systems_scopes_and_tokens_are_refused_on_create_and_revoke(string provider)
    {
        var (database, _, tokens) = await StartAsync(provider);
        Assert.Contains("no system 'nosuch'", (await Assert.ThrowsAsync<ApiTokenException>(() => tokens.CreateAsync("nosuch", [ApiTokens.HooksWrite], null, "ivan"))).Message);
        Assert.Contains("unknown scope(s) admin", (await Assert.ThrowsAsync<ApiTokenException>(() => tokens.CreateAsync("hris", ["admin"], null, "ivan"))).Message);
        Assert.Contains("no token 42", (await Assert.ThrowsAsync<ApiTokenException>(() => tokens.RevokeAsync(42))).Message);
        await using var db = database.CreateContext();
        Assert.Equal(0, await db.ApiTokens.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_token_text_never_reaches_the_database(string provider)
    {
        var (database, _, tokens) = await StartAsync(provider);
        var created = await tokens.CreateAsync("hris", [ApiTokens.HooksWrite], TimeSpan.FromDays(1), "ivan");
        Assert.True((await tokens.AuthenticateAsync(created.Token, "hris", ApiTokens.HooksWrite)).Allowed);
        var secretPart = created.Token[13..];

        await using var db = database.CreateContext();
        var rows = JsonSerializer.Serialize(await db.ApiTokens.AsNoTracking().ToListAsync());
        Assert.DoesNotContain(secretPart, rows);
        if (database.Provider == DatabaseProvider.Sqlite)
        {
            var path = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
            foreach (var file in new[] { path, path + "-wal" }.Where(File.Exists))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream, Encoding.Latin1);
                Assert.DoesNotContain(secretPart, await reader.ReadToEndAsync());
            }
        }
        else
        {
            var dump = await db.Database.SqlQueryRaw<string>("SELECT string_agg(t::text, '|') AS \"Value\" FROM api_tokens t").SingleAsync();
            Assert.DoesNotContain(secretPart, dump);
        }
    }
}
