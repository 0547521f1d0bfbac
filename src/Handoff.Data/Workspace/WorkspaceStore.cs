using System.Globalization;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Handoff.Core.Audit;
using Handoff.Core.Workspace;
using Handoff.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Workspace;

/// <summary>The workspace the engine runs with: systems, the dictionary version in effect, the
/// charter, and the folder the workspace was applied from (CSV drop paths are relative to it).</summary>
public sealed record ActiveWorkspace(WorkspaceDefinition Definition, string Directory, int DictionaryVersion);

/// <summary>What <see cref="WorkspaceStore.ApplyAsync"/> changed.</summary>
public sealed record ApplyReport(int Systems, bool CharterChanged, int? ProposedDictionaryVersion, int? ActiveDictionaryVersion);

/// <summary>What an approval did to a dictionary version.</summary>
public sealed record ApprovalReport(int Version, string Status, IReadOnlyList<string> SignedBy, string? StillNeeded);

/// <summary>
/// Stores the workspace (config as code) and the dictionary's versions. Systems and charter take
/// effect when applied; a dictionary change is a proposed version that takes effect only after one
/// HR and one IT approver, two different people, signed it — the author's own signature never counts
/// for their side.
/// </summary>
public sealed class WorkspaceStore(DatabaseOptions database, TimeProvider clock, AuditLog audit)
{
    private const string SystemsDoc = "systems.yaml";
    private const string CharterDoc = "charter.yaml";
    private const string DirectoryDoc = "workspace.directory";

    /// <summary>Applies a validated workspace in one transaction. A dictionary that differs from the
    /// latest version becomes a new proposed version authored by <paramref name="actor"/>.</summary>
    public async Task<ApplyReport> ApplyAsync(WorkspaceDefinition ws, string directory, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var drafts = new List<AuditDraft>();

        var existing = await db.Systems.ToListAsync(ct);
        db.Systems.RemoveRange(existing.Where(e => ws.FindSystem(e.Id) is null));
        var position = 0;
        foreach (var s in ws.Systems)
        {
            var row = existing.FirstOrDefault(e => e.Id == s.Id);
            if (row is null)
                db.Systems.Add(row = new SystemRow { Id = s.Id });
            row.Name = s.Name;
            row.Kind = s.Kind.ToString().ToLowerInvariant();
            row.Connector = s.Connector;
            row.Owner = s.Owner.ToString().ToLowerInvariant();
            row.ConfigJson = JsonDefaults.Serialize(s.Config);
            row.Position = position++;
        }
        await SetDocumentAsync(db, SystemsDoc, WorkspaceWriter.ToYaml(ws.Systems), now, ct);
        var charterChanged = await SetDocumentAsync(db, CharterDoc, WorkspaceWriter.ToYaml(ws.Charter), now, ct);
        await SetDocumentAsync(db, DirectoryDoc, Path.GetFullPath(directory), now, ct);

        var yaml = WorkspaceWriter.ToYaml(ws.Dictionary);
        var latest = await db.DictionaryVersions.OrderByDescending(v => v.Id).FirstOrDefaultAsync(ct);
        int? proposed = null;
        if (latest is null || latest.Yaml != yaml)
        {
            var version = new DictionaryVersionRow { Id = (latest?.Id ?? 0) + 1, Yaml = yaml, Author = actor, CreatedAt = now, Comment = "applied from workspace" };
            db.DictionaryVersions.Add(version);
            proposed = version.Id;
            drafts.Add(new AuditDraft($"user:{actor}", "dictionary.proposed", "dictionary_version", version.Id.ToString(CultureInfo.InvariantCulture),
                [new("comment", null, version.Comment)], null, null, now));
        }
        drafts.Insert(0, new AuditDraft($"user:{actor}", "workspace.applied", "workspace", Path.GetFullPath(directory),
            [new("systems", null, string.Join(",", ws.Systems.Select(x => x.Id))), new("charter", null, charterChanged ? "changed" : "unchanged")], null, null, now));
        await audit.AppendAsync(db, drafts, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        var active = await db.DictionaryVersions.Where(v => v.Status == "active").Select(v => (int?)v.Id).FirstOrDefaultAsync(ct);
        return new ApplyReport(ws.Systems.Count, charterChanged, proposed, active);
    }

    /// <summary>The folder the workspace was last applied from, or null before the first apply —
    /// for connectors whose files (mail templates) live in the workspace.</summary>
    public static async Task<string?> AppliedDirectoryAsync(DatabaseOptions database, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.WorkspaceDocuments.AsNoTracking().Where(d => d.Key == DirectoryDoc).Select(d => d.Content).FirstOrDefaultAsync(ct);
    }

    /// <summary>The workspace in effect. Fails with a clear message when nothing was applied yet or
    /// no dictionary version has been approved.</summary>
    public async Task<ActiveWorkspace> LoadActiveAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var docs = await db.WorkspaceDocuments.AsNoTracking().ToDictionaryAsync(d => d.Key, d => d.Content, ct);
        if (!docs.TryGetValue(DirectoryDoc, out var directory))
            throw new WorkspaceStateException("no workspace has been applied yet: run `handoff apply -f DIR` first");
        var active = await db.DictionaryVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Status == "active", ct)
            ?? throw new WorkspaceStateException("no dictionary version is in effect yet: a proposed version needs one HR and one IT approval (`handoff dictionary approve`)");
        // Every webhook delivery and sync asks for the workspace; the YAML is parsed again only when
        // what is stored changed (the texts are small, the parse is not free).
        var key = (docs.GetValueOrDefault(SystemsDoc), active.Yaml, docs.GetValueOrDefault(CharterDoc), directory, active.Id);
        if (_cached is { } hit && hit.Key == key)
            return hit.Workspace;
        var result = WorkspaceLoader.LoadFromText(key.Item1, key.Yaml, key.Item3);
        if (!result.Succeeded)
            throw new WorkspaceStateException($"dictionary v{active.Id} no longer fits the applied systems: " + string.Join("; ", result.Errors));
        var workspace = new ActiveWorkspace(result.Workspace!, directory, active.Id);
        _cached = new CachedWorkspace(key, workspace); // a reference: readers on other threads see all or nothing
        return workspace;
    }

    private sealed record CachedWorkspace((string?, string Yaml, string?, string, int) Key, ActiveWorkspace Workspace);

    private CachedWorkspace? _cached;

    /// <summary>Writes the applied workspace back as YAML: systems, charter and the latest dictionary
    /// version (in effect or proposed) — what was applied, so apply → export is lossless.</summary>
    public async Task<int?> ExportAsync(string directory, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var docs = await db.WorkspaceDocuments.AsNoTracking().ToDictionaryAsync(d => d.Key, d => d.Content, ct);
        if (!docs.ContainsKey(DirectoryDoc))
            throw new WorkspaceStateException("no workspace has been applied yet: nothing to export");
        var latest = await db.DictionaryVersions.AsNoTracking().OrderByDescending(v => v.Id).FirstOrDefaultAsync(ct);
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, WorkspaceLoader.SystemsFile), docs.GetValueOrDefault(SystemsDoc) ?? "systems: []\n", ct);
        await File.WriteAllTextAsync(Path.Combine(directory, WorkspaceLoader.CharterFile), docs.GetValueOrDefault(CharterDoc) ?? "", ct);
        if (latest is not null)
            await File.WriteAllTextAsync(Path.Combine(directory, WorkspaceLoader.DictionaryFile), latest.Yaml, ct);
        return latest?.Id;
    }

    /// <summary>Proposes a dictionary version (checked against the applied systems).</summary>
    public async Task<int> ProposeAsync(string yaml, string fileName, string author, string? comment, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var systemIds = await db.Systems.Select(s => s.Id).ToListAsync(ct);
        var parsed = WorkspaceLoader.ParseDictionary(yaml, fileName, systemIds);
        if (!parsed.Succeeded)
            throw new WorkspaceValidationException(parsed.Errors);
        var normalized = WorkspaceWriter.ToYaml(parsed.Dictionary!);
        var latest = await db.DictionaryVersions.OrderByDescending(v => v.Id).FirstOrDefaultAsync(ct);
        if (latest is not null && latest.Yaml == normalized)
            throw new WorkspaceStateException($"this dictionary is identical to v{latest.Id} ({latest.Status}); nothing to propose");
        var version = new DictionaryVersionRow { Id = (latest?.Id ?? 0) + 1, Yaml = normalized, Author = author, Comment = comment, CreatedAt = clock.GetUtcNow() };
        db.DictionaryVersions.Add(version);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await audit.AppendAsync(db, new AuditDraft($"user:{author}", "dictionary.proposed", "dictionary_version", version.Id.ToString(CultureInfo.InvariantCulture),
            [new("comment", null, comment)], null, null, version.CreatedAt), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return version.Id;
    }

    /// <summary>Signs a proposed version for the approver's side. When both sides have signed, the
    /// version takes effect and the previous one is superseded, in the same transaction.</summary>
    public async Task<ApprovalReport> ApproveAsync(int versionId, string approver, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var version = await db.DictionaryVersions.Include(v => v.Approvals).SingleOrDefaultAsync(v => v.Id == versionId, ct)
            ?? throw new WorkspaceStateException($"dictionary v{versionId} does not exist");
        if (version.Status != "proposed")
            throw new WorkspaceStateException($"dictionary v{versionId} is {version.Status}; only a proposed version can be approved");

        var charterText = await db.WorkspaceDocuments.Where(d => d.Key == CharterDoc).Select(d => d.Content).FirstOrDefaultAsync(ct);
        var charter = charterText is null ? Charter.Empty : WorkspaceLoader.LoadFromText(null, null, charterText).Workspace?.Charter ?? Charter.Empty;
        var member = charter.FindMember(approver)
            ?? throw new ApprovalRefusedException($"{approver} is not a member of the charter");
        if (!member.Approver)
            throw new ApprovalRefusedException($"{approver} ({member.Side.ToString().ToUpperInvariant()}) is not an approver in the charter");
        var side = member.Side.ToString().ToLowerInvariant();
        if (approver == version.Author)
            throw new ApprovalRefusedException($"{approver} authored v{versionId}: the author's own approval does not count; another {side.ToUpperInvariant()} approver must sign");
        if (version.Approvals.Any(a => a.Approver == approver))
            throw new ApprovalRefusedException($"{approver} already signed v{versionId}");
        if (version.Approvals.Any(a => a.Side == side))
            throw new ApprovalRefusedException($"v{versionId} already has its {side.ToUpperInvariant()} approval ({version.Approvals.First(a => a.Side == side).Approver})");

        version.Approvals.Add(new DictionaryApprovalRow { Approver = approver, Side = side, At = now });
        var sides = version.Approvals.Select(a => a.Side).ToHashSet();
        string? stillNeeded = null;
        if (sides.Contains("hr") && sides.Contains("it"))
        {
            foreach (var previous in await db.DictionaryVersions.Where(v => v.Status == "active").ToListAsync(ct))
                previous.Status = "superseded";
            version.Status = "active";
            version.ActivatedAt = now;
        }
        else
        {
            stillNeeded = sides.Contains("hr") ? "an IT approver" : "an HR approver";
        }
        await audit.AppendAsync(db, new AuditDraft($"user:{approver}", version.Status == "active" ? "dictionary.activated" : "dictionary.approved",
            "dictionary_version", version.Id.ToString(CultureInfo.InvariantCulture), [new("side", null, side), new("status", null, version.Status)], null, null, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new ApprovalReport(version.Id, version.Status, version.Approvals.Select(a => $"{a.Approver} ({a.Side})").ToList(), stillNeeded);
    }

    public async Task<IReadOnlyList<DictionaryVersionRow>> VersionsAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.DictionaryVersions.AsNoTracking().Include(v => v.Approvals).OrderBy(v => v.Id).ToListAsync(ct);
    }

    /// <summary>A line diff between two versions' YAML (the YAML is normalized, so only real changes show).</summary>
    public async Task<string> DiffAsync(int from, int to, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var a = await db.DictionaryVersions.AsNoTracking().SingleOrDefaultAsync(v => v.Id == from, ct) ?? throw new WorkspaceStateException($"dictionary v{from} does not exist");
        var b = await db.DictionaryVersions.AsNoTracking().SingleOrDefaultAsync(v => v.Id == to, ct) ?? throw new WorkspaceStateException($"dictionary v{to} does not exist");
        var diff = InlineDiffBuilder.Diff(a.Yaml, b.Yaml);
        var sb = new StringBuilder();
        sb.Append("--- v").Append(from).Append('\n').Append("+++ v").Append(to).Append('\n');
        foreach (var line in diff.Lines)
        {
            switch (line.Type)
            {
                case ChangeType.Inserted: sb.Append("+ ").Append(line.Text).Append('\n'); break;
                case ChangeType.Deleted: sb.Append("- ").Append(line.Text).Append('\n'); break;
            }
        }
        return sb.ToString();
    }

    private static async Task<bool> SetDocumentAsync(HandoffDbContext db, string key, string content, DateTimeOffset now, CancellationToken ct)
    {
        var doc = await db.WorkspaceDocuments.FindAsync([key], ct);
        if (doc is null)
        {
            db.WorkspaceDocuments.Add(new WorkspaceDocumentRow { Key = key, Content = content, UpdatedAt = now });
            return true;
        }
        if (doc.Content == content)
            return false;
        doc.Content = content;
        doc.UpdatedAt = now;
        return true;
    }
}

/// <summary>The workspace is not in a state to do what was asked (nothing applied, no approved dictionary).</summary>
public sealed class WorkspaceStateException(string message) : Exception(message);

/// <summary>An approval the charter does not allow.</summary>
public sealed class ApprovalRefusedException(string message) : Exception(message);

/// <summary>A workspace or dictionary with validation errors; nothing was changed.</summary>
public sealed class WorkspaceValidationException(IReadOnlyList<WorkspaceError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<WorkspaceError> Errors { get; } = errors;
}
