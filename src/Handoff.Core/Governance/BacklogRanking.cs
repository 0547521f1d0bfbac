namespace Handoff.Core.Governance;

/// <summary>HR's scores of a candidate workflow, each 1 (low) to 5 (high).</summary>
public sealed record BacklogHrScores(int Value, int Volume, int Pain);

/// <summary>IT's scores of a candidate workflow, each 1 (low) to 5 (high). <see cref="Availability"/>
/// is how available the integrations it needs are (5 = every system is connected already).</summary>
public sealed record BacklogItScores(int Effort, int Risk, int Availability);

public sealed class BacklogScoreException(string message) : Exception(message);

/// <summary>
/// The joint rank of a backlog candidate: what HR gains over what IT spends,
/// <c>(value + volume + pain) / (effort + risk + (6 − availability))</c>. Both sums run from 3 to 15,
/// so the rank runs from 0.2 (little gain, much work) to 5 (much gain, little work), and 1 means
/// gain and cost weigh the same. A candidate only one side has scored has no rank yet: ranking it
/// on half the picture is how backlogs end up ordered by whoever shouts loudest.
/// </summary>
public static class BacklogRanking
{
    public const int Min = 1;
    public const int Max = 5;

    public static decimal? Rank(BacklogHrScores? hr, BacklogItScores? it)
    {
        if (hr is null || it is null)
            return null;
        decimal gain = hr.Value + hr.Volume + hr.Pain;
        decimal cost = it.Effort + it.Risk + (6 - it.Availability);
        return Math.Round(gain / cost, 2, MidpointRounding.AwayFromZero);
    }

    /// <summary>Checks one score; the message names the score and the allowed range.</summary>
    public static int Check(string name, int score) =>
        score is >= Min and <= Max ? score : throw new BacklogScoreException($"{name} must be a whole number from {Min} to {Max}, not {score}");

    public static BacklogHrScores Hr(int value, int volume, int pain) =>
        new(Check("value", value), Check("volume", volume), Check("pain", pain));

    public static BacklogItScores It(int effort, int risk, int availability) =>
        new(Check("effort", effort), Check("risk", risk), Check("availability", availability));
}

/// <summary>What the backlog knows about a workflow that writes canonical fields.</summary>
/// <param name="Status">Its most advanced version's status: proposed, approved, active, retired.</param>
/// <param name="Writes">Canonical fields it writes (permissions.write.canonical).</param>
/// <param name="ActiveSince">When it first went live, if it did.</param>
/// <param name="Checkpoints">The governance reviews recorded for it (30, 60, 90).</param>
public sealed record WorkflowGovernanceState(string WorkflowId, string Status, IReadOnlyList<string> Writes, DateTimeOffset? ActiveSince, IReadOnlyList<int> Checkpoints)
{
    /// <summary>Checkpointed: active for at least 30 days and its 30-day review is recorded.</summary>
    public bool PassedCheckpoints(DateTimeOffset now) =>
        Status == "active" && ActiveSince is { } since && now - since >= TimeSpan.FromDays(30) && Checkpoints.Contains(30);
}

/// <summary>
/// A candidate that reads data written by a workflow that has not passed its governance checkpoints
/// would build on data nobody has verified yet: the warning says which field, which workflow and
/// what is missing.
/// </summary>
public static class BacklogDependencies
{
    public static IReadOnlyList<string> Warnings(IReadOnlyList<string> reads, IReadOnlyList<WorkflowGovernanceState> workflows, DateTimeOffset now)
    {
        var warnings = new List<string>();
        foreach (var field in reads)
        {
            foreach (var w in workflows.Where(w => w.Writes.Contains(field) && w.Status != "retired"))
            {
                if (w.PassedCheckpoints(now))
                    continue;
                var why = w.Status != "active"
                    ? $"it is only {w.Status}, not live"
                    : w.ActiveSince is { } since && now - since < TimeSpan.FromDays(30)
                        ? $"it went live {since:yyyy-MM-dd}, {(int)(now - since).TotalDays} day(s) ago (30 needed)"
                        : "its 30-day review is not recorded (handoff backlog checkpoint " + w.WorkflowId + " 30 --by USER)";
                warnings.Add($"{field} is written by workflow {w.WorkflowId}, which has not passed its governance checkpoints: {why}");
            }
        }
        return warnings;
    }
}
