using Handoff.Core.Workspace;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Workspace;

public sealed class WorkspaceStoreTests
{
    private static async Task<(WorkspaceStore Store, DatabaseOptions Db, int Version)> AppliedAsync(string provider, string author = "hector")
    {
        var db = await TestDatabases.CreateAsync(provider);
        var clock = TestClock.At("2026-11-27");
        var store = new WorkspaceStore(db, clock, new Handoff.Data.Audit.AuditLog(db, new TestAuditKey(), clock));
        var ws = WorkspaceLoader.Load(Repository.AcmeWorkspace).Workspace!;
        var report = await store.ApplyAsync(ws, Repository.AcmeWorkspace, author, default);
        return (store, db, report.ProposedDictionaryVersion!.Value);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_dictionary_version_takes_effect_only_with_one_HR_and_one_IT_approver(string provider)
    {
        var (store, _, v) = await AppliedAsync(provider, author: "ivan");
        await Assert.ThrowsAsync<WorkspaceStateException>(() => store.LoadActiveAsync(default));

        // The author's own approval does not count for their side.
        var own = await Assert.ThrowsAsync<ApprovalRefusedException>(() => store.ApproveAsync(v, "ivan", default));
        Assert.Contains("author", own.Message);
        // A member who is not an approver, and a stranger, are refused.
        Assert.Contains("not an approver", (await Assert.ThrowsAsync<ApprovalRefusedException>(() => store.ApproveAsync(v, "olga", default))).Message);
        Assert.Contains("not a member", (await Assert.ThrowsAsync<ApprovalRefusedException>(() => store.ApproveAsync(v, "mallory", default))).Message);

        var hr = await store.ApproveAsync(v, "hector", default);
        Assert.Equal(("proposed", "an IT approver"), (hr.Status, hr.StillNeeded));
        // HR cannot sign twice, even as another HR person.
        Assert.Contains("already has its HR approval", (await Assert.ThrowsAsync<ApprovalRefusedException>(() => store.ApproveAsync(v, "alice", default))).Message);

        var it = await store.ApproveAsync(v, "tara", default);
        Assert.Equal("active", it.Status);
        Assert.Equal(v, (await store.LoadActiveAsync(default)).DictionaryVersion);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_new_version_supersedes_the_old_one_only_when_signed_and_the_diff_shows_the_change(string provider)
    {
        var (store, _, v1) = await AppliedAsync(provider);
        await store.ApproveAsync(v1, "alice", default);
        await store.ApproveAsync(v1, "ivan", default);

        var yaml = File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "dictionary.yaml"))
            .Replace("conflict: { system_of_record: { fallback: [ats, payroll] } }", "conflict: { priority: [ats, hris] }", StringComparison.Ordinal);
        var v2 = await store.ProposeAsync(yaml, "dictionary.yaml", "alice", "ATS decides start dates", default);
        Assert.Equal(v1, (await store.LoadActiveAsync(default)).DictionaryVersion);

        var diff = await store.DiffAsync(v1, v2, default);
        Assert.Contains("+ ", diff);
        Assert.Contains("priority", diff);

        await store.ApproveAsync(v2, "hector", default);
        await store.ApproveAsync(v2, "ivan", default);
        var versions = await store.VersionsAsync(default);
        Assert.Equal(["superseded", "active"], versions.Select(x => x.Status));
        Assert.Equal(v2, (await store.LoadActiveAsync(default)).DictionaryVersion);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_invalid_proposal_is_refused_with_its_place_and_changes_nothing(string provider)
    {
        var (store, db, _) = await AppliedAsync(provider);
        var yaml = "fields:\n  - name: start_date\n    type: date\n    classification: internal\n    bindings:\n      workday: { field: Begin }\n";
        var e = await Assert.ThrowsAsync<WorkspaceValidationException>(() => store.ProposeAsync(yaml, "proposal.yaml", "alice", null, default));
        var error = Assert.Single(e.Errors);
        Assert.Equal(("proposal.yaml", 6), (error.File, error.Line));
        Assert.Contains("workday", error.Message);
        await using var ctx = db.CreateContext();
        Assert.Equal(1, await ctx.DictionaryVersions.CountAsync());
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Apply_then_export_gives_back_the_same_workspace(string provider)
    {
        var (store, _, _) = await AppliedAsync(provider);
        var dir = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}");
        await store.ExportAsync(dir, default);

        var original = WorkspaceLoader.Load(Repository.AcmeWorkspace);
        var exported = WorkspaceLoader.Load(dir);
        Assert.True(exported.Succeeded, string.Join("\n", exported.Errors));
        Assert.Equal(WorkspaceWriter.ToYaml(original.Workspace!.Dictionary), WorkspaceWriter.ToYaml(exported.Workspace!.Dictionary));
        Assert.Equal(WorkspaceWriter.ToYaml(original.Workspace.Systems), WorkspaceWriter.ToYaml(exported.Workspace.Systems));
        Assert.Equal(WorkspaceWriter.ToYaml(original.Workspace.Charter), WorkspaceWriter.ToYaml(exported.Workspace.Charter));
    }
}
