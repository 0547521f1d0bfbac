using Handoff.Core.Governance;
using Handoff.Data.Governance;
using Handoff.Data.Tests.Workflows;

namespace Handoff.Data.Tests.Governance;

/// <summary>The day-one tickets KPI counts the tickets workflows really opened with <c>category: day_one</c>
/// (on the sandbox service desk), plus entered observations.</summary>
public sealed class DayOneTicketTests
{
    private const string Help = """
        id: day-one-help
        trigger: { manual: true }
        permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
        steps:
          - id: help
            uses: ticketing.create_ticket
            with: { title: 'Cannot sign in on day one: {{ first_name }}', category: day_one }
        """;

    private const string Laptop = """
        id: laptop
        trigger: { manual: true }
        permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
        steps:
          - id: t
            uses: ticketing.create_ticket
            with: { title: 'Laptop for {{ first_name }}', category: hardware }
        """;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Tickets_opened_by_runs_with_category_day_one_are_counted_with_the_entered_ones(string provider)
    {
        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900100", "Ada", "Lovelace", "01/05/2020"), WorkflowSpine.Worker("900101", "Alan", "Turing", "01/05/2020"));
        await w.Engine.TickAsync(default);
        var calculator = new KpiCalculator(w.Spine.Database, w.Spine.Audit);
        var kpis = new KpiStore(w.Spine.Database, w.Clock, w.Spine.Audit, calculator);
        async Task<KpiValue> DayOneAsync(string? workflow = null) =>
            (await calculator.ComputeAsync(w.Clock.Now.AddDays(-30), w.Clock.Now.AddMinutes(1), workflow, default)).Single(v => v.Kpi == Kpis.DayOneTickets);

        await w.ActivateAsync(Help);
        await w.ActivateAsync(Laptop);
        Assert.Null((await DayOneAsync()).Value);              // nothing tagged ran yet, nothing entered: no source, not "0"

        var ada = (await w.Spine.PersonByKeyAsync("employee_id", "900100")).Row.Id;
        var alan = (await w.Spine.PersonByKeyAsync("employee_id", "900101")).Row.Id;
        await w.Engine.StartManualAsync("day-one-help", ada, null, 1, "alice", default);
        await w.Engine.StartManualAsync("day-one-help", alan, null, 1, "alice", default);
        await w.Engine.StartManualAsync("laptop", ada, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        await w.Engine.TickAsync(default);
        Assert.Equal(3, (await w.ObjectsAsync("servicedesk", "ticket")).Count);

        var counted = await DayOneAsync();
        Assert.Equal(2m, counted.Value);                        // the laptop ticket is not a day-one ticket
        Assert.StartsWith("2 tickets created by runs with category day_one", counted.Basis, StringComparison.Ordinal);
        Assert.Equal(0m, (await DayOneAsync("laptop")).Value);
        Assert.Equal(2m, (await DayOneAsync("day-one-help")).Value);

        await kpis.ObserveAsync(Kpis.DayOneTickets, 3m, DateOnly.FromDateTime(w.Clock.Now.UtcDateTime), "walk-ins", "tara", default);
        Assert.Equal(5m, (await DayOneAsync()).Value);
        // A month later the window holds no ticket: 0, not "—", since the source exists.
        w.Clock.Now = w.Clock.Now.AddDays(45);
        Assert.Equal(0m, (await DayOneAsync()).Value);
    }
}
