using Handoff.Core.Governance;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Handoff.Data.Governance;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Governance;

public sealed class ProcessAuditStoreTests
{
    private static string Sample => File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "processes", "onboarding.yaml"));

    private static async Task<(ProcessAuditStore Store, WorkspaceStore Workspace, DatabaseOptions Db, TestClock Clock)> CreateAsync(string provider)
    {
        var db = await TestDatabases.CreateAsync(provider);
        var clock = TestClock.At("2026-11-27");
        var audit = new AuditLog(db, new TestAuditKey(), clock);
        var workspace = new WorkspaceStore(db, clock, audit);
        return (new ProcessAuditStore(db, clock, audit, workspace), workspace, db, clock);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Import_replace_and_export_keep_the_map_its_version_who_and_when_and_audit_each_change(string provider)
    {
        var (store, _, db, clock) = await CreateAsync(provider);
        var first = await store.SaveAsync(Sample, "onboarding.yaml", "hector", default);
        Assert.Equal(new ProcessSaveReport("onboarding", 1, Created: true, Changed: true), first);
        // The same content again is not a new version and not an audit entry.
        Assert.Equal(new ProcessSaveReport("onboarding", 1, false, false), await store.SaveAsync(Sample, "onboarding.yaml", "tara", default));

        clock.Now = clock.Now.AddHours(2);
        var changed = Sample.Replace("minutes: 25", "minutes: 40", StringComparison.Ordinal);
        Assert.Equal(new ProcessSaveReport("onboarding", 2, false, true), await store.SaveAsync(changed, "onboarding.yaml", "tara", default));

        var stored = (await store.FindAsync("onboarding", default))!;
        Assert.Equal((2, "tara", clock.Now), (stored.Row.Version, stored.Row.UpdatedBy, stored.Row.UpdatedAt));
        Assert.Equal(40m, stored.Map.FindStep("hris_entry")!.MinutesPerExecution);
        // Export gives back what was imported (normalised YAML that reads to the same map).
        var exported = ProcessAuditYaml.Load(stored.Row.Yaml, "export.yaml");
        Assert.Equal(ProcessAuditYaml.Load(changed, "x").Map!.Steps, exported.Map!.Steps);
        Assert.Single(await store.ListAsync(default));

        await using var ctx = db.CreateContext();
        var entries = await ctx.AuditEntries.AsNoTracking().Where(e => e.ObjectType == "process").OrderBy(e => e.Sequence).ToListAsync();
        Assert.Equal(["process.imported", "process.updated"], entries.Select(e => e.Action));
        Assert.Equal(["user:hector", "user:tara"], entries.Select(e => e.Actor));
        // 25 → 40 minutes on 40 hires a month: 920 h → 920 + 15 × 40 × 12 / 60 = 1,040 h a year.
        Assert.Contains("\"after\":\"1040\"", entries[1].FieldsJson, StringComparison.Ordinal);
        Assert.Contains("\"before\":\"920\"", entries[1].FieldsJson, StringComparison.Ordinal);
        Assert.True((await new AuditLog(db, new TestAuditKey(), clock).VerifyAsync(default)).Intact);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_map_with_errors_is_refused_whole_with_file_line_and_column(string provider)
    {
        var (store, _, _, _) = await CreateAsync(provider);
        var bad = Sample.Replace("method: spreadsheet", "method: carrier_pigeon", StringComparison.Ordinal);
        var e = await Assert.ThrowsAsync<WorkspaceValidationException>(() => store.SaveAsync(bad, "onboarding.yaml", "hector", default));
        Assert.Contains(e.Errors, x => x.ToString().StartsWith("onboarding.yaml:", StringComparison.Ordinal) && x.Message.Contains("unknown handoff method \"carrier_pigeon\"; expected one of email, spreadsheet, manual_reentry, api, file_drop", StringComparison.Ordinal));
        Assert.Empty(await store.ListAsync(default));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_rate_defaults_to_13_70_and_a_change_is_audited_and_used(string provider)
    {
        var (store, _, db, _) = await CreateAsync(provider);
        Assert.Equal(13.70m, (await store.SettingsAsync(default)).HourlyRate);
        await store.SetRateAsync(22.5m, "hector", default);
        Assert.Equal(22.5m, (await store.SettingsAsync(default)).HourlyRate);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.SetRateAsync(0m, "hector", default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.SetRateAsync(28_500m, "hector", default));
        await using var ctx = db.CreateContext();
        var entry = await ctx.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "process.rate_changed");
        Assert.Contains("\"before\":\"13.7\"", entry.FieldsJson, StringComparison.Ordinal);
        Assert.Contains("\"after\":\"22.5\"", entry.FieldsJson, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_accepted_suggestion_becomes_a_proposed_dictionary_version_that_still_needs_HR_and_IT(string provider)
    {
        var (store, workspace, _, _) = await CreateAsync(provider);
        var ws = WorkspaceLoader.Load(Repository.AcmeWorkspace).Workspace!;
        var applied = await workspace.ApplyAsync(ws, Repository.AcmeWorkspace, "ivan", default);
        await workspace.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "hector", default);
        await workspace.ApproveAsync(applied.ProposedDictionaryVersion!.Value, "tara", default);

        var suggestion = new FieldMatchSuggestion("hris", "Employment_Begin_Date", "directory", "accountActivationDate", 0.55, 40, 40, 40, 0.89, [], "MM/dd/yyyy", "yyyy-MM-ddTHH:mm:ssZ");
        var (version, summary) = await store.ProposeFieldMatchAsync(suggestion, "alice", default);
        Assert.Equal("bind directory.accountActivationDate to the field start_date", summary);
        var versions = await workspace.VersionsAsync(default);
        var proposed = versions.Single(v => v.Id == version);
        Assert.Equal(("proposed", "alice"), (proposed.Status, proposed.Author));
        Assert.Contains("field discovery: bind directory.accountActivationDate", proposed.Comment, StringComparison.Ordinal);
        Assert.Contains("accountActivationDate", proposed.Yaml, StringComparison.Ordinal);
        // Not in effect until signed.
        Assert.Equal(applied.ProposedDictionaryVersion, (await workspace.LoadActiveAsync(default)).DictionaryVersion);
    }
}
