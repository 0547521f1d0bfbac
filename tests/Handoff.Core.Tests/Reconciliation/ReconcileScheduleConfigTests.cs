namespace Handoff.Core.Tests.Reconciliation;

/// <summary>The per-system <c>reconcile:</c> cron key of systems.yaml.</summary>
public sealed class ReconcileScheduleConfigTests
{
    private static string Systems(string cron) => $$"""
        systems:
          - id: directory
            kind: directory
            connector: sandbox
            owner: it
            config: { kind: openldap, reconcile: "{{cron}}" }
        """;

    [Fact]
    public void A_target_accepts_a_cron_schedule_for_reconciliation()
    {
        var result = TestWorkspace.Load(Systems("0 2 * * *"));

        Assert.Empty(result.Errors);
        Assert.Equal("0 2 * * *", result.Workspace!.FindSystem("directory")!.Setting("reconcile"));
    }

    [Fact]
    public void A_schedule_that_is_not_cron_is_refused_at_its_place()
    {
        var result = TestWorkspace.Load(Systems("every night"));

        var error = Assert.Single(result.Errors);
        Assert.Equal(("systems.yaml", 6), (error.File, error.Line));
        Assert.Contains("reconcile: \"every night\" is not a cron schedule", error.Message, StringComparison.Ordinal);
    }
}
