using System.Security.Claims;
using Handoff.Core.Workspace;
using Handoff.Data.Workspace;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;

namespace Handoff.Server.Web.Dictionary;

public sealed record DictionaryProposal(string Yaml, string? Comment);

/// <summary>Signing a dictionary version from the web: the signed-in user's name is their charter
/// member id, and their roles must allow their side's approval. The store then applies the charter's
/// rules (approver flag, not the author, one per side, two different people).</summary>
public static class DictionaryActions
{
    public static async Task<ApprovalReport> ApproveAsync(HandoffRuntime runtime, ClaimsPrincipal user, int version, CancellationToken ct)
    {
        var name = user.Actor();
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        var member = workspace.Definition.Charter.FindMember(name)
            ?? throw new ApprovalRefusedException($"{name} is not a member of the charter: only charter members sign dictionary versions (the user name must be the member id)");
        var capability = member.Side == SystemOwner.Hr ? Capabilities.DictionaryApproveHr : Capabilities.DictionaryApproveIt;
        if (!user.HasCapability(capability))
            throw new ApprovalRefusedException($"{name} signs for {member.Side.ToString().ToUpperInvariant()}, and their roles do not include {capability}");
        return await runtime.Workspace.ApproveAsync(version, name, ct);
    }

    public static object Version(DictionaryVersionRow v) => new
    {
        id = v.Id,
        status = v.Status,
        author = v.Author,
        comment = v.Comment,
        created_at = v.CreatedAt,
        activated_at = v.ActivatedAt,
        approvals = v.Approvals.Select(a => new { approver = a.Approver, side = a.Side, at = a.At }),
    };
}

public static class DictionaryApi
{
    public static RouteGroupBuilder MapDictionaryApi(this RouteGroupBuilder api)
    {
        var dictionary = api.MapGroup("/dictionary").WithTags("Dictionary");
        dictionary.MapGet("/versions", async (HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok((await runtime.Workspace.VersionsAsync(ct)).Select(DictionaryActions.Version)))
            .WithName("ListDictionaryVersions").WithSummary("Dictionary versions with status and signatures").RequireAuthorization(Capabilities.DictionaryRead);
        dictionary.MapGet("/versions/{id:int}", async (int id, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var v = (await runtime.Workspace.VersionsAsync(ct)).FirstOrDefault(x => x.Id == id);
            return v is null ? Results.Problem(title: "not found", detail: $"dictionary v{id} does not exist", statusCode: 404)
                : Results.Ok(new { version = DictionaryActions.Version(v), yaml = v.Yaml });
        }).WithName("GetDictionaryVersion").WithSummary("One version with its YAML").RequireAuthorization(Capabilities.DictionaryRead);
        dictionary.MapGet("/diff", async (int from, int to, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Text(await runtime.Workspace.DiffAsync(from, to, ct)))
            .WithName("DiffDictionaryVersions").WithSummary("Line diff between two versions").RequireAuthorization(Capabilities.DictionaryRead);
        dictionary.MapPost("/versions", async (DictionaryProposal proposal, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
        {
            var id = await runtime.Workspace.ProposeAsync(proposal.Yaml, "dictionary.yaml", user.Actor(), proposal.Comment, ct);
            return Results.Created($"/api/dictionary/versions/{id}", new { id, status = "proposed" });
        }).WithName("ProposeDictionaryVersion").WithSummary("Propose a new version (YAML); it needs an HR and an IT approval").RequireAuthorization(Capabilities.DictionaryPropose);
        dictionary.MapPost("/versions/{id:int}/approvals", async (int id, ClaimsPrincipal user, HandoffRuntime runtime, CancellationToken ct) =>
            Results.Ok(await DictionaryActions.ApproveAsync(runtime, user, id, ct)))
            .WithName("ApproveDictionaryVersion").WithSummary("Sign a proposed version for your side of the charter").RequireAuthorization(Capabilities.DictionaryApprove);
        return api;
    }
}
