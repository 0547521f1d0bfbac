using System.Security.Claims;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using Handoff.Data;
using Handoff.Data.Accounts;
using Handoff.Data.People;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;

namespace Handoff.Server.Web.Workflows;

/// <summary>A shipped template (samples/acme/workflows, embedded in the server).</summary>
public sealed record WorkflowTemplate(string Name, string Yaml, string? Title, string? Trigger, int Steps);

/// <summary>How to simulate: <c>generated</c> (N fake people with deliberate defects), <c>person</c>
/// (one person by id or key) or <c>filter</c> (the people a SCIM filter matches, at most <c>Max</c>).</summary>
public sealed record SimulationRequest(string? Yaml, string? Mode, int? Count, string? Person, string? Filter, int? Max, int? Seed);

/// <summary>
/// What the workflow pages and the API do beyond reading: sign, activate, retire, simulate, start.
/// Signing follows the dictionary's rule: the signed-in user's name is their charter member id, and their
/// roles must include their side's approval capability; the store applies the charter. A version that
/// widens permissions is activated only by an <c>it_admin</c> (the store additionally wants an IT approval).
/// </summary>
public static class WorkflowActions
{
    public const string FileName = "workflow.yaml";

    private static readonly Lazy<IReadOnlyList<WorkflowTemplate>> AllTemplates = new(LoadTemplates);

    public static IReadOnlyList<WorkflowTemplate> Templates => AllTemplates.Value;

    public static WorkflowTemplate? Template(string name) => Templates.FirstOrDefault(t => t.Name == name);

    private static IReadOnlyList<WorkflowTemplate> LoadTemplates()
    {
        var assembly = typeof(WorkflowActions).Assembly;
        var list = new List<WorkflowTemplate>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("templates/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var yaml = reader.ReadToEnd();
            var parsed = WorkflowLoader.Load(yaml, resource).Workflow;
            list.Add(new WorkflowTemplate(Path.GetFileNameWithoutExtension(resource["templates/".Length..]), yaml, parsed?.Name, parsed?.Trigger.ToString(), parsed?.Steps.Count ?? 0));
        }
        return list;
    }

    public static IReadOnlyList<string> Widens(WorkflowVersionRow v) => JsonDefaults.Deserialize<List<string>>(v.WidensJson) ?? [];

    public static async Task<WorkflowApprovalReport> ApproveAsync(HandoffRuntime runtime, ClaimsPrincipal user, string reference, CancellationToken ct)
    {
        var name = user.Actor();
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var member = workspace.Definition.Charter.FindMember(name)
            ?? throw new ApprovalRefusedException($"{name} is not a member of the charter: only charter members sign workflow versions (the user name must be the member id)");
        var capability = member.Side == SystemOwner.Hr ? Capabilities.WorkflowsApproveHr : Capabilities.WorkflowsApproveIt;
        if (!user.HasCapability(capability))
            throw new ApprovalRefusedException($"{name} signs for {member.Side.ToString().ToUpperInvariant()}, and their roles do not include {capability}");
        return await runtime.Workflows.ApproveAsync(reference, name, ct);
    }

    public static async Task<WorkflowVersionRow> ActivateAsync(HandoffRuntime runtime, ClaimsPrincipal user, string reference, CancellationToken ct)
    {
        var version = await runtime.Workflows.GetAsync(reference, ct);
        var widens = Widens(version);
        if (widens.Count > 0 && !user.IsInRole(HandoffRoles.ItAdmin))
            throw new ApprovalRefusedException($"{WorkflowStore.Label(version)} widens permissions ({string.Join("; ", widens)}); an it_admin activates it");
        return await runtime.Workflows.ActivateAsync(WorkflowStore.Label(version), user.Actor(), ct);
    }

    public static Task<WorkflowVersionRow> RetireAsync(HandoffRuntime runtime, ClaimsPrincipal user, string workflowId, CancellationToken ct) =>
        runtime.Workflows.RetireAsync(workflowId, user.Actor(), ct);

    /// <summary>Validates the YAML against the workspace, then simulates it (no side effects).</summary>
    public static async Task<(WorkflowLoadResult Loaded, SimulationReport? Report)> SimulateAsync(HandoffRuntime runtime, SimulationRequest request, CancellationToken ct)
    {
        var loaded = await runtime.Workflows.ValidateAsync(request.Yaml ?? "", FileName, ct);
        if (!loaded.Succeeded)
            return (loaded, null);
        var workflow = loaded.Workflow!;
        var report = request.Mode switch
        {
            "person" => await runtime.Simulator.ForPeopleAsync(workflow, await PersonIdAsync(runtime, request.Person, ct), null, 1, ct),
            "filter" => await runtime.Simulator.ForPeopleAsync(workflow, null,
                string.IsNullOrWhiteSpace(request.Filter) ? throw new WorkflowStateException("give a filter, e.g. department eq \"Sales\"") : request.Filter,
                Math.Clamp(request.Max ?? 100, 1, 1000), ct),
            _ => await runtime.Simulator.ForGeneratedAsync(workflow, Math.Clamp(request.Count ?? 20, 1, 500), request.Seed ?? 7, ct),
        };
        return (loaded, report);
    }

    /// <summary>Starts an active workflow now for one person (by id or key) or for a filter (capped).</summary>
    public static async Task<IReadOnlyList<Guid>> StartAsync(HandoffRuntime runtime, ClaimsPrincipal user, string workflowId, string? person, string? filter, int? max, CancellationToken ct)
    {
        Guid? personId = string.IsNullOrWhiteSpace(person) ? null : await PersonIdAsync(runtime, person, ct);
        if (personId is null && string.IsNullOrWhiteSpace(filter))
            throw new WorkflowStateException("give a person or a filter");
        return await runtime.Engine.StartManualAsync(workflowId, personId, string.IsNullOrWhiteSpace(filter) ? null : filter, Math.Clamp(max ?? 50, 1, 1000), user.Actor(), ct);
    }

    public static async Task<Guid> PersonIdAsync(HandoffRuntime runtime, string? reference, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reference))
            throw new WorkflowStateException("give a person (id, employee id or work email)");
        await using var db = runtime.Database.CreateContext();
        return (await PeopleDirectory.FindAsync(db, reference.Trim(), ct)).Id;
    }

    public static object Version(WorkflowVersionRow v) => new
    {
        id = v.Id,
        workflow = v.WorkflowId,
        version = v.Version,
        reference = WorkflowStore.Label(v),
        name = v.Name,
        status = v.Status,
        author = v.Author,
        proposed_at = v.ProposedAt,
        activated_at = v.ActivatedAt,
        activated_by = v.ActivatedBy,
        retired_at = v.RetiredAt,
        widens = Widens(v),
        approvals = v.Approvals.Select(a => new { member = a.Member, side = a.Side, at = a.At }),
    };

    public static object Simulation(SimulationReport report) => new
    {
        workflow = report.Workflow,
        people = report.Runs.Count,
        writes = report.Writes,
        failures = report.Failures,
        runs = report.Runs.Select(r => new
        {
            person = r.PersonId,
            name = r.PersonName,
            defect = r.Defect,
            generated = r.Generated,
            accounts = r.Accounts,
            in_scope = r.InScope,
            steps = r.Steps.Select(s => new { step = s.StepId, uses = s.Uses, outcome = s.Outcome, system = s.System, detail = s.Detail }),
        }),
    };

    public static object Errors(IEnumerable<WorkspaceError> errors) =>
        errors.Select(e => new { line = e.Line, column = e.Column, message = e.Message, text = e.ToString() });
}
