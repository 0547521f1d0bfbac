using System.Collections.Concurrent;
using System.Diagnostics;
using Handoff.Data.Cluster;
using Handoff.Data.Tests.Workflows;
using Handoff.Data.Workflows;

namespace Handoff.Data.Tests.Cluster;

/// <summary>The engine's spans, as an OpenTelemetry exporter would receive them from the "Handoff.Engine"
/// source: one span per executed step, all in one trace whose id is the run id, also when the run
/// parks on a wait and a later tick (on any node) resumes it.</summary>
public sealed class RunTraceTests
{
    private const string TwoStepsAroundAWait = """
        id: traced
        trigger: { manual: true }
        permissions: { read: [first_name], write: { servicedesk: [ticket.create] } }
        steps:
          - id: first
            uses: ticketing.create_ticket
            with: { title: 'Before the wait: {{ first_name }}' }
          - id: pause
            uses: wait
            with: { for: 1d }
          - id: last
            uses: ticketing.create_ticket
            with: { title: 'After the wait: {{ first_name }}' }
        """;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Every_step_of_a_run_is_a_span_in_the_trace_named_by_the_run_id(string provider)
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == HandoffMetrics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var w = await WorkflowSpine.StartAsync(provider);
        await w.Spine.SyncRecordsAsync("hris", WorkflowSpine.Worker("900300", "Ada", "Lovelace", "01/05/2020"));
        await w.Engine.TickAsync(default);
        await w.ActivateAsync(TwoStepsAroundAWait);
        var person = (await w.Spine.PersonByKeyAsync("employee_id", "900300")).Row.Id;
        await w.Engine.StartManualAsync("traced", person, null, 1, "alice", default);
        await w.Engine.TickAsync(default);
        w.Clock.Now = w.Clock.Now.AddDays(1).AddMinutes(1);
        await w.Engine.TickAsync(default);

        var run = Assert.Single(await w.RunsAsync());
        Assert.Equal(RunStatus.Completed, run.Status);
        var mine = spans.Where(s => (string?)s.GetTagItem("handoff.run.id") == run.Id.ToString()).OrderBy(s => s.StartTimeUtc).ToList();
        // The wait step runs twice: once to park the run, once when its time has come and a tick resumes it.
        Assert.Equal(["step first", "step pause", "step pause", "step last"], mine.Select(s => s.DisplayName));
        var trace = HandoffMetrics.RunContext(run.Id);
        Assert.All(mine, s => Assert.Equal(trace.TraceId, s.TraceId));
        Assert.All(mine, s => Assert.Equal(trace.SpanId, s.ParentSpanId));
        Assert.Equal(4, mine.Select(s => s.SpanId).Distinct().Count());
        Assert.Equal(["ticketing.create_ticket", "wait", "wait", "ticketing.create_ticket"], mine.Select(s => (string?)s.GetTagItem("handoff.step.uses")));
        Assert.Equal("servicedesk", mine[0].GetTagItem("handoff.system"));
        Assert.All(mine, s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
        // The trace id is the run id's bytes: an operator pastes the run id into the trace search.
        Assert.Equal(run.Id.ToString("N"), trace.TraceId.ToHexString());
    }
}
