using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Data.Sandbox;
using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests.Workflows;

/// <summary>The data spine plus the workflow engine on the sandbox targets (stored in the same test
/// database), and short ways to get a workflow active.</summary>
public sealed class WorkflowSpine
{
    private WorkflowSpine(DataSpine spine, EngineOptions? options)
    {
        Spine = spine;
        Workflows = new WorkflowStore(spine.Database, spine.Clock, spine.Audit, spine.Workspace);
        Engine = new WorkflowEngine(spine.Database, spine.Clock, spine.Audit, spine.Workspace, Workflows, spine.Keys,
            ws => new SandboxConnectors(ws, spine.Database, spine.Clock), options ?? new EngineOptions { Workers = 2 });
        Simulator = new WorkflowSimulator(spine.Database, spine.Clock, spine.Workspace, spine.Keys, ws => new SandboxConnectors(ws, spine.Database, spine.Clock));
    }

    public DataSpine Spine { get; }
    public TestClock Clock => Spine.Clock;
    public WorkflowStore Workflows { get; }
    public WorkflowEngine Engine { get; }
    public WorkflowSimulator Simulator { get; }

    public static async Task<WorkflowSpine> StartAsync(string provider, string today = "2026-11-27", EngineOptions? options = null) =>
        new(await DataSpine.StartAsync(provider, today), options);

    /// <summary>Proposes (as alice), signs (hector for HR, ivan for IT) and activates a workflow.</summary>
    public async Task<WorkflowVersionRow> ActivateAsync(string yaml, TimeSpan? backfill = null)
    {
        var proposal = await Workflows.ProposeAsync(yaml, "test.yaml", "alice", default);
        await Workflows.ApproveAsync($"{proposal.WorkflowId}@v{proposal.Version}", "hector", default);
        if (proposal.Widens.Count > 0)
            await Workflows.ApproveAsync($"{proposal.WorkflowId}@v{proposal.Version}", "ivan", default);
        return await Workflows.ActivateAsync($"{proposal.WorkflowId}@v{proposal.Version}", "tara", default, backfill);
    }

    public Task<WorkflowVersionRow> ActivateSampleAsync(string name, TimeSpan? backfill = null) =>
        ActivateAsync(File.ReadAllText(Path.Combine(Repository.AcmeWorkspace, "workflows", name + ".yaml")), backfill);

    public static Dictionary<string, string?> Worker(string id, string first, string last, string begin, string? end = null,
        string department = "Engineering", string type = "Regular", string? zone = "Europe/Berlin", string? personalEmail = null) => new()
        {
            ["Employee_ID"] = id,
            ["Legal_First_Name"] = first,
            ["Legal_Last_Name"] = last,
            ["Employment_Begin_Date"] = begin,
            ["Termination_Date"] = end,
            ["Department"] = department,
            ["Worker_Type"] = type,
            ["Time_Zone"] = zone,
            ["Personal_Email"] = personalEmail,
            ["Job_Title"] = "Engineer",
        };

    public async Task<List<SandboxObjectRow>> AccountsAsync(string system = "directory")
    {
        await using var db = Spine.Db();
        return await db.SandboxObjects.AsNoTracking().Where(o => o.SystemId == system && o.ObjectClass == ObjectClasses.Account).ToListAsync();
    }

    public async Task<List<SandboxObjectRow>> ObjectsAsync(string system, string objectClass)
    {
        await using var db = Spine.Db();
        return await db.SandboxObjects.AsNoTracking().Where(o => o.SystemId == system && o.ObjectClass == objectClass).ToListAsync();
    }

    public async Task<List<RunRow>> RunsAsync(string? workflow = null)
    {
        await using var db = Spine.Db();
        return await db.Runs.AsNoTracking().Where(r => workflow == null || r.WorkflowId == workflow).OrderBy(r => r.CreatedAt).ToListAsync();
    }

    public async Task<List<RunStepRow>> StepsAsync(Guid run)
    {
        await using var db = Spine.Db();
        return await db.RunSteps.AsNoTracking().Where(s => s.RunId == run).OrderBy(s => s.Id).ToListAsync();
    }

    public async Task<List<string>> AuditActionsAsync(string? correlation = null)
    {
        await using var db = Spine.Db();
        return await db.AuditEntries.AsNoTracking().Where(a => correlation == null || a.CorrelationId == correlation).OrderBy(a => a.Sequence).Select(a => a.Action).ToListAsync();
    }

    public async Task FaultAsync(string system, SandboxFaultMode mode, int? count = null)
    {
        await using var db = Spine.Db();
        await SandboxFaults.SetAsync(db, system, mode, count, clock: Spine.Clock);
    }

    public async Task ClearFaultsAsync(string system)
    {
        await using var db = Spine.Db();
        await SandboxFaults.ClearAsync(db, system);
    }
}
