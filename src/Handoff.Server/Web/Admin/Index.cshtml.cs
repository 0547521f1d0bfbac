using Handoff.Data.Cluster;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Admin;

/// <summary>The admin sections the user's roles allow (any signed-in user may open the index).</summary>
public sealed class AdminIndexModel : PageModel
{
    public bool Users { get; private set; }
    public bool Tokens { get; private set; }
    public bool Keys { get; private set; }
    public bool Retention { get; private set; }

    /// <summary>The cluster's nodes and job leases, for it_admin (who holds <see cref="Capabilities.AdminTokens"/>).</summary>
    public IReadOnlyList<NodeRow> Nodes { get; private set; } = [];
    public IReadOnlyList<JobLeaseRow> Leases { get; private set; } = [];
    public string NodeId { get; private set; } = "";
    public Func<NodeRow, bool> IsLive { get; private set; } = _ => false;

    public async Task OnGetAsync([Microsoft.AspNetCore.Mvc.FromServices] HandoffRuntime runtime, CancellationToken ct)
    {
        Users = User.HasCapability(Capabilities.AdminUsers);
        Tokens = User.HasCapability(Capabilities.AdminTokens);
        Keys = User.HasCapability(Capabilities.AdminKeys);
        Retention = User.HasCapability(Capabilities.RetentionRead);
        NodeId = runtime.NodeId;
        if (Tokens)
        {
            Nodes = await runtime.Nodes.ListAsync(ct);
            Leases = await runtime.Nodes.LeasesAsync(ct);
            IsLive = runtime.Nodes.IsLive;
        }
    }
}
