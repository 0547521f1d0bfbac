using Handoff.Data.Tests;

namespace Handoff.Server.Tests.Cli;

/// <summary><c>handoff backlog add|score|list|checkpoint</c> as a user runs them.</summary>
public sealed class BacklogCommandTests
{
    [Fact]
    public async Task Each_side_scores_its_own_the_rank_follows_and_the_dependency_warning_clears_after_the_30_day_review()
    {
        var db = Path.Combine(Path.GetTempPath(), "handoff-tests", $"cli-{Guid.NewGuid():N}.db");
        async Task<string> Ok(params string[] args)
        {
            var (exit, output) = await HandoffProcess.RunAsync([.. args, "--db", db]);
            Assert.True(exit == 0, $"{string.Join(' ', args)}: {output}");
            return output;
        }
        async Task<string> Refused(params string[] args)
        {
            var (exit, output) = await HandoffProcess.RunAsync([.. args, "--db", db]);
            Assert.True(exit != 0, $"{string.Join(' ', args)} should fail: {output}");
            return output;
        }

        await Ok("apply", "-f", Repository.AcmeWorkspace, "--as", "hector");
        await Ok("dictionary", "approve", "1", "--as", "alice");
        await Ok("dictionary", "approve", "1", "--as", "ivan");

        await Ok("backlog", "add", "mailbox-rules", "--name", "Mailbox rules", "--reads", "first_name,work_email", "--by", "ivan");
        Assert.Contains("shoe_size is not a field of the data dictionary", await Refused("backlog", "add", "x", "--reads", "shoe_size", "--by", "ivan"));
        Assert.Contains("the other side has not scored yet", await Ok("backlog", "score", "mailbox-rules", "--hr", "4,3,5", "--by", "hector"));
        Assert.Contains("hector is on the HR side", await Refused("backlog", "score", "mailbox-rules", "--it", "2,3,4", "--by", "hector"));
        Assert.Contains("availability must be a whole number from 1 to 5, not 9", await Refused("backlog", "score", "mailbox-rules", "--it", "2,3,9", "--by", "ivan"));
        Assert.Contains("\"2,3\" is not three whole numbers", await Refused("backlog", "score", "mailbox-rules", "--it", "2,3", "--by", "ivan"));
        Assert.Contains("rank 1.71", await Ok("backlog", "score", "mailbox-rules", "--it", "2,3,4", "--by", "ivan"));

        var file = Path.Combine(Repository.AcmeWorkspace, "workflows", "pre-hire.yaml");
        await Ok("workflow", "propose", file, "--as", "alice");
        await Ok("workflow", "approve", "pre-hire@v1", "--as", "hector");
        await Ok("workflow", "approve", "pre-hire@v1", "--as", "ivan");
        await Ok("workflow", "activate", "pre-hire@v1", "--as", "tara");

        Assert.Contains("work_email is written by workflow pre-hire", await Ok("backlog", "list"));
        Assert.Contains("its 30-day review can be recorded from", await Refused("backlog", "checkpoint", "pre-hire", "30", "--by", "alice"));
        var later = DateTime.UtcNow.AddDays(31).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("checkpoint day must be 30, 60 or 90", await Refused("backlog", "checkpoint", "pre-hire", "45", "--by", "alice", "--today", later));
        Assert.Contains("30-day review recorded", await Ok("backlog", "checkpoint", "pre-hire", "30", "--by", "alice", "--today", later));
        var list = await Ok("backlog", "list", "--today", later);
        Assert.Contains("1.71", list);
        Assert.DoesNotContain("work_email is written", list);
    }
}
