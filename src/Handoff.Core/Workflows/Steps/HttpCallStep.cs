using Handoff.Core.Connectors;
using Handoff.Core.Workspace;

namespace Handoff.Core.Workflows.Steps;

[Step("http.call", "Call a custom extension", HasTarget = true, Target = SystemKind.Other, Operation = "http.call",
    Description = "Sends a signed JSON request (HMAC-SHA256 over timestamp.idempotency-key.body, Idempotency-Key = run/step) to an HTTP system; the JSON answer's fields become the step's outputs.")]
[StepInput("method", InputKind.Text, Default = "POST")]
[StepInput("path", InputKind.Text, Description = "Appended to the system's url", Default = "")]
[StepInput("body", InputKind.Text, Description = "JSON body; use the json filter for values: {\"name\": {{ first_name | json }}}")]
public sealed class HttpCallStep : IWorkflowStep
{
    public async Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken ct)
    {
        var result = await context.ApplyAsync(new TargetOperation(TargetOperationKind.Call, ObjectClasses.Request, null, null,
            new Dictionary<string, object?>
            {
                [HttpAttributes.Method] = (context.Text("method") is { Length: > 0 } m ? m : "POST").ToUpperInvariant(),
                [HttpAttributes.Path] = context.Text("path") ?? "",
                [HttpAttributes.Body] = context.Text("body"),
            }, context.IdempotencyKey), ct);
        return new StepOutcome.Completed(new Dictionary<string, object?>(result.Outputs) { ["id"] = result.NativeId });
    }
}
