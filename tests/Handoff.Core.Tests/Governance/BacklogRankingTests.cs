using Handoff.Core.Governance;

namespace Handoff.Core.Tests.Governance;

public sealed class BacklogRankingTests
{
    [Theory]
    [InlineData(5, 5, 5, 1, 1, 5, 5.0)]     // all gain, no cost: 15 / 3
    [InlineData(1, 1, 1, 5, 5, 1, 0.2)]     // no gain, all cost: 3 / 15
    [InlineData(4, 3, 5, 2, 3, 4, 1.71)]    // 12 / (2 + 3 + 2) = 1.714…
    [InlineData(3, 3, 3, 3, 3, 3, 1.0)]     // 9 / (3 + 3 + 3)
    public void Rank_is_HR_gain_over_IT_cost(int value, int volume, int pain, int effort, int risk, int availability, double expected)
    {
        var rank = BacklogRanking.Rank(BacklogRanking.Hr(value, volume, pain), BacklogRanking.It(effort, risk, availability));
        Assert.Equal((decimal)expected, rank);
    }

    [Fact]
    public void Missing_availability_of_integrations_costs_like_effort()
    {
        var hr = new BacklogHrScores(3, 3, 3);
        Assert.True(BacklogRanking.Rank(hr, new(2, 2, 5)) > BacklogRanking.Rank(hr, new(2, 2, 1)));
    }

    [Fact]
    public void A_candidate_scored_by_one_side_only_has_no_rank()
    {
        Assert.Null(BacklogRanking.Rank(new(5, 5, 5), null));
        Assert.Null(BacklogRanking.Rank(null, new(1, 1, 5)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(-1)]
    public void Scores_outside_one_to_five_are_refused_naming_the_score(int bad)
    {
        var e = Assert.Throws<BacklogScoreException>(() => BacklogRanking.It(2, bad, 3));
        Assert.Equal($"risk must be a whole number from 1 to 5, not {bad}", e.Message);
    }

    private static readonly DateTimeOffset Now = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_candidate_reading_a_field_of_a_workflow_without_checkpoints_is_warned_about()
    {
        var young = new WorkflowGovernanceState("pre-hire", "active", ["work_email"], Now.AddDays(-10), []);
        var reviewedLate = new WorkflowGovernanceState("badge", "active", ["badge_id"], Now.AddDays(-40), []);
        var proposed = new WorkflowGovernanceState("phone", "proposed", ["phone"], null, []);
        var fine = new WorkflowGovernanceState("cost", "active", ["cost_center"], Now.AddDays(-31), [30]);
        var workflows = new[] { young, reviewedLate, proposed, fine };

        var warnings = BacklogDependencies.Warnings(["work_email", "badge_id", "phone", "cost_center", "first_name"], workflows, Now);

        Assert.Equal(3, warnings.Count);
        Assert.Contains("work_email is written by workflow pre-hire, which has not passed its governance checkpoints: it went live 2026-11-17, 10 day(s) ago (30 needed)", warnings);
        Assert.Contains(warnings, w => w.StartsWith("badge_id is written by workflow badge", StringComparison.Ordinal) && w.Contains("30-day review is not recorded", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("phone is written by workflow phone", StringComparison.Ordinal) && w.Contains("only proposed", StringComparison.Ordinal));
        Assert.True(fine.PassedCheckpoints(Now));
    }
}
