using Handoff.Data.People;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Audit;

/// <summary>Every change the data spine makes is in the audit log, in the same transaction: after a
/// full Acme ingest, a tick, a review decision and a purge the chain verifies and completeness is 100 %.</summary>
public sealed class AuditCoverageTests
{
    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_data_spine_logs_every_change_and_the_chain_verifies(string provider)
    {
        var start = DateTimeOffset.Parse("2026-11-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var spine = await DataSpine.StartAsync(provider);
        await spine.SyncCsvAsync("ats");
        await spine.SyncCsvAsync("hris");
        await spine.SyncCsvAsync("payroll");
        long held;
        await using (var db = spine.Db())
            held = (await db.ReviewItems.FirstAsync(r => r.NativeKey == "C-26047")).Id;
        await spine.Review.ResolveAsync(spine.Definition, held, new ReviewDecision.NewPerson(), "hector", default);
        spine.Clock.Now = spine.Clock.Now.AddDays(40); // 2027-01-06: the transfer and several start dates are due
        await spine.Scheduled.RunAsync(spine.Definition, default);

        var verification = await spine.Audit.VerifyAsync(default);
        Assert.True(verification.Intact, verification.Problem?.Message);
        var completeness = await spine.Audit.CompletenessAsync(start, spine.Clock.Now.AddDays(1), default);
        Assert.True(completeness.Expected > 60, $"only {completeness.Expected} changes expected"); // 38 people created, their changes, syncs
        Assert.Equal(100.0, completeness.Percent);

        await using (var db = spine.Db())
        {
            var actions = await db.AuditEntries.Select(e => e.Action).Distinct().ToListAsync();
            foreach (var action in new[] { "workspace.applied", "dictionary.proposed", "dictionary.activated", "sync.completed", "person.created", "person.changed", "review.resolved", "person.active" })
                Assert.Contains(action, actions);
            // Personal and sensitive values are in the log only as keyed hashes.
            var fields = string.Join("\n", await db.AuditEntries.Select(e => e.FieldsJson).ToListAsync());
            Assert.DoesNotContain("Zoë", fields);
            Assert.DoesNotContain("1234531W", fields);
            Assert.Contains("hmac:", fields);
        }
    }
}
