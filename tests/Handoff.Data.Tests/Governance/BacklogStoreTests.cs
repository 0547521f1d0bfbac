using Handoff.Core.Governance;
using Handoff.Data.Governance;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Governance;

public sealed class BacklogStoreTests
{
    private static BacklogStore Store(WorkflowSpine w) => new(w.Spine.Database, w.Clock, w.Spine.Audit, w.Spine.Workspace, w.Workflows);

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Candidates_rank_jointly_and_each_side_scores_only_its_own(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        var backlog = Store(w);
        await backlog.AddAsync("badge", "Order a badge", ["first_name", "last_name", "start_date"], null, "hector", default);
        await backlog.AddAsync("parking", "Parking permit", ["first_name"], null, "hector", default);
        await backlog.AddAsync("laptop", "Laptop refresh", [], null, "ivan", default);

        await backlog.ScoreHrAsync("badge", BacklogRanking.Hr(4, 3, 5), "hector", default);
        await backlog.ScoreItAsync("badge", BacklogRanking.It(2, 3, 4), "ivan", default);      // 12 / 7
        await backlog.ScoreHrAsync("parking", BacklogRanking.Hr(2, 2, 2), "alice", default);
        await backlog.ScoreItAsync("parking", BacklogRanking.It(1, 1, 5), "tara", default);    // 6 / 3
        await backlog.ScoreHrAsync("laptop", BacklogRanking.Hr(5, 5, 5), "alice", default);    // IT has not scored

        var list = await backlog.ListAsync(default);
        Assert.Equal(["parking", "badge", "laptop"], list.Select(e => e.Row.Id));
        Assert.Equal([2.0m, 1.71m, null], list.Select(e => e.Rank));

        var wrongSide = await Assert.ThrowsAsync<ApprovalRefusedException>(() => backlog.ScoreItAsync("laptop", BacklogRanking.It(1, 1, 1), "hector", default));
        Assert.Equal("hector is on the HR side: only IT members score the IT side of the backlog", wrongSide.Message);
        await Assert.ThrowsAsync<ApprovalRefusedException>(() => backlog.ScoreHrAsync("laptop", BacklogRanking.Hr(1, 1, 1), "mallory", default));
        var field = await Assert.ThrowsAsync<BacklogException>(() => backlog.AddAsync("x", "X", ["shoe_size"], null, "hector", default));
        Assert.Equal("reads: shoe_size is not a field of the data dictionary", field.Message);

        await using var db = w.Spine.Db();
        var actions = await db.AuditEntries.AsNoTracking().Where(e => e.ObjectType == "backlog_item").Select(e => e.Action).ToListAsync();
        Assert.Equal(3, actions.Count(a => a == "backlog.added"));
        Assert.Equal(3, actions.Count(a => a == "backlog.scored.hr"));
        Assert.Equal(2, actions.Count(a => a == "backlog.scored.it"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_candidate_reading_what_a_young_workflow_writes_is_warned_about_until_its_30_day_review(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        var backlog = Store(w);
        await w.ActivateSampleAsync("pre-hire");   // writes the canonical work_email
        await backlog.AddAsync("mailbox-rules", "Mailbox rules for new hires", ["work_email"], null, "ivan", default);

        var warning = Assert.Single((await backlog.ListAsync(default)).Single().Warnings);
        Assert.Equal("work_email is written by workflow pre-hire, which has not passed its governance checkpoints: it went live 2026-11-27, 0 day(s) ago (30 needed)", warning);

        var early = await Assert.ThrowsAsync<BacklogException>(() => backlog.CheckpointAsync("pre-hire", 30, "alice", null, default));
        Assert.Equal("pre-hire went live 2026-11-27, 0 day(s) ago: its 30-day review can be recorded from 2026-12-27", early.Message);

        w.Clock.Now = w.Clock.Now.AddDays(31);
        Assert.Contains("30-day review is not recorded", Assert.Single((await backlog.ListAsync(default)).Single().Warnings), StringComparison.Ordinal);
        var order = await Assert.ThrowsAsync<BacklogException>(() => backlog.CheckpointAsync("pre-hire", 60, "alice", null, default));
        Assert.Equal("pre-hire went live 2026-11-27, 31 day(s) ago: its 60-day review can be recorded from 2027-01-26", order.Message);
        await Assert.ThrowsAsync<ApprovalRefusedException>(() => backlog.CheckpointAsync("pre-hire", 30, "mallory", null, default));
        await Assert.ThrowsAsync<BacklogException>(() => backlog.CheckpointAsync("no-such-workflow", 30, "alice", null, default));

        await backlog.CheckpointAsync("pre-hire", 30, "alice", "usernames fine, no collisions", default);

        Assert.Empty((await backlog.ListAsync(default)).Single().Warnings);
        await Assert.ThrowsAsync<BacklogException>(() => backlog.CheckpointAsync("pre-hire", 30, "ivan", null, default));
        await using var db = w.Spine.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(e => e.Action == "workflow.checkpoint" && e.ObjectId == "pre-hire"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_change_plan_keeps_communications_and_training_per_role(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.ActivateSampleAsync("pre-hire");
        var plans = new ChangePlanStore(w.Spine.Database, w.Clock, w.Spine.Audit);

        var mail = await plans.AddCommunicationAsync("pre-hire", "Hiring managers", "Accounts are now created 7 days before the start date", "email", new DateOnly(2026, 12, 1), "hector", "hector", default);
        await plans.SetCommunicationStatusAsync(mail.Id, "sent", "hector", default);
        await plans.SaveTrainingAsync("pre-hire", "hr_operator", "Pre-hire for HR", "# Pre-hire\n\nCheck the **start date**.", "alice", default);
        await plans.SaveTrainingAsync("pre-hire", "hr_operator", "Pre-hire for HR operators", "# Pre-hire\n\nv2", "alice", default);

        var plan = await plans.GetAsync("pre-hire", default);
        Assert.Equal("sent", Assert.Single(plan.Communications).Status);
        Assert.Equal("Pre-hire for HR operators", Assert.Single(plan.Training).Title);
        var channel = await Assert.ThrowsAsync<ChangePlanException>(() => plans.AddCommunicationAsync("pre-hire", "a", "m", "fax", new DateOnly(2026, 12, 1), "o", "hector", default));
        Assert.Equal("channel \"fax\": expected one of email, chat, meeting, intranet, letter, other", channel.Message);
        await Assert.ThrowsAsync<ChangePlanException>(() => plans.GetAsync("no-such-workflow", default));
        await Assert.ThrowsAsync<ChangePlanException>(() => plans.SetCommunicationStatusAsync(mail.Id, "archived", "hector", default));
        await using var db = w.Spine.Db();
        Assert.Equal(["change.communication.planned", "change.communication.status", "change.training.created", "change.training.updated"],
            await db.AuditEntries.AsNoTracking().Where(e => e.Action.StartsWith("change.")).OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync());
    }
}
