using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Core.Workflows.Steps;

[Step("ticketing.create_ticket", "Create a ticket", HasTarget = true, Target = SystemKind.Ticketing, Operation = "ticket.create",
    Description = "Opens a ticket (laptop, badge, equipment return) in the ticketing system.")]
[StepInput("title", InputKind.Text, Required = true)]
[StepInput("body", InputKind.Text)]
[StepInput("queue", InputKind.Text)]
[StepInput("due", InputKind.Date)]
[StepInput("category", InputKind.Text, Description = "day_one counts the ticket in the day-one tickets KPI (an IT support ticket of a new hire in the first days)")]
public sealed class CreateTicketStep : IWorkflowStep
{
    public async Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken ct)
    {
        var result = await context.ApplyAsync(new TargetOperation(TargetOperationKind.CreateTicket, ObjectClasses.Ticket, null, null,
            new Dictionary<string, object?>
            {
                [MessageAttributes.Title] = context.RequiredText("title"),
                [MessageAttributes.Body] = context.Text("body"),
                [MessageAttributes.Queue] = context.Text("queue"),
                [MessageAttributes.Due] = context.Date("due"),
            }, context.IdempotencyKey), ct);
        return new StepOutcome.Completed(new Dictionary<string, object?>(result.Outputs) { ["ticket"] = result.NativeId });
    }
}

[Step("mail.send", "Send a mail", HasTarget = true, Target = SystemKind.Mail, Operation = "mail.send",
    Description = "Sends a mail (welcome, manager check-in, notice).")]
[StepInput("to", InputKind.Text, Required = true)]
[StepInput("subject", InputKind.Text)]
[StepInput("template", InputKind.Text, Description = "Name of a mail template known to the mail system")]
[StepInput("body", InputKind.Text)]
[StepInput("values", InputKind.Map, Description = "Further values the mail template may use: name → template")]
public sealed class SendMailStep : IWorkflowStep
{
    public async Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken ct)
    {
        var attributes = new Dictionary<string, object?>
        {
            [MessageAttributes.To] = context.RequiredText("to"),
            [MessageAttributes.Subject] = context.Text("subject"),
            [MessageAttributes.Template] = context.Text("template"),
            [MessageAttributes.Body] = context.Text("body"),
        };
        if (context.Map("values") is { Count: > 0 } values)
            attributes[MessageAttributes.Values] = values;
        var result = await context.ApplyAsync(new TargetOperation(TargetOperationKind.SendMail, ObjectClasses.Message, null, null,
            attributes, context.IdempotencyKey), ct);
        return new StepOutcome.Completed(new Dictionary<string, object?>(result.Outputs) { ["message"] = result.NativeId });
    }
}
