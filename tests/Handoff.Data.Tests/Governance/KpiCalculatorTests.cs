using Handoff.Core.Audit;
using Handoff.Core.Governance;
using Handoff.Data.Audit;
using Handoff.Data.Events;
using Handoff.Data.Governance;
using Handoff.Data.People;
using Handoff.Data.Sources;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Governance;

public sealed class KpiCalculatorTests
{
    // One map, worked by hand: "rekey" 30 min × 40 a month needs a human; "badge" 10 min × 20 too;
    // "ticket" is done by a workflow. Minutes per intervention = (30×40 + 10×20) ÷ 60 = 23.333…;
    // baseline = (20 + 3.333 + 10) h a month × 12 ÷ 52 = 7.69 h a week.
    private const string Map = """
        id: onboarding
        name: Onboarding
        trigger: offer accepted
        steps:
          - id: rekey
            name: Re-key
            owner_role: HR
            system: hris
            minutes: 30
            monthly_volume: 40
            error_rate: 0
            downstream_cost_per_error: 0
          - id: ticket
            name: Ticket
            owner_role: HR
            system: mail
            minutes: 6
            monthly_volume: 100
            error_rate: 0
            downstream_cost_per_error: 0
            automated_by: onboard
          - id: badge
            name: Badge
            owner_role: IT
            system: badge
            minutes: 10
            monthly_volume: 20
            error_rate: 0
            downstream_cost_per_error: 0
        """;

    private static readonly DateTimeOffset From = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = From.AddDays(14);

    private sealed record Env(DatabaseOptions Db, TestClock Clock, AuditLog Audit, KpiCalculator Calculator, KpiStore Store);

    private static async Task<Env> CreateAsync(string provider)
    {
        var db = await TestDatabases.CreateAsync(provider);
        var clock = TestClock.At("2026-10-15");
        var audit = new AuditLog(db, new TestAuditKey(), clock);
        var calculator = new KpiCalculator(db, audit);
        var processes = new ProcessAuditStore(db, clock, audit, new WorkspaceStore(db, clock, audit));
        await processes.SaveAsync(Map, "onboarding.yaml", "hector", default);
        return new Env(db, clock, audit, calculator, new KpiStore(db, clock, audit, calculator));
    }

    private static async Task SeedAsync(Env env)
    {
        var p = Guid.NewGuid();
        var inside = From.AddDays(3);
        var outside = To.AddHours(1);
        await using var db = env.Db.CreateContext();
        // Runs finished in the window: 3 completed, 1 with errors, 1 failed (1 canceled and 1 failed after the window do not count).
        string[] statuses = [RunStatus.Completed, RunStatus.Completed, RunStatus.Completed, RunStatus.CompletedWithErrors, RunStatus.Failed, RunStatus.Canceled];
        var runs = statuses.Select(s => new RunRow { Id = Guid.NewGuid(), WorkflowId = "onboard", PersonId = p, TriggerKey = Guid.NewGuid().ToString(), Status = s, CreatedAt = inside, FinishedAt = inside }).ToList();
        runs.Add(new RunRow { Id = Guid.NewGuid(), WorkflowId = "onboard", PersonId = p, TriggerKey = "late", Status = RunStatus.Failed, CreatedAt = inside, FinishedAt = outside });
        db.Runs.AddRange(runs);
        // Human interventions: 2 approvals decided (1 open does not count), 1 staged write decided,
        // 1 review item resolved, 1 quarantine row closed.
        db.HumanTasks.AddRange(
            new HumanTaskRow { RunId = runs[0].Id, StepId = "a", PersonId = p, WorkflowId = "onboard", Title = "t", Role = "hr", Status = "approved", CreatedAt = inside, DecidedAt = inside, DueAt = inside },
            new HumanTaskRow { RunId = runs[1].Id, StepId = "a", PersonId = p, WorkflowId = "onboard", Title = "t", Role = "hr", Status = "rejected", CreatedAt = inside, DecidedAt = inside, DueAt = inside },
            new HumanTaskRow { RunId = runs[2].Id, StepId = "a", PersonId = p, WorkflowId = "onboard", Title = "t", Role = "hr", CreatedAt = inside, DueAt = inside });
        db.StagedWrites.Add(new StagedWriteRow { RunId = runs[0].Id, StepId = "w", PersonId = p, System = "ad", Operation = "create", Reason = "r", Status = "applied", CreatedAt = inside, DecidedAt = inside });
        db.ReviewItems.Add(new ReviewItemRow { Kind = "manual_conflict", System = "hris", NativeKey = "1", Reason = "r", Status = "resolved", CreatedAt = From.AddDays(-5), ResolvedAt = inside });
        // Errors: 2 quarantined rows created in the window (one closed in it), 1 conflict finding.
        var sync = new SyncRow { System = "hris", Status = "completed", StartedAt = inside, FinishedAt = inside };
        db.Syncs.Add(sync);
        await db.SaveChangesAsync();
        db.Quarantine.AddRange(
            new QuarantineRow { SyncId = sync.Id, System = "hris", File = "f", Line = 1, Reason = "bad date", Raw = "x", Status = "resolved", CreatedAt = inside, ClosedAt = inside },
            new QuarantineRow { SyncId = sync.Id, System = "hris", File = "f", Line = 2, Reason = "bad date", Raw = "x", CreatedAt = inside });
        db.Findings.Add(new FindingRow { PersonId = p, Field = "title", Kind = "conflict", FirstSeen = inside, LastSeen = inside });
        // Audit: an automated create of 5 fields and change of 3 (8 field writes); one manual correction;
        // one blocked write; a sync.completed entry for the sync; 2 person events in the outbox, 1 with its entry.
        db.OutboxEvents.AddRange(
            new OutboxEventRow { PersonId = p, Type = "person.created", OccurredAt = inside },
            new OutboxEventRow { PersonId = p, Type = "person.changed", OccurredAt = inside.AddMinutes(5) });
        await using var tx = await db.Database.BeginTransactionAsync();
        await env.Audit.AppendAsync(db,
        [
            new AuditDraft("sync:hris", "person.created", "person", p.ToString(), [.. Enumerable.Range(0, 5).Select(i => new AuditFieldChange($"f{i}", null, "v"))], "hris", null, inside),
            new AuditDraft("sync:hris", "person.changed", "person", p.ToString(), [.. Enumerable.Range(0, 3).Select(i => new AuditFieldChange($"g{i}", "a", "b"))], "hris", null, inside.AddMinutes(1)),
            new AuditDraft("user:hector", "person.changed", "person", p.ToString(), [new("title", "Dev", "Engineer")], null, null, inside.AddMinutes(2)),
            new AuditDraft("workflow:onboard", "workflow.write_blocked", "run", runs[0].Id.ToString(), [], "ad", null, inside),
            new AuditDraft("sync:hris", "sync.completed", "sync", sync.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), [], "hris", null, inside),
        ]);
        await db.SaveChangesAsync();
        await tx.CommitAsync();
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Each_kpi_is_computed_from_the_rows_in_the_window(string provider)
    {
        var env = await CreateAsync(provider);
        await SeedAsync(env);
        await env.Store.ObserveAsync(Kpis.DayOneTickets, 4m, DateOnly.FromDateTime(From.AddDays(2).UtcDateTime), "service desk count", "tara", default);
        await env.Store.ObserveAsync(Kpis.DayOneTickets, 9m, DateOnly.FromDateTime(To.UtcDateTime), "next window", "tara", default);
        await env.Store.ObserveAsync(Kpis.SecurityIncidents, 1m, DateOnly.FromDateTime(From.UtcDateTime), "phishing", "tara", default);

        var values = (await env.Calculator.ComputeAsync(From, To, null, default)).ToDictionary(v => v.Kpi, v => v.Value);

        // 2 approvals + 1 staged + 1 review + 1 quarantine + 1 correction = 6 × 23.333 min = 140 min = 2.333 h over 2 weeks.
        Assert.Equal(1.1667m, Math.Round(values[Kpis.HrHoursPerWeek]!.Value, 4));
        // (2 quarantined + 1 conflict + 1 correction) / 8 automated field writes.
        Assert.Equal(0.5m, values[Kpis.DataErrorRate]);
        Assert.Equal(4m, values[Kpis.DayOneTickets]);
        // 1 failed of 5 finished (canceled is not finished work; the late failure is outside).
        Assert.Equal(0.2m, values[Kpis.AutomationFailureRate]);
        // 1 blocked write + 1 recorded incident.
        Assert.Equal(2m, values[Kpis.SecurityIncidents]);
        // Expected: 2 outbox events + 1 sync = 3; logged: person.created at the same instant and the sync (person.changed at +5 min has none).
        Assert.Equal(2m / 3m, values[Kpis.AuditCompleteness]);

        // Narrowed to another workflow, its run-based figures have nothing to count.
        var other = (await env.Calculator.ComputeAsync(From, To, "offboard", default)).ToDictionary(v => v.Kpi, v => v.Value);
        Assert.Null(other[Kpis.AutomationFailureRate]);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Checkpoints_freeze_at_30_60_and_90_days_after_go_live(string provider)
    {
        var env = await CreateAsync(provider);
        var goLive = From.AddDays(-20);
        await using (var db = env.Db.CreateContext())
        {
            db.WorkflowVersions.Add(new WorkflowVersionRow { Id = Guid.NewGuid(), WorkflowId = "onboard", Version = 1, Name = "Onboard", Yaml = "x", Status = WorkflowVersionStatus.Active, Author = "a", ProposedAt = goLive, ActivatedAt = goLive });
            await db.SaveChangesAsync();
        }
        await SeedAsync(env);
        // Day 30 (From + 10 days) reached: window [go-live, day 30) holds the seeded runs (1 of 5 failed).
        env.Clock.Now = goLive.AddDays(31);
        var first = await env.Store.SnapshotAsync("cli", default);
        Assert.Contains(first, s => s.Scope == "workspace" && s.Checkpoint == "30" && s.Kpi == Kpis.AutomationFailureRate && s.Value == 0.2m);
        Assert.Contains(first, s => s.Scope == "workflow:onboard" && s.Checkpoint == "30" && s.Kpi == Kpis.AutomationFailureRate);
        Assert.DoesNotContain(first, s => s.Checkpoint == "60");
        // Later data does not change a frozen checkpoint; a second run adds nothing.
        await using (var db = env.Db.CreateContext())
        {
            db.Runs.Add(new RunRow { Id = Guid.NewGuid(), WorkflowId = "onboard", TriggerKey = "x", Status = RunStatus.Failed, CreatedAt = From, FinishedAt = From.AddDays(1) });
            await db.SaveChangesAsync();
        }
        Assert.Empty(await env.Store.SnapshotAsync("cli", default));
        env.Clock.Now = goLive.AddDays(95);
        var later = await env.Store.SnapshotAsync("cli", default);
        Assert.Equal(["60", "90"], later.Select(s => s.Checkpoint).Distinct().Order());
        await using var check = env.Db.CreateContext();
        Assert.Equal(0.2m, (await check.KpiSnapshots.SingleAsync(s => s.Scope == "workspace" && s.Checkpoint == "30" && s.Kpi == Kpis.AutomationFailureRate)).Value);
        Assert.True(await check.AuditEntries.AnyAsync(e => e.Action == "kpi.snapshot"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Baselines_custom_kpis_and_observations(string provider)
    {
        var env = await CreateAsync(provider);
        // From the process audit: 33.333 h a month × 12 ÷ 52 = 7.69 h a week.
        Assert.Equal((7.69m, "process audit"), await env.Store.BaselineAsync(Kpis.HrHoursPerWeek, default));
        await env.Store.ObserveAsync(Kpis.DayOneTickets, 12m, new DateOnly(2026, 9, 1), null, "tara", default, baseline: true);
        Assert.Equal((12m, "entered"), await env.Store.BaselineAsync(Kpis.DayOneTickets, default));

        await env.Store.AddCustomAsync("nps", "New-hire NPS", "points", KpiDirection.Higher, new KpiTarget(KpiTargetKind.AtLeast, 40m), "tara", default);
        await env.Store.ObserveAsync("nps", 35m, new DateOnly(2026, 10, 1), null, "tara", default);
        await env.Store.ObserveAsync("nps", 45m, new DateOnly(2026, 10, 10), null, "tara", default);
        var overview = await env.Store.OverviewAsync(default);
        var nps = overview.Single(o => o.Kpi.Id == "nps");
        Assert.Equal((45m, KpiStatus.Met), (nps.Current, nps.Status));
        Assert.Equal(6, nps.Trend.Count);
        Assert.Equal(45m, nps.Trend[^1].Value);
        Assert.Equal(KpiStatus.Pending, overview.Single(o => o.Kpi.Id == Kpis.AutomationFailureRate).Status);

        var dup = await Assert.ThrowsAsync<ArgumentException>(() => env.Store.AddCustomAsync("nps", "x", "y", KpiDirection.Higher, new KpiTarget(KpiTargetKind.AtLeast, 1m), "tara", default));
        Assert.Contains("KPI nps already exists", dup.Message, StringComparison.Ordinal);
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => env.Store.AddCustomAsync("Bad Id", "x", "y", KpiDirection.Higher, new KpiTarget(KpiTargetKind.AtLeast, 1m), "tara", default));
        Assert.Contains("KPI id \"Bad Id\"", bad.Message, StringComparison.Ordinal);
        var computed = await Assert.ThrowsAsync<ArgumentException>(() => env.Store.ObserveAsync(Kpis.AutomationFailureRate, 1m, new DateOnly(2026, 10, 1), null, "tara", default));
        Assert.Contains("computed from the database", computed.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => env.Store.ObserveAsync("nope", 1m, new DateOnly(2026, 10, 1), null, "tara", default));
    }
}
