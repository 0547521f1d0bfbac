namespace Handoff.Core.Workflows.Steps;

[Step("approval", "Ask for approval",
    Description = "Parks the run until someone with the role approves or rejects; escalates to another role when nobody answered in time.")]
[StepInput("role", InputKind.Role, Required = true, Description = "Who may decide")]
[StepInput("title", InputKind.Text, Description = "What the approver sees", Default = "Approve {{ workflow }} for {{ person.name }}")]
[StepInput("timeout", InputKind.Duration, Description = "After this the request expires and the step fails", Default = "3d")]
[StepInput("escalate_to", InputKind.Role, Description = "Role that also may decide after escalate_after")]
[StepInput("escalate_after", InputKind.Duration)]
public sealed class ApprovalStep : IWorkflowStep
{
    public Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken ct)
    {
        StepOutcome outcome = context.Resumed switch
        {
            Resumption.Decision { Approved: true } d => StepOutcome.Done(("approved_by", d.By), ("comment", d.Comment)),
            Resumption.Decision d => new StepOutcome.Failed($"rejected by {d.By}{(d.Comment is { } c ? ": " + c : "")}"),
            Resumption.Expired => new StepOutcome.Failed($"no decision within {context.Duration("timeout")}"),
            _ => new StepOutcome.Suspended(new Bookmark.Approval(
                context.Text("role")!,
                context.Text("title") ?? context.Workflow.Name,
                context.Now + (context.Duration("timeout") ?? TimeSpan.FromDays(3)),
                context.Text("escalate_to"),
                context.Duration("escalate_after") is { } after ? context.Now + after : null)),
        };
        return Task.FromResult(outcome);
    }
}

[Step("wait", "Wait",
    Description = "Parks the run for a duration or until a date (09:00 in the person's time zone); no worker waits meanwhile.")]
[StepInput("for", InputKind.Duration, Description = "How long, e.g. 2h or 7d")]
[StepInput("until", InputKind.Date, Description = "A date; the run resumes at 09:00 that day in the person's zone")]
public sealed class WaitStep : IWorkflowStep
{
    public Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken ct)
    {
        if (context.Resumed is not null)
            return Task.FromResult<StepOutcome>(StepOutcome.Done());
        DateTimeOffset until;
        if (context.Duration("for") is { } span)
            until = context.Now + span;
        else if (context.Date("until") is { } day)
            until = context.LocalTime(day, new TimeOnly(9, 0));
        else
            return Task.FromResult<StepOutcome>(new StepOutcome.Failed("wait needs \"for\" or \"until\" (until rendered empty)"));
        return Task.FromResult<StepOutcome>(until <= context.Now
            ? StepOutcome.Done()
            : new StepOutcome.Suspended(new Bookmark.Timer(until)));
    }
}

[Step("set_field", "Set a canonical field",
    Description = "Writes a value back to the person (e.g. the work mail chosen). The dictionary must list this workflow as a writer of the field.")]
[StepInput("field", InputKind.Field, Required = true)]
[StepInput("value", InputKind.Text, Required = true)]
public sealed class SetFieldStep : IWorkflowStep
{
    public Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken ct)
    {
        var field = context.Text("field")!;
        var value = context.Text("value") is { Length: > 0 } v ? v : null;
        context.WriteField(field, value);
        return Task.FromResult<StepOutcome>(StepOutcome.Done(("field", field), ("value", value)));
    }
}
