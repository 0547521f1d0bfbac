using Handoff.Data.Sources;
using Handoff.Server.Sources;
using Handoff.Server.Web.Security;

namespace Handoff.Server.Web.Systems;

public static class SystemsApi
{
    public static RouteGroupBuilder MapSystemsApi(this RouteGroupBuilder api)
    {
        var systems = api.MapGroup("/systems").WithTags("Systems");
        systems.MapGet("/", async (HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok((await new SourceOverview(runtime.Database).SystemsAsync(ct)).Select(s => new
            {
                id = s.System.Id,
                name = s.System.Name,
                kind = s.System.Kind,
                connector = s.System.Connector,
                owner = s.System.Owner,
                open_quarantine = s.OpenQuarantine,
                last_syncs = s.LastSyncs.Select(Sync),
            })))
            .WithName("ListSystems").WithSummary("Systems with connector, owner, last syncs and open quarantine").RequireAuthorization(Capabilities.SystemsRead);
        systems.MapGet("/syncs", async (string? system, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok((await new SourceOverview(runtime.Database).RecentSyncsAsync(50, ct, system)).Select(Sync)))
            .WithName("ListSyncs").WithSummary("Recent syncs with their counts").RequireAuthorization(Capabilities.SystemsRead);
        systems.MapPost("/{system}/syncs", async (string system, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(await SourceRuns.SyncAsync(runtime, system, null, ct)))
            .WithName("RunSync").WithSummary("Read a CSV system's drop folder now").RequireAuthorization(Capabilities.SystemsSync);
        return api;
    }

    public static object Sync(SyncRow s) => new
    {
        id = s.Id,
        system = s.System,
        channel = s.Channel,
        started_at = s.StartedAt,
        finished_at = s.FinishedAt,
        status = s.Status,
        error = s.Error,
        read = s.Read,
        created = s.Created,
        updated = s.Updated,
        unchanged = s.Unchanged,
        rejected = s.Rejected,
        held = s.Held,
        scheduled = s.Scheduled,
        duration_ms = s.DurationMs,
    };
}
