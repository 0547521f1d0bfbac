using System.Globalization;
using Spectre.Console;

namespace Handoff.Server.Cli;

/// <summary><c>handoff nodes</c>: the nodes serving this database with their heartbeats, and who holds
/// each cluster job's lease.</summary>
public sealed class NodesCommand : HandoffCommand<HandoffSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, HandoffSettings settings, CancellationToken ct)
    {
        var nodes = await runtime.Nodes.ListAsync(ct);
        if (nodes.Count == 0)
        {
            Console.WriteLine("No node has served this database yet (`handoff serve` registers one).");
            return 0;
        }
        var table = new Table().AddColumns("Node", "State", "Last seen", "Started", "Version", "Address", "Pid");
        foreach (var n in nodes)
        {
            table.AddRow(Markup.Escape(n.Id), runtime.Nodes.IsLive(n) ? "[green]live[/]" : "gone",
                Time(n.LastSeen), Time(n.StartedAt), Markup.Escape(n.Version), Markup.Escape(n.Address ?? ""), n.Pid.ToString(CultureInfo.InvariantCulture));
        }
        Console.Write(table);
        var leases = await runtime.Nodes.LeasesAsync(ct);
        if (leases.Count > 0)
        {
            var jobs = new Table().AddColumns("Job", "Holder", "Lease until", "Token", "Last run");
            foreach (var l in leases)
                jobs.AddRow(Markup.Escape(l.Name), Markup.Escape(l.Holder), Time(l.LeaseUntil), l.FencingToken.ToString(CultureInfo.InvariantCulture), l.LastRunAt is { } t ? Time(t) : "never");
            Console.Write(jobs);
        }
        return 0;
    }

    private static string Time(DateTimeOffset t) => t == DateTimeOffset.UnixEpoch ? "—" : t.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
