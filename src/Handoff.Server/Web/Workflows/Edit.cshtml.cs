using System.Globalization;
using Handoff.Core.Workflows;
using Handoff.Core.Workspace;
using Handoff.Data.People;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Handoff.Server.Jobs;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Workflows;

/// <summary>
/// The workflow editor: a form HR can use (steps as cards, inputs as fields, pick lists from the
/// dictionary and the step catalogue) and a YAML view for IT. Every post turns the view being edited
/// into YAML, and the page is rendered back from that YAML, so both views always show the same
/// workflow. Validate shows the loader's errors at the step and field they name; simulate runs the
/// workflow with no side effects; propose stores a new version for approval.
/// </summary>
[Authorize(Policy = Capabilities.WorkflowsPropose)]
public sealed class EditModel(HandoffRuntime runtime, BackgroundJobQueue jobs) : PageModel
{
    [BindProperty] public WorkflowForm Form { get; set; } = new();
    [BindProperty] public string Yaml { get; set; } = "";
    /// <summary><c>form</c> or <c>yaml</c>: the view the user is editing.</summary>
    [BindProperty] public string Mode { get; set; } = "form";
    [BindProperty] public string? Command { get; set; }
    [BindProperty] public string? NewStepType { get; set; }
    [BindProperty] public string SimulateMode { get; set; } = "generated";
    [BindProperty] public int SimulateCount { get; set; } = 20;
    [BindProperty] public string? SimulatePerson { get; set; }
    [BindProperty] public string? SimulateFilter { get; set; }
    /// <summary>What the text started from (a template or a version), for the page's heading.</summary>
    [BindProperty] public string? BasedOn { get; set; }

    public WorkspaceDefinition? Workspace { get; private set; }
    public string? NotReady { get; private set; }
    public string? FormProblem { get; private set; }
    public IReadOnlyList<WorkspaceError> Errors { get; private set; } = [];
    public ErrorPlaces? Places { get; private set; }
    public WorkflowDefinition? Valid { get; private set; }
    public SimulationReport? Simulation { get; private set; }
    public string? SimulationProblem { get; private set; }

    public IEnumerable<WorkspaceError> ErrorsAt(int? step, Func<string?, bool> part) =>
        Places is null ? [] : Errors.Where(e => Places.Of(e) is var p && p.Step == step && part(p.Part));

    public IEnumerable<WorkspaceError> ErrorsAt(int? step, string part) => ErrorsAt(step, p => p == part);

    public async Task<IActionResult> OnGetAsync(string? template, string? from, string? mode, CancellationToken ct)
    {
        if (!await LoadWorkspaceAsync(ct))
            return Page();
        if (template is not null)
        {
            var t = WorkflowActions.Template(template);
            if (t is null)
                return NotFound();
            Yaml = t.Yaml;
            BasedOn = $"the template {t.Name}";
        }
        else if (from is not null)
        {
            try
            {
                var v = await runtime.Workflows.GetAsync(from, ct);
                Yaml = v.Yaml;
                BasedOn = WorkflowStore.Label(v);
            }
            catch (WorkflowStateException)
            {
                return NotFound();
            }
        }
        else
        {
            Yaml = Blank;
        }
        Mode = mode == "yaml" ? "yaml" : "form";
        Form = WorkflowForm.FromYaml(Yaml, out var problem) ?? new WorkflowForm();
        FormProblem = problem;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!await LoadWorkspaceAsync(ct))
            return Page();
        var command = Command ?? "refresh";
        if (Mode == "form")
        {
            ApplyToForm(command);
            Yaml = Form.ToYaml();
        }
        if (command == "to-yaml")
            Mode = "yaml";
        else if (command == "to-form")
            Mode = "form";
        // The page always shows what the YAML says: the form is read back from it.
        if (WorkflowForm.FromYaml(Yaml, out var problem) is { } form)
            Form = form;
        else if (Mode == "form")
        {
            // Text that is not YAML cannot become a form; stay in the YAML view with the reason.
            Mode = "yaml";
            FormProblem = problem;
        }
        else
        {
            FormProblem = problem;
        }
        ModelState.Clear();

        if (command is "validate" or "simulate" or "simulate-background" or "propose")
        {
            var loaded = await runtime.Workflows.ValidateAsync(Yaml, WorkflowActions.FileName, ct);
            Errors = loaded.Errors;
            Places = new ErrorPlaces(Yaml);
            Valid = loaded.Succeeded ? loaded.Workflow : null;
            if (Valid is not null && command == "simulate")
                await SimulateAsync(ct);
            // A large population runs as a background job: the page does not wait for it.
            if (Valid is not null && command == "simulate-background")
            {
                if (SimulateCount is < 1 or > BackgroundJobHandlers.MaxSimulated)
                    SimulationProblem = $"simulate in the background on 1 to {BackgroundJobHandlers.MaxSimulated} generated people, not {SimulateCount}";
                else
                {
                    var id = await jobs.EnqueueAsync(Data.Jobs.BackgroundJobKind.Simulate, new SimulateJob(Yaml, SimulateCount, 7), User.Actor(), ct);
                    return Redirect($"/Jobs/{id}");
                }
            }
            if (Valid is not null && command == "propose")
            {
                try
                {
                    var p = await runtime.Workflows.ProposeAsync(Yaml, WorkflowActions.FileName, User.Actor(), ct);
                    TempData["Message"] = p.Widens.Count == 0
                        ? $"{p.WorkflowId}@v{p.Version} proposed: logic only, it needs an HR approver."
                        : $"{p.WorkflowId}@v{p.Version} proposed: it widens permissions ({string.Join("; ", p.Widens)}), so it needs an HR and an IT approver.";
                    return Redirect($"/Workflows/Version/{p.WorkflowId}@v{p.Version}");
                }
                catch (WorkflowStateException e)
                {
                    SimulationProblem = e.Message;
                }
            }
        }
        return Page();
    }

    private async Task SimulateAsync(CancellationToken ct)
    {
        try
        {
            var (_, report) = await WorkflowActions.SimulateAsync(runtime,
                new SimulationRequest(Yaml, SimulateMode, SimulateCount, SimulatePerson, SimulateFilter, 100, 7), ct);
            Simulation = report;
        }
        catch (Exception e) when (e is WorkflowStateException or PersonNotFoundException or FormatException)
        {
            SimulationProblem = e.Message;
        }
    }

    /// <summary>The form's own edits: add, remove and move steps.</summary>
    private void ApplyToForm(string command)
    {
        var (verb, index) = command.Split(':') is [var v, var i] && int.TryParse(i, CultureInfo.InvariantCulture, out var n) ? (v, n) : (command, -1);
        var steps = Form.Steps;
        switch (verb)
        {
            case "add-step" when StepCatalog.Find(NewStepType ?? "") is { } descriptor:
                var baseId = descriptor.Type.Split('.')[^1].Replace('_', '-');
                var id = baseId;
                for (var k = 2; steps.Any(s => s.Id == id); k++)
                    id = $"{baseId}-{k}";
                steps.Add(new StepForm
                {
                    Id = id,
                    Uses = descriptor.Type,
                    Inputs = descriptor.Inputs.Where(x => x.Required).ToDictionary(x => x.Name, _ => ""),
                });
                break;
            case "remove" when index >= 0 && index < steps.Count:
                steps.RemoveAt(index);
                break;
            case "up" when index > 0 && index < steps.Count:
                (steps[index - 1], steps[index]) = (steps[index], steps[index - 1]);
                break;
            case "down" when index >= 0 && index < steps.Count - 1:
                (steps[index + 1], steps[index]) = (steps[index], steps[index + 1]);
                break;
        }
    }

    private async Task<bool> LoadWorkspaceAsync(CancellationToken ct)
    {
        try
        {
            Workspace = (await runtime.Workspace.LoadActiveAsync(ct)).Definition;
            return true;
        }
        catch (WorkspaceStateException e)
        {
            NotReady = e.Message;
            return false;
        }
    }

    private const string Blank = """
        id: my-workflow
        name: My workflow
        trigger: { event: person.pre_hire }
        permissions:
          read: [first_name, last_name]
          write: { servicedesk: [ticket.create] }
        steps:
          - id: ticket
            uses: ticketing.create_ticket
            with: { title: 'Welcome {{ first_name }} {{ last_name }}' }
        """;
}
