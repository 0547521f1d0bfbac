using System.Text;
using Handoff.Core.Audit;
using Handoff.Data.Accounts;
using Handoff.Data.Audit;
using Handoff.Data.Cluster;
using Handoff.Data.Events;
using Handoff.Data.Governance;
using Handoff.Data.Jobs;
using Handoff.Data.People;
using Handoff.Data.Reconciliation;
using Handoff.Data.Sandbox;
using Handoff.Data.Scim;
using Handoff.Data.Security;
using Handoff.Data.Sources;
using Handoff.Data.Workflows;
using Handoff.Data.Workspace;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Handoff.Data;

/// <summary>The one database of Handoff, the same model on SQLite and PostgreSQL. It is also the
/// ASP.NET Core Identity store (users, roles; see <see cref="AccountModel"/>).</summary>
public sealed class HandoffDbContext(DbContextOptions<HandoffDbContext> options) : IdentityDbContext<HandoffUser>(options)
{
    public DbSet<PersonRow> People => Set<PersonRow>();
    public DbSet<PersonKeyRow> PersonKeys => Set<PersonKeyRow>();
    public DbSet<FindingRow> Findings => Set<FindingRow>();
    public DbSet<ReviewItemRow> ReviewItems => Set<ReviewItemRow>();
    public DbSet<SourceRecordRow> SourceRecords => Set<SourceRecordRow>();
    public DbSet<PendingChangeRow> PendingChanges => Set<PendingChangeRow>();
    public DbSet<SyncRow> Syncs => Set<SyncRow>();
    public DbSet<QuarantineRow> Quarantine => Set<QuarantineRow>();
    public DbSet<WebhookDeliveryRow> WebhookDeliveries => Set<WebhookDeliveryRow>();
    public DbSet<DeliveryRow> Deliveries => Set<DeliveryRow>();
    public DbSet<DeliveredRowRow> DeliveredRows => Set<DeliveredRowRow>();
    public DbSet<SystemRow> Systems => Set<SystemRow>();
    public DbSet<DictionaryVersionRow> DictionaryVersions => Set<DictionaryVersionRow>();
    public DbSet<DictionaryApprovalRow> DictionaryApprovals => Set<DictionaryApprovalRow>();
    public DbSet<WorkspaceDocumentRow> WorkspaceDocuments => Set<WorkspaceDocumentRow>();
    public DbSet<OutboxEventRow> OutboxEvents => Set<OutboxEventRow>();
    public DbSet<AuditEntryRow> AuditEntries => Set<AuditEntryRow>();
    public DbSet<AuditCheckpointRow> AuditCheckpoints => Set<AuditCheckpointRow>();
    public DbSet<AuditHeadRow> AuditHead => Set<AuditHeadRow>();
    public DbSet<KeyCheckRow> KeyChecks => Set<KeyCheckRow>();
    public DbSet<ApiTokenRow> ApiTokens => Set<ApiTokenRow>();
    public DbSet<WorkflowVersionRow> WorkflowVersions => Set<WorkflowVersionRow>();
    public DbSet<WorkflowApprovalRow> WorkflowApprovals => Set<WorkflowApprovalRow>();
    public DbSet<TriggerStateRow> TriggerStates => Set<TriggerStateRow>();
    public DbSet<RunRow> Runs => Set<RunRow>();
    public DbSet<RunStepRow> RunSteps => Set<RunStepRow>();
    public DbSet<HumanTaskRow> HumanTasks => Set<HumanTaskRow>();
    public DbSet<StagedWriteRow> StagedWrites => Set<StagedWriteRow>();
    public DbSet<AccountLinkRow> AccountLinks => Set<AccountLinkRow>();
    public DbSet<SandboxObjectRow> SandboxObjects => Set<SandboxObjectRow>();
    public DbSet<SandboxGroupRow> SandboxGroups => Set<SandboxGroupRow>();
    public DbSet<SandboxSequenceRow> SandboxSequences => Set<SandboxSequenceRow>();
    public DbSet<SandboxFaultRow> SandboxFaults => Set<SandboxFaultRow>();
    public DbSet<ScimResourceRow> ScimResources => Set<ScimResourceRow>();
    public DbSet<ScimMemberRow> ScimMembers => Set<ScimMemberRow>();
    public DbSet<BackgroundJobRow> BackgroundJobs => Set<BackgroundJobRow>();
    public DbSet<ReconciliationReportRow> ReconciliationReports => Set<ReconciliationReportRow>();
    public DbSet<ReconciliationItemRow> ReconciliationItems => Set<ReconciliationItemRow>();
    public DbSet<Handoff.Data.Systems.SchemaSnapshotRow> SchemaSnapshots => Set<Handoff.Data.Systems.SchemaSnapshotRow>();
    public DbSet<Handoff.Data.Systems.SystemFindingRow> SystemFindings => Set<Handoff.Data.Systems.SystemFindingRow>();
    public DbSet<Handoff.Data.Systems.SystemStateRow> SystemStates => Set<Handoff.Data.Systems.SystemStateRow>();
    public DbSet<ProcessMapRow> ProcessMaps => Set<ProcessMapRow>();
    public DbSet<JobLeaseRow> JobLeases => Set<JobLeaseRow>();
    public DbSet<NodeRow> Nodes => Set<NodeRow>();
    public DbSet<BacklogItemRow> BacklogItems => Set<BacklogItemRow>();
    public DbSet<WorkflowCheckpointRow> WorkflowCheckpoints => Set<WorkflowCheckpointRow>();
    public DbSet<ChangeCommunicationRow> ChangeCommunications => Set<ChangeCommunicationRow>();
    public DbSet<ChangeTrainingRow> ChangeTraining => Set<ChangeTrainingRow>();
    public DbSet<FeedbackReportRow> FeedbackReports => Set<FeedbackReportRow>();
    public DbSet<FeedbackNoteRow> FeedbackNotes => Set<FeedbackNoteRow>();
    public DbSet<KpiSnapshotRow> KpiSnapshots => Set<KpiSnapshotRow>();
    public DbSet<MonthlyReviewRow> MonthlyReviews => Set<MonthlyReviewRow>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        AccountModel.Configure(b);
        Handoff.Data.Systems.DriftModel.Configure(b);
        b.Entity<PersonRow>(e =>
        {
            e.ToTable("people");
            e.Property(p => p.State).HasMaxLength(16);
            e.Property(p => p.DisplayName).HasMaxLength(300);
            e.Property(p => p.Version).IsConcurrencyToken();
            e.HasIndex(p => p.State);
            e.HasIndex(p => p.ReviewOn);
        });
        b.Entity<PersonKeyRow>(e =>
        {
            e.ToTable("person_keys");
            e.HasKey(k => new { k.Rule, k.Value, k.PersonId });
            e.Property(k => k.Rule).HasMaxLength(100);
            e.Property(k => k.Value).HasMaxLength(400);
            e.HasIndex(k => k.PersonId);
        });
        b.Entity<FindingRow>(e =>
        {
            e.ToTable("findings");
            e.HasIndex(f => new { f.PersonId, f.Field, f.Kind });
            e.HasIndex(f => f.Status);
        });
        b.Entity<ReviewItemRow>(e =>
        {
            e.ToTable("review_items");
            e.HasIndex(r => new { r.System, r.NativeKey, r.Status });
            e.HasIndex(r => r.Status);
        });
        b.Entity<SourceRecordRow>(e =>
        {
            e.ToTable("source_records");
            e.HasIndex(s => new { s.System, s.NativeKey }).IsUnique();
            e.HasIndex(s => s.PersonId);
        });
        b.Entity<PendingChangeRow>(e =>
        {
            e.ToTable("pending_changes");
            e.HasIndex(p => new { p.System, p.NativeKey, p.EffectiveFrom }).IsUnique();
            e.HasIndex(p => new { p.AppliedAt, p.EffectiveFrom });
        });
        b.Entity<SyncRow>(e =>
        {
            e.ToTable("syncs");
            e.HasIndex(s => new { s.System, s.StartedAt });
        });
        b.Entity<QuarantineRow>(e =>
        {
            e.ToTable("quarantine");
            e.HasIndex(q => new { q.System, q.Status });
        });
        b.Entity<DeliveryRow>(e =>
        {
            e.ToTable("deliveries");
            e.Property(d => d.System).HasMaxLength(100);
            e.Property(d => d.Name).HasMaxLength(400);
            e.Property(d => d.ContentHash).HasMaxLength(64);
            e.Property(d => d.Kind).HasMaxLength(16);
            e.Property(d => d.Status).HasMaxLength(16);
            e.HasIndex(d => new { d.System, d.Name, d.ContentHash });
            e.HasIndex(d => d.Status);
        });
        b.Entity<DeliveredRowRow>(e =>
        {
            e.ToTable("delivered_rows");
            e.HasKey(r => new { r.System, r.File, r.NativeKey });
            e.Property(r => r.System).HasMaxLength(100);
            e.Property(r => r.File).HasMaxLength(400);
            e.Property(r => r.NativeKey).HasMaxLength(400);
        });
        b.Entity<WebhookDeliveryRow>(e =>
        {
            e.ToTable("webhook_deliveries");
            e.HasIndex(w => new { w.System, w.IdempotencyKey }).IsUnique();
            e.HasIndex(w => w.Status);
        });
        b.Entity<ScimResourceRow>(e =>
        {
            e.ToTable("scim_resources");
            e.Property(r => r.System).HasMaxLength(100);
            e.Property(r => r.ResourceType).HasMaxLength(16);
            e.Property(r => r.Name).HasMaxLength(400);
            e.Property(r => r.NameKey).HasMaxLength(400);
            e.Property(r => r.ExternalId).HasMaxLength(400);
            e.Property(r => r.Version).IsConcurrencyToken();
            // userName is unique among a system's live users; tombstones keep theirs.
            e.HasIndex(r => new { r.System, r.ResourceType, r.NameKey }).IsUnique().HasFilter("deleted_at IS NULL");
            e.HasIndex(r => new { r.System, r.ResourceType, r.ExternalId });
            e.HasIndex(r => new { r.System, r.SyncPending });
        });
        b.Entity<ScimMemberRow>(e =>
        {
            e.ToTable("scim_members");
            e.HasKey(m => new { m.GroupId, m.MemberId });
            e.Property(m => m.System).HasMaxLength(100);
            e.Property(m => m.Type).HasMaxLength(16);
            e.HasIndex(m => m.MemberId);
        });
        b.Entity<SystemRow>(e => e.ToTable("systems"));
        b.Entity<DictionaryVersionRow>(e =>
        {
            e.ToTable("dictionary_versions");
            e.Property(v => v.Id).ValueGeneratedNever();
            e.HasMany(v => v.Approvals).WithOne().HasForeignKey(a => a.VersionId);
        });
        b.Entity<DictionaryApprovalRow>(e => e.ToTable("dictionary_approvals"));
        b.Entity<WorkspaceDocumentRow>(e =>
        {
            e.ToTable("workspace_documents");
            e.HasKey(d => d.Key);
        });
        b.Entity<OutboxEventRow>(e =>
        {
            e.ToTable("outbox_events");
            e.HasIndex(o => o.PersonId);
            e.HasIndex(o => o.ProcessedAt);
        });
        b.Entity<AuditEntryRow>(e =>
        {
            e.ToTable("audit_entries");
            e.HasIndex(a => a.Sequence).IsUnique();
            e.HasIndex(a => a.At);
            e.HasIndex(a => new { a.ObjectType, a.ObjectId });
            e.Property(a => a.Actor).HasMaxLength(300);
            e.Property(a => a.Action).HasMaxLength(100);
            e.Property(a => a.System).HasMaxLength(100);
            e.Property(a => a.ObjectType).HasMaxLength(100);
            e.Property(a => a.ObjectId).HasMaxLength(300);
            e.Property(a => a.PreviousHash).HasMaxLength(64);
            e.Property(a => a.Hash).HasMaxLength(64);
        });
        b.Entity<AuditCheckpointRow>(e =>
        {
            e.ToTable("audit_checkpoints");
            e.HasIndex(c => c.Sequence).IsUnique();
        });
        b.Entity<AuditHeadRow>(e =>
        {
            e.ToTable("audit_head");
            e.Property(h => h.Id).ValueGeneratedNever();
            e.HasData(new AuditHeadRow { Id = 1, Sequence = 0, Hash = AuditChain.GenesisHash });
        });
        b.Entity<KeyCheckRow>(e =>
        {
            e.ToTable("key_checks");
            e.HasKey(k => k.KeyId);
            e.Property(k => k.KeyId).HasMaxLength(32);
            e.Property(k => k.Fingerprint).HasMaxLength(64);
        });
        b.Entity<ApiTokenRow>(e =>
        {
            e.ToTable("api_tokens");
            e.Property(t => t.System).HasMaxLength(100);
            e.Property(t => t.Name).HasMaxLength(200);
            e.Property(t => t.Scopes).HasMaxLength(400);
            e.Property(t => t.Hash).HasMaxLength(64);
            e.Property(t => t.Prefix).HasMaxLength(16);
            e.Property(t => t.CreatedBy).HasMaxLength(200);
            e.HasIndex(t => t.Hash).IsUnique();
            e.HasIndex(t => t.Prefix);
        });

        ConfigureWorkflows(b);
        ConfigureSandbox(b);
        b.Entity<BackgroundJobRow>(e =>
        {
            e.ToTable("background_jobs");
            e.Property(j => j.Id).ValueGeneratedNever();
            e.Property(j => j.Kind).HasMaxLength(32);
            e.Property(j => j.Status).HasMaxLength(16);
            e.Property(j => j.StartedBy).HasMaxLength(200);
            e.Property(j => j.ResultPath).HasMaxLength(1000);
            e.HasIndex(j => j.Status);
            e.HasIndex(j => j.CreatedAt);
        });
        b.Entity<ProcessMapRow>(e =>
        {
            e.ToTable("process_maps");
            e.HasKey(p => p.Id);
            e.Property(p => p.Id).HasMaxLength(100);
            e.Property(p => p.Name).HasMaxLength(300);
            e.Property(p => p.UpdatedBy).HasMaxLength(200);
        });
        ChangePlanModel.Configure(b);
        b.Entity<KpiSnapshotRow>(e =>
        {
            e.ToTable("kpi_snapshots");
            e.HasKey(k => k.Id);
            e.Property(k => k.Kpi).HasMaxLength(60);
            e.Property(k => k.Scope).HasMaxLength(120);
            e.Property(k => k.Checkpoint).HasMaxLength(20);
            e.Property(k => k.Value).HasPrecision(18, 6);
            e.Property(k => k.Note).HasMaxLength(1000);
            e.Property(k => k.ComputedBy).HasMaxLength(200);
            e.HasIndex(k => new { k.Kpi, k.Scope, k.Checkpoint });
        });
        b.Entity<MonthlyReviewRow>(e =>
        {
            e.ToTable("monthly_reviews");
            e.HasKey(r => r.Id);
            e.Property(r => r.Month).HasMaxLength(7);
            e.Property(r => r.GeneratedBy).HasMaxLength(200);
            e.Property(r => r.HtmlSha256).HasMaxLength(64);
            e.Property(r => r.PdfSha256).HasMaxLength(64);
            e.HasIndex(r => new { r.Month, r.Version }).IsUnique();
        });

        // snake_case columns, so hand-written SQL (reports, COPY, psql) reads naturally on both providers.
        // SQLite cannot order or compare DateTimeOffset; every time is UTC, so it stores UTC DateTime
        // (readable, sortable text) and the model stays the same on both providers.
        var sqlite = Database.IsSqlite();
        foreach (var entity in b.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
                if (sqlite && property.ClrType == typeof(DateTimeOffset))
                    property.SetValueConverter(UtcConverter);
                else if (sqlite && property.ClrType == typeof(DateTimeOffset?))
                    property.SetValueConverter(NullableUtcConverter);
            }
        }
    }

    /// <summary>The workflow engine's tables: versions, trigger state, runs, steps, human tasks, staged writes, links.</summary>
    private static void ConfigureWorkflows(ModelBuilder b)
    {
        b.Entity<WorkflowVersionRow>(e =>
        {
            e.ToTable("workflow_versions");
            e.Property(v => v.Id).ValueGeneratedNever();
            e.Property(v => v.WorkflowId).HasMaxLength(100);
            e.Property(v => v.Status).HasMaxLength(16);
            e.HasIndex(v => new { v.WorkflowId, v.Version }).IsUnique();
            e.HasIndex(v => v.Status);
            e.HasMany(v => v.Approvals).WithOne().HasForeignKey(a => a.VersionId);
        });
        b.Entity<WorkflowApprovalRow>(e => e.ToTable("workflow_approvals"));
        b.Entity<TriggerStateRow>(e =>
        {
            e.ToTable("trigger_states");
            e.HasKey(t => t.WorkflowId);
            e.Property(t => t.WorkflowId).HasMaxLength(100);
        });
        b.Entity<RunRow>(e =>
        {
            e.ToTable("runs");
            e.Property(r => r.Id).ValueGeneratedNever();
            e.Property(r => r.WorkflowId).HasMaxLength(100);
            e.Property(r => r.TriggerKey).HasMaxLength(200);
            e.Property(r => r.Status).HasMaxLength(32);
            e.Property(r => r.WaitingFor).HasMaxLength(32);
            e.Property(r => r.LeaseOwner).HasMaxLength(100);
            e.HasIndex(r => new { r.WorkflowId, r.PersonId, r.TriggerKey }).IsUnique();
            e.HasIndex(r => new { r.Status, r.DueAt });
            e.HasIndex(r => r.PersonId);
            e.HasIndex(r => r.CreatedAt);
        });
        b.Entity<RunStepRow>(e =>
        {
            e.ToTable("run_steps");
            e.Property(s => s.Node).HasMaxLength(200);
            e.HasIndex(s => s.RunId);
            e.HasIndex(s => new { s.System, s.Destructive, s.FinishedAt });
        });
        b.Entity<HumanTaskRow>(e =>
        {
            e.ToTable("human_tasks");
            e.HasIndex(t => new { t.Status, t.DueAt });
            e.HasIndex(t => new { t.RunId, t.StepId });
        });
        b.Entity<StagedWriteRow>(e =>
        {
            e.ToTable("staged_writes");
            e.HasIndex(w => new { w.System, w.Status });
        });
        b.Entity<AccountLinkRow>(e =>
        {
            e.ToTable("account_links");
            e.Property(l => l.System).HasMaxLength(100);
            e.Property(l => l.NativeId).HasMaxLength(400);
            e.HasIndex(l => new { l.System, l.PersonId }).IsUnique();
            e.HasIndex(l => new { l.System, l.NativeId });
        });
        b.Entity<ReconciliationReportRow>(e =>
        {
            e.ToTable("reconciliation_reports");
            e.Property(r => r.System).HasMaxLength(100);
            e.HasIndex(r => new { r.System, r.StartedAt });
        });
        b.Entity<ReconciliationItemRow>(e =>
        {
            e.ToTable("reconciliation_items");
            e.Property(i => i.Class).HasMaxLength(16);
            e.Property(i => i.NativeId).HasMaxLength(400);
            e.HasIndex(i => new { i.ReportId, i.Class });
        });
        b.Entity<JobLeaseRow>(e =>
        {
            e.ToTable("job_leases");
            e.HasKey(l => l.Name);
            e.Property(l => l.Name).HasMaxLength(100);
            e.Property(l => l.Holder).HasMaxLength(200);
        });
        b.Entity<NodeRow>(e =>
        {
            e.ToTable("nodes");
            e.HasKey(n => n.Id);
            e.Property(n => n.Id).HasMaxLength(200);
            e.Property(n => n.Version).HasMaxLength(100);
            e.Property(n => n.Address).HasMaxLength(400);
            e.Property(n => n.Host).HasMaxLength(200);
        });
    }

    /// <summary>The sandbox target systems (Connectors/Sandbox): their objects, groups, counters and
    /// injected faults. The unique indexes are the constraints of the real systems they stand in for.</summary>
    private static void ConfigureSandbox(ModelBuilder b)
    {
        b.Entity<SandboxObjectRow>(e =>
        {
            e.ToTable("sandbox_objects");
            e.Property(o => o.SystemId).HasMaxLength(100);
            e.Property(o => o.ObjectClass).HasMaxLength(32);
            e.Property(o => o.NativeId).HasMaxLength(400);
            e.Property(o => o.Anchor).HasMaxLength(200);
            e.Property(o => o.UniqueValue).HasMaxLength(400);
            e.Property(o => o.Container).HasMaxLength(400);
            e.Property(o => o.IdempotencyKey).HasMaxLength(200);
            e.Property(o => o.Version).IsConcurrencyToken();
            e.HasIndex(o => new { o.SystemId, o.NativeId }).IsUnique();
            e.HasIndex(o => new { o.SystemId, o.ObjectClass, o.UniqueValue }).IsUnique();
            e.HasIndex(o => new { o.SystemId, o.IdempotencyKey }).IsUnique();
            e.HasIndex(o => new { o.SystemId, o.ObjectClass, o.Anchor });
            e.HasIndex(o => new { o.SystemId, o.ObjectClass, o.Id });
        });
        b.Entity<SandboxGroupRow>(e =>
        {
            e.ToTable("sandbox_groups");
            e.Property(g => g.SystemId).HasMaxLength(100);
            e.Property(g => g.Name).HasMaxLength(256);
            e.HasIndex(g => new { g.SystemId, g.Name }).IsUnique();
        });
        b.Entity<SandboxSequenceRow>(e =>
        {
            e.ToTable("sandbox_sequences");
            e.HasKey(q => new { q.SystemId, q.Name });
            e.Property(q => q.SystemId).HasMaxLength(100);
            e.Property(q => q.Name).HasMaxLength(32);
        });
        b.Entity<SandboxFaultRow>(e =>
        {
            e.ToTable("sandbox_faults");
            e.Property(f => f.SystemId).HasMaxLength(100);
            e.Property(f => f.Operation).HasMaxLength(32);
            e.Property(f => f.Mode).HasMaxLength(32);
            e.HasIndex(f => f.SystemId);
        });
    }

    private static readonly ValueConverter<DateTimeOffset, DateTime> UtcConverter =
        new(v => v.UtcDateTime, v => new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)));

    private static readonly ValueConverter<DateTimeOffset?, DateTime?> NullableUtcConverter =
        new(v => v.HasValue ? v.Value.UtcDateTime : null, v => v.HasValue ? new DateTimeOffset(DateTime.SpecifyKind(v.Value, DateTimeKind.Utc)) : null);

    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
