using System.Globalization;
using Handoff.Core.Connectors;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using Handoff.Data.Security;
using Handoff.Data.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Workflows;

/// <summary>One step of a simulated run: what it would do (<c>write</c>, <c>skip</c>, <c>wait</c>, <c>fail</c>) and why.</summary>
public sealed record SimulatedStep(string StepId, string Uses, string Outcome, string? System, string Detail);

public sealed record SimulatedRun(string PersonId, string PersonName, string? Defect, bool InScope, IReadOnlyList<SimulatedStep> Steps)
{
    /// <summary>A made-up person (<c>--generated</c>), not someone of the real population.</summary>
    public bool Generated { get; init; }

    /// <summary>The accounts the person is linked to before the simulation, by system: "username (state)".</summary>
    public IReadOnlyDictionary<string, string> Accounts { get; init; } = new Dictionary<string, string>();

    public bool WouldFail => Steps.Any(s => s.Outcome == "fail");
}

public sealed record SimulationReport(string Workflow, IReadOnlyList<SimulatedRun> Runs)
{
    public int Writes => Runs.Sum(r => r.Steps.Count(s => s.Outcome == "write"));

    public int Failures => Runs.Count(r => r.WouldFail);
}

/// <summary>
/// Runs a workflow with no side effects: the same steps, inputs and permission checks as the engine,
/// against the real target connectors' read-only abilities (uniqueness, validation), recording the
/// writes instead of making them. Waits and approvals are reported and assumed granted, so the whole
/// workflow is shown. Usernames stay unique across the simulated population too. Real people are
/// simulated as they are: their lifecycle state and the accounts they are linked to (read, never
/// changed); generated people are marked as such.
/// </summary>
public sealed class WorkflowSimulator(DatabaseOptions database, TimeProvider clock, WorkspaceStore workspaces, KeyMaterial keys,
    Func<WorkspaceDefinition, ITargetConnectorSource> connectorsFor)
{
    public async Task<SimulationReport> ForPeopleAsync(WorkflowDefinition workflow, Guid? personId, string? filter, int max, CancellationToken ct)
    {
        var workspace = await workspaces.LoadActiveAsync(ct);
        var protection = new FieldProtection(workspace.Definition.Dictionary, keys);
        await using var db = database.CreateContext();
        var rows = personId is { } id
            ? await db.People.AsNoTracking().Where(p => p.Id == id).ToListAsync(ct)
            : await db.People.AsNoTracking().Where(p => p.State != "purged").OrderBy(p => p.DisplayName).ToListAsync(ct);
        if (personId is not null && rows.Count == 0)
            throw new WorkflowStateException($"no person {personId}");
        var people = new List<SimulatedPerson>();
        var links = new Dictionary<string, IReadOnlyList<LinkedAccount>>();
        foreach (var row in rows)
        {
            var values = protection.DeserializeResolved(row.ValuesJson).ToDictionary(p => p.Key, p => (string?)p.Value.Value);
            var person = new SimulatedPerson(row.Id.ToString(), row.DisplayName, row.State, values, null);
            if (filter is not null && !WorkflowExpressions.Matches(filter, Typed(workspace.Definition, values)))
                continue;
            people.Add(person);
            if (people.Count > max)
                throw new WorkflowStateException($"more than {max} people match; narrow the filter or raise --max");
        }
        // The accounts they have today: a step acting on an account finds it, as the engine would.
        var ids = people.Select(p => Guid.Parse(p.Id)).ToList();
        foreach (var chunk in ids.Chunk(1000))
        {
            var rowsOfLinks = await db.AccountLinks.AsNoTracking().Where(l => chunk.Contains(l.PersonId))
                .Select(l => new { l.PersonId, l.System, l.NativeId, l.Username, l.State }).ToListAsync(ct);
            foreach (var person in rowsOfLinks.GroupBy(l => l.PersonId))
                links[person.Key.ToString()] = person.Select(l => new LinkedAccount(l.System, l.NativeId, l.Username, l.State)).ToList();
        }
        return await SimulateAsync(workflow, workspace.Definition, people, personId is not null, ct, links: links);
    }

    /// <param name="progress">told the number of people simulated so far, after each one (a background job's progress bar)</param>
    public async Task<SimulationReport> ForGeneratedAsync(WorkflowDefinition workflow, int count, int seed, CancellationToken ct, IProgress<int>? progress = null)
    {
        var workspace = await workspaces.LoadActiveAsync(ct);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var people = SimulatedPopulation.Generate(workspace.Definition.Dictionary, count, seed, today);
        var report = await SimulateAsync(workflow, workspace.Definition, people, false, ct, progress);
        return report with { Runs = report.Runs.Select(r => r with { Generated = true }).ToList() };
    }

    /// <summary>An account a real person is linked to when the simulation starts.</summary>
    public sealed record LinkedAccount(string System, string NativeId, string? Username, string State);

    /// <param name="links">the accounts each person (by id) is linked to; none for generated people</param>
    public async Task<SimulationReport> SimulateAsync(WorkflowDefinition workflow, WorkspaceDefinition workspace, IReadOnlyList<SimulatedPerson> people,
        bool ignoreScope, CancellationToken ct, IProgress<int>? progress = null, IReadOnlyDictionary<string, IReadOnlyList<LinkedAccount>>? links = null)
    {
        var connectors = connectorsFor(workspace);
        var planned = new HashSet<(string System, string Value)>();
        var runs = new List<SimulatedRun>();
        var now = clock.GetUtcNow();
        foreach (var person in people)
        {
            var typed = Typed(workspace, person.Values);
            var visible = workflow.Permissions.Read.ToDictionary(f => f, f => typed.GetValueOrDefault(f), StringComparer.OrdinalIgnoreCase);
            typed.TryGetValue(workspace.Dictionary.Lifecycle.TimeZone ?? "time_zone", out var zoneValue);
            var view = new PersonView
            {
                PersonId = Guid.TryParse(person.Id, out var g) ? g : Guid.Empty,
                Name = person.Name,
                State = person.State,
                Zone = WorkflowTime.Zone(zoneValue as string),
                All = person.Values,
                Visible = visible,
            };
            var runId = Guid.NewGuid();
            var inScope = ignoreScope || workflow.Scope is not { } scope || WorkflowExpressions.Matches(scope, view.TemplateValues(workflow.Name, runId, now, new Dictionary<string, Dictionary<string, object?>>()));
            var steps = new List<SimulatedStep>();
            var accounts = links?.GetValueOrDefault(person.Id) ?? [];
            if (inScope)
                await SimulateRunAsync(workflow, workspace, connectors, view, runId, now, planned, steps, accounts, ct);
            runs.Add(new SimulatedRun(person.Id, person.Name, person.Defect, inScope, steps)
            {
                Accounts = accounts.ToDictionary(a => a.System, a => $"{a.Username ?? a.NativeId} ({a.State})"),
            });
            progress?.Report(runs.Count);
        }
        return new SimulationReport(workflow.Id, runs);
    }

    private static async Task SimulateRunAsync(WorkflowDefinition workflow, WorkspaceDefinition workspace, ITargetConnectorSource connectors, PersonView view,
        Guid runId, DateTimeOffset now, HashSet<(string, string)> planned, List<SimulatedStep> steps, IReadOnlyList<LinkedAccount> accounts, CancellationToken ct)
    {
        var outputs = new Dictionary<string, Dictionary<string, object?>>();
        var linked = accounts.ToDictionary(a => a.System, a => a.NativeId);
        var usernames = accounts.Where(a => a.Username is not null).ToDictionary(a => a.System, a => a.Username!);
        foreach (var step in workflow.Steps)
        {
            var descriptor = StepCatalog.Find(step.Uses)!;
            string? target = descriptor.TargetKind is { } kind ? WorkflowChecks.ResolveTarget(step, kind, workspace, out _) : null;
            var values = view.TemplateValues(workflow.Name, runId, now, outputs);
            if (step.When is { } when && !WorkflowExpressions.Matches(when, values))
            {
                steps.Add(new SimulatedStep(step.Id, step.Uses, "skip", target, $"when: {when} is false"));
                continue;
            }
            var context = new SimulationStepContext(connectors, target, planned, workspace)
            {
                Workflow = workflow,
                Step = step,
                Descriptor = descriptor,
                RunId = runId,
                PersonId = view.PersonId,
                PersonName = view.Name,
                Now = now,
                Zone = view.Zone,
                TargetSystem = target,
                LinkedNativeId = target is not null && linked.TryGetValue(target, out var l) ? l : null,
                LinkedUsername = target is not null && usernames.TryGetValue(target, out var u) ? u : null,
                Inputs = new Dictionary<string, object?>(),
            };
            try
            {
                var (inputs, _) = StepInputs.Render(step, descriptor, values, workspace.Dictionary);
                context = context.With(inputs);
                var outcome = await descriptor.Create().ExecuteAsync(context, ct);
                switch (outcome)
                {
                    case StepOutcome.Suspended { Bookmark: Bookmark.Approval a }:
                        steps.Add(new SimulatedStep(step.Id, step.Uses, "wait", null, $"would ask {a.Role} to approve (timeout {a.Due - now:%d}d); simulated as approved"));
                        break;
                    case StepOutcome.Suspended { Bookmark: Bookmark.Timer t }:
                        steps.Add(new SimulatedStep(step.Id, step.Uses, "wait", null, $"would wait until {t.Until:yyyy-MM-dd HH:mm} UTC"));
                        break;
                    case StepOutcome.Failed f:
                        steps.Add(new SimulatedStep(step.Id, step.Uses, "fail", target, f.Reason));
                        break;
                    case StepOutcome.Skipped s:
                        steps.Add(new SimulatedStep(step.Id, step.Uses, "skip", target, s.Reason));
                        break;
                    case StepOutcome.Completed c:
                        outputs[step.Id] = c.Outputs.ToDictionary(p => p.Key, p => p.Value);
                        if (c.Outputs.TryGetValue("already_linked", out var already) && already is true)
                            steps.Add(new SimulatedStep(step.Id, step.Uses, "skip", target, $"already linked to {c.Outputs.GetValueOrDefault("username") ?? c.Outputs.GetValueOrDefault("native_id")} in {target}: kept"));
                        else if (context.Planned.Count > 0)
                            steps.AddRange(context.Planned.Select(p => new SimulatedStep(step.Id, step.Uses, "write", target, p)));
                        else
                            steps.Add(new SimulatedStep(step.Id, step.Uses, "write", target, string.Join(", ", context.CanonicalWrites.Select(w => $"{w.Field} = {w.Value}"))));
                        if (target is not null && c.Outputs.TryGetValue("native_id", out var nid) && nid is string n)
                            linked[target] = n;
                        if (target is not null && c.Outputs.TryGetValue("username", out var un) && un is string name)
                            usernames[target] = name;
                        break;
                }
                if (outcome is StepOutcome.Failed && !step.ContinueOnError)
                    return;
            }
            catch (Exception e) when (e is PermissionDeniedException or StepInputException or ConnectorException or Handoff.Core.Templates.UniqueValueExhaustedException
                or InvalidOperationException or FormatException)
            {
                steps.Add(new SimulatedStep(step.Id, step.Uses, "fail", target, e is PermissionDeniedException ? $"permission: {e.Message}" : e.Message));
                if (!step.ContinueOnError)
                    return;
            }
        }
    }

    private static Dictionary<string, object?> Typed(WorkspaceDefinition workspace, IReadOnlyDictionary<string, string?> values) =>
        values.ToDictionary(p => p.Key, p => PersonView.Typed(workspace.Dictionary.FindField(p.Key)?.Type ?? Core.Dictionary.FieldType.String, p.Value),
            StringComparer.OrdinalIgnoreCase);

    /// <summary>The simulator's step context: checks like the engine, validates with the target's
    /// read-only abilities, and records what it would write.</summary>
    private sealed class SimulationStepContext(ITargetConnectorSource connectors, string? target, HashSet<(string System, string Value)> planned,
        WorkspaceDefinition workspace) : StepContext
    {
        public List<string> Planned { get; private init; } = [];

        public SimulationStepContext With(Dictionary<string, object?> inputs) => new(connectors, target, planned, workspace)
        {
            Workflow = Workflow,
            Step = Step,
            Descriptor = Descriptor,
            RunId = RunId,
            PersonId = PersonId,
            PersonName = PersonName,
            Now = Now,
            Zone = Zone,
            TargetSystem = TargetSystem,
            LinkedNativeId = LinkedNativeId,
            LinkedUsername = LinkedUsername,
            Inputs = inputs,
            Planned = Planned,
        };

        public override async Task<TargetOperationResult> ApplyAsync(TargetOperation operation, CancellationToken ct)
        {
            var system = target ?? throw new PermissionDeniedException($"step \"{Step.Id}\" has no target system");
            var op = Descriptor.Operation ?? Step.Uses;
            if (!Workflow.Permissions.MayWrite(system, op))
                throw new PermissionDeniedException($"\"{op}\" on {system} is not granted by permissions.write.{system}");
            var connector = connectors.Find(system);
            if (connector is IOperationValidator validator && operation.NativeId is null or not ['(', ..])
            {
                var problems = await validator.ValidateAsync(operation, ct);
                if (problems.Count > 0)
                    throw new ConnectorException(system, ConnectorFailure.SchemaViolation, string.Join("; ", problems));
            }
            var summary = string.Join(", ", operation.Attributes.Where(a => a.Value is not null && a.Key != AccountAttributes.Password && a.Value is not "" && a.Value is not IReadOnlyList<string> { Count: 0 })
                .Select(a => $"{a.Key}={Show(a.Value)}"));
            Planned.Add($"{operation.Kind.ToString().ToLowerInvariant()} {operation.ObjectClass}{(summary.Length > 0 ? ": " + summary : "")}");
            var nativeId = operation.NativeId ?? $"(new {operation.ObjectClass})";
            var outputs = new Dictionary<string, object?>();
            if (operation[AccountAttributes.Username] is string username)
                outputs["username"] = username;
            return new TargetOperationResult(nativeId, false, outputs);
        }

        public override async ValueTask<string> SelectUniqueAsync(string objectClass, string attribute, IReadOnlyList<string> alternatives, string? anchor, CancellationToken ct)
        {
            var system = target ?? "";
            var lookup = connectors.Find(system) as IUniqueValueLookup;
            var chosen = await Handoff.Core.Templates.UniqueValue.SelectAsync(alternatives,
                async (value, token) => planned.Contains((system, value.ToLowerInvariant())) || (lookup is not null && await lookup.IsTakenAsync(objectClass, attribute, value, token)),
                lookup?.MaxLength(objectClass, attribute), cancellationToken: ct);
            planned.Add((system, chosen.ToLowerInvariant()));
            return chosen;
        }

        public override void WriteField(string field, string? value)
        {
            if (!Workflow.Permissions.MayWrite(WorkflowPermissions.Canonical, field))
                throw new PermissionDeniedException($"writing \"{field}\" is not granted by permissions.write.canonical");
            if (workspace.Dictionary.FindField(field) is not { } definition || !definition.IsWriter(Workflow.Actor))
                throw new PermissionDeniedException($"the dictionary does not authorize {Workflow.Actor} to write \"{field}\"");
            CanonicalWrites.Add(new CanonicalWrite(field, StepInputs.Canonical(Step, definition, value)));
        }

        private static string Show(object? value) => value switch
        {
            IReadOnlyList<string> list => "[" + string.Join(", ", list) + "]",
            DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            _ => value?.ToString() ?? "",
        };
    }
}
