using Handoff.Core.Connectors;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;

namespace Handoff.Data.Workflows;

/// <summary>The engine's <see cref="StepContext"/>: every write is checked against the workflow's
/// permissions (a refusal is a blocked write, audited as a security incident), destructive writes
/// against the target's threshold, then applied under the system's concurrency limit with retries.</summary>
internal sealed class EngineStepContext(WorkflowEngine engine, ITargetConnectorSource connectors, string? target, bool bypassThreshold,
    WorkspaceDefinition? workspace = null) : StepContext
{
    public List<(TargetOperation Operation, TargetOperationResult Result)> Applied { get; } = [];

    public int Attempts { get; private set; }

    public WorkspaceDefinition? Workspace { get; init; } = workspace;

    public override async Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
    {
        var system = target ?? throw new PermissionDeniedException($"step \"{Step.Id}\" has no target system");
        var op = Descriptor.Operation ?? Step.Uses;
        if (!Workflow.Permissions.MayWrite(system, op))
            throw new PermissionDeniedException($"step \"{Step.Id}\" ({Step.Uses}) may not perform \"{op}\" on {system}: permissions.write.{system} does not grant it");
        var ws = Workspace ?? throw new InvalidOperationException("no workspace");
        if (operation.IsDestructive && !bypassThreshold)
            await engine.CheckThresholdAsync(system, ws, operation, RunId, Step.Id, PersonId, ct);
        var connector = connectors.Find(system)
            ?? throw new ConnectorException(system, ConnectorFailure.Unavailable, $"no connector is configured for {system}");
        var limit = engine.LimitFor(system, ws);
        await limit.WaitAsync(ct);
        TargetOperationResult result;
        try
        {
            Attempts++;
            result = await WorkflowEngine.RetryPipeline(Step.Retry, () => Attempts++)
                .ExecuteAsync(async token => await connector.ApplyAsync(operation, token), ct);
        }
        catch (ConnectorException e) when (e.Failure == ConnectorFailure.NotFound && operation.Kind == TargetOperationKind.Delete)
        {
            // Deleting what is gone is done: the usual case is our own delete, repeated because the
            // process died before the step's commit.
            result = new TargetOperationResult(operation.NativeId, true, new Dictionary<string, object?> { ["already_gone"] = true });
        }
        finally
        {
            limit.Release();
        }
        Applied.Add((operation, result));
        if (engine.Options.PauseAfterWriteOfStep == Step.Id)
        {
            // Test hook (HANDOFF_TEST_PAUSE_AFTER_WRITE): the write happened, its commit has not.
            await Console.Error.WriteLineAsync($"handoff-test: paused after the write of step {Step.Id}");
            await Console.Error.FlushAsync(ct);
            await Task.Delay(Timeout.Infinite, ct);
        }
        return result;
    }

    public override async ValueTask<string> SelectUniqueAsync(string objectClass, string attribute, IReadOnlyList<string> alternatives, string? anchor, CancellationToken ct)
    {
        var system = target ?? throw new PermissionDeniedException($"step \"{Step.Id}\" has no target system");
        if (connectors.Find(system) is not IUniqueValueLookup lookup)
            return alternatives[0];
        return await Handoff.Core.Templates.UniqueValue.SelectAsync(alternatives, (value, token) => lookup.IsTakenByOthersAsync(objectClass, attribute, value, anchor, token),
            lookup.MaxLength(objectClass, attribute), cancellationToken: ct);
    }

    public override void WriteField(string field, string? value)
    {
        if (!Workflow.Permissions.MayWrite(WorkflowPermissions.Canonical, field))
            throw new PermissionDeniedException($"step \"{Step.Id}\" may not write the canonical field \"{field}\": permissions.write.canonical does not grant it");
        var definition = Workspace?.Dictionary.FindField(field)
            ?? throw new PermissionDeniedException($"step \"{Step.Id}\" writes \"{field}\", which is not a field of the dictionary in effect");
        if (!definition.IsWriter(Workflow.Actor))
            throw new PermissionDeniedException($"step \"{Step.Id}\" writes \"{field}\", but the dictionary in effect does not authorize {Workflow.Actor} to write it");
        CanonicalWrites.Add(new CanonicalWrite(field, StepInputs.Canonical(Step, definition, value)));
    }
}
