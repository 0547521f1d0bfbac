using Handoff.Data.Workflows;

namespace Handoff.Data.Tests.Workflows;

/// <summary>The shipped Acme workflows (samples/acme/workflows) through the real engine: issue #14,
/// items 8 (mail addresses from the linked account) and 10 (declined candidates are left alone).</summary>
public sealed class ShippedWorkflowTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Pre_hire_builds_the_mail_address_from_the_account_a_person_already_has(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900800", "Ada", "Lovelace", "12/14/2026"));
        await w.Engine.TickAsync(default);
        // The directory already has her account (the baseline linked it), under a username pre-hire
        // would not pick itself.
        await w.ActivateAsync("""
            id: directory-baseline
            trigger: { manual: true }
            permissions:
              read: [employee_id, first_name, last_name]
              write: { directory: [account.create] }
            steps:
              - id: account
                uses: directory.create_account
                with: { username: 'alovelace', enabled: false }
            """);
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900800")).Row.Id;
        await w.Engine.StartManualAsync("directory-baseline", person, null, 1, "tara", default);
        await w.Engine.RunDueAsync(10, default);
        await w.ActivateSampleAsync("pre-hire");

        w.Clock.Now = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero); // 10:00 in Berlin, a week before the start
        await w.Engine.TickAsync(default);

        var run = Assert.Single(await w.RunsAsync("pre-hire"));
        Assert.True(run.Status == RunStatus.Completed, $"pre-hire {run.Status}: {run.Error}");
        Assert.Equal("alovelace@acme.example", (await w.Spine.PersonByKeyAsync("employee_id", "900800")).Values["work_email"].Value);
        var account = Assert.Single(await w.AccountsAsync());
        Assert.Equal("alovelace", account.UniqueValue);
        Assert.Contains("alovelace@acme.example", account.AttributesJson);
        Assert.DoesNotContain("\"@acme.example", account.AttributesJson);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_template_that_renders_an_address_without_a_local_part_fails_the_step_and_writes_nothing(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900810", "Ada", "Lovelace", "01/05/2020"));
        await w.Engine.TickAsync(default);
        await w.ActivateAsync("""
            id: pre-hire
            trigger: { manual: true }
            permissions:
              read: [personal_email]
              write: { canonical: [work_email] }
            steps:
              - id: work-email
                uses: set_field
                with: { field: work_email, value: '{{ personal_email }}@acme.example' }
            """);
        await w.ActivateAsync("""
            id: mail-attribute
            trigger: { manual: true }
            permissions:
              read: [employee_id, first_name, last_name]
              write: { directory: [account.create, account.update] }
            steps:
              - id: account
                uses: directory.create_account
                with: { username: 'ada.lovelace' }
              - id: mail
                uses: directory.update_account
                with: { email: '{{ steps.account.nothing }}@acme.example' }
            """);
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900810")).Row.Id;
        await w.Engine.StartManualAsync("pre-hire", person, null, 1, "alice", default);
        await w.Engine.StartManualAsync("mail-attribute", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);

        var field = Assert.Single(await w.RunsAsync("pre-hire"));
        Assert.Equal(RunStatus.Failed, field.Status);
        Assert.Contains("\"@acme.example\" is not an email address", field.Error);
        Assert.False((await w.Spine.PersonByKeyAsync("employee_id", "900810")).Values.ContainsKey("work_email"));

        var attribute = Assert.Single(await w.RunsAsync("mail-attribute"));
        Assert.Equal(RunStatus.Failed, attribute.Status);
        Assert.Contains("input \"email\" rendered \"@acme.example\", which is not an email address", attribute.Error);
        Assert.DoesNotContain("\"@acme.example\"", Assert.Single(await w.AccountsAsync()).AttributesJson);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Declined_and_withdrawn_candidates_get_no_lifecycle_runs(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        foreach (var name in new[] { "pre-hire", "new-hire", "post-onboarding" })
            await w.ActivateSampleAsync(name, TimeSpan.FromDays(30));
        // All three would have started on 2026-11-19: pre-hire, new-hire and the check-in a week later are due.
        await w.Spine.SyncRecordsAsync("ats",
            Candidate("C-90001", "Ingrid", "Svensson", "declined"),
            Candidate("C-90002", "Connor", "McCarthy", "withdrawn"),
            Candidate("C-90003", "Mateo", "Alvarez", "pending"));
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900820", "Hired", "Person", "11/19/2026"));

        await w.Engine.TickAsync(default);

        var runs = await w.RunsAsync();
        var hired = (await w.Spine.PersonByKeyAsync("employee_id", "900820")).Row.Id;
        Assert.All(runs, r => Assert.Equal(hired, r.PersonId));
        Assert.Equal(["new-hire", "post-onboarding", "pre-hire"], runs.Select(r => r.WorkflowId).Order());
        var tickets = await w.ObjectsAsync("servicedesk", "ticket");
        Assert.DoesNotContain(tickets, t => t.AttributesJson.Contains("Svensson", StringComparison.Ordinal) || t.AttributesJson.Contains("McCarthy", StringComparison.Ordinal));
    }

    private static Dictionary<string, string?> Candidate(string id, string first, string last, string offer) => new()
    {
        ["candidate_id"] = id,
        ["first_name"] = first,
        ["last_name"] = last,
        ["personal_email"] = $"{first.ToLowerInvariant()}@example.org",
        ["start_date"] = "2026-11-19",
        ["job_title"] = "Engineer",
        ["department"] = "Engineering",
        ["offer_status"] = offer,
    };
}
