using Handoff.Data.Accounts;
using Microsoft.AspNetCore.Authorization;

namespace Handoff.Server.Web.Security;

/// <summary>
/// The permission matrix: each capability (an authorization policy of the same name) and the roles
/// that have it. This is the one place in code; docs/permissions.md is the same table in words, and
/// a test keeps the two equal. Every page and API route names one capability (or is anonymous on
/// purpose); a test walks every route × every role.
/// </summary>
public static class Capabilities
{
    public const string PeopleRead = "people.read";
    public const string PeopleReport = "people.report";
    public const string DictionaryRead = "dictionary.read";
    public const string DictionaryPropose = "dictionary.propose";
    public const string DictionaryApproveHr = "dictionary.approve.hr";
    public const string DictionaryApproveIt = "dictionary.approve.it";
    /// <summary>Either side's approval; the charter and the side capability decide the rest.</summary>
    public const string DictionaryApprove = "dictionary.approve";
    public const string SystemsRead = "systems.read";
    public const string SystemsSync = "systems.sync";
    /// <summary>Test a target's connection (it calls the real system with Handoff's credentials).</summary>
    public const string SystemsTest = "systems.test";
    /// <summary>Reconcile a target now from its reconciliation page (dry run or with repairs).</summary>
    public const string SystemsReconcile = "systems.reconcile";
    public const string ReviewRead = "review.read";
    public const string ReviewResolve = "review.resolve";
    public const string QuarantineRetry = "quarantine.retry";
    public const string WorkflowsRead = "workflows.read";
    public const string WorkflowsPropose = "workflows.propose";
    public const string WorkflowsApproveHr = "workflows.approve.hr";
    public const string WorkflowsApproveIt = "workflows.approve.it";
    /// <summary>Either side's approval of a workflow version; the charter and the side capability decide the rest.</summary>
    public const string WorkflowsApprove = "workflows.approve";
    /// <summary>Activate or retire a version; a version that widens permissions also needs the it_admin role.</summary>
    public const string WorkflowsActivate = "workflows.activate";
    public const string RunsRead = "runs.read";
    public const string RunsStart = "runs.start";
    public const string RunsOperate = "runs.operate";
    public const string RunsExport = "runs.export";
    public const string ApprovalsDecide = "approvals.decide";
    public const string StagedDecide = "staged.decide";
    public const string AuditRead = "audit.read";
    public const string AuditExport = "audit.export";
    public const string AdminUsers = "admin.users";
    public const string AdminTokens = "admin.tokens";
    public const string AdminKeys = "admin.keys";
    public const string RetentionRead = "retention.read";
    public const string RetentionRun = "retention.run";
    public const string ProcessesRead = "processes.read";
    /// <summary>Import or replace process maps and set the cost model's hourly rate.</summary>
    public const string ProcessesEdit = "processes.edit";
    /// <summary>The charter, the backlog and the change plans (read).</summary>
    public const string ChangeRead = "change.read";
    /// <summary>Add backlog candidates, plan communications, write training pages.</summary>
    public const string ChangeEdit = "change.edit";
    public const string BacklogScoreHr = "backlog.score.hr";
    public const string BacklogScoreIt = "backlog.score.it";
    /// <summary>"Report a problem" on a person, a run or a value (every signed-in role).</summary>
    public const string FeedbackReport = "feedback.report";
    public const string FeedbackRead = "feedback.read";
    /// <summary>Acknowledge, note and resolve reports routed to the user's side.</summary>
    public const string FeedbackHandle = "feedback.handle";
    /// <summary>The KPI page: baselines, targets, 30/60/90-day actuals and trends (no personal data).</summary>
    public const string KpisRead = "kpis.read";
    /// <summary>The archived monthly reviews (KPIs, findings, incident entries, feedback counts, backlog) and their files.</summary>
    public const string MonthlyReviewRead = "monthly_review.read";
    /// <summary>Generate a new version of a month's review (the review meeting's preparers: HR, IT admin, audit).</summary>
    public const string MonthlyReviewGenerate = "monthly_review.generate";

    private const string HrA = HandoffRoles.HrAdmin, HrO = HandoffRoles.HrOperator, ItA = HandoffRoles.ItAdmin,
        ItO = HandoffRoles.ItOperator, Aud = HandoffRoles.Auditor, View = HandoffRoles.Viewer;

    /// <summary>Capability → roles that have it.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Matrix = new Dictionary<string, IReadOnlyList<string>>
    {
        [PeopleRead] = [HrA, HrO, ItA, ItO, Aud, View],
        [PeopleReport] = [HrA, HrO, ItA, ItO],
        [DictionaryRead] = [HrA, HrO, ItA, ItO, Aud, View],
        [DictionaryPropose] = [HrA, HrO, ItA],
        [DictionaryApproveHr] = [HrA, HrO],
        [DictionaryApproveIt] = [ItA],
        [DictionaryApprove] = [HrA, HrO, ItA],
        [SystemsRead] = [HrA, HrO, ItA, ItO, Aud, View],
        [SystemsSync] = [HrA, ItA, ItO],
        [SystemsTest] = [ItA, ItO],
        [SystemsReconcile] = [ItA, ItO],
        [ReviewRead] = [HrA, HrO, ItA, ItO, Aud],
        [ReviewResolve] = [HrA, HrO],
        [QuarantineRetry] = [HrA, ItA, ItO],
        [WorkflowsRead] = [HrA, HrO, ItA, ItO, Aud, View],
        [WorkflowsPropose] = [HrA, HrO, ItA],
        [WorkflowsApproveHr] = [HrA, HrO],
        [WorkflowsApproveIt] = [ItA],
        [WorkflowsApprove] = [HrA, HrO, ItA],
        [WorkflowsActivate] = [HrA, ItA],
        [RunsRead] = [HrA, HrO, ItA, ItO, Aud, View],
        [RunsStart] = [HrA, HrO, ItA, ItO],
        [RunsOperate] = [HrA, ItA, ItO],
        [RunsExport] = [HrA, ItA, Aud],
        [ApprovalsDecide] = [HrA, HrO, ItA, ItO],
        [StagedDecide] = [HrA, HrO, ItA],
        [AuditRead] = [HrA, ItA, Aud],
        [AuditExport] = [HrA, ItA, Aud],
        [AdminUsers] = [HrA, ItA],
        [AdminTokens] = [ItA],
        [AdminKeys] = [ItA, Aud],
        [RetentionRead] = [HrA, ItA, Aud],
        [RetentionRun] = [HrA],
        [ProcessesRead] = [HrA, HrO, ItA, ItO, Aud, View],
        [ProcessesEdit] = [HrA, ItA],
        [ChangeRead] = [HrA, HrO, ItA, ItO, Aud, View],
        [ChangeEdit] = [HrA, HrO, ItA],
        [BacklogScoreHr] = [HrA, HrO],
        [BacklogScoreIt] = [ItA, ItO],
        [FeedbackReport] = [HrA, HrO, ItA, ItO, Aud, View],
        [FeedbackRead] = [HrA, HrO, ItA, ItO, Aud],
        [FeedbackHandle] = [HrA, HrO, ItA, ItO],
        [KpisRead] = [HrA, HrO, ItA, ItO, Aud, View],
        [MonthlyReviewRead] = [HrA, HrO, ItA, ItO, Aud],
        [MonthlyReviewGenerate] = [HrA, HrO, ItA, Aud],
    };

    public static bool Has(string role, string capability) => Matrix[capability].Contains(role);

    public static void AddPolicies(AuthorizationOptions options)
    {
        foreach (var (capability, roles) in Matrix)
            options.AddPolicy(capability, p => p.RequireAuthenticatedUser().RequireRole(roles));
        // Every route not marked otherwise needs a signed-in user; anonymous routes say so explicitly.
        options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
    }
}
