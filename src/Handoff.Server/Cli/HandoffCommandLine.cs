using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

/// <summary>The <c>handoff</c> verbs. Each verb is one small class next to its feature's code.</summary>
public static class HandoffCommandLine
{
    public static async Task<int> RunAsync(string[] args, IAnsiConsole? console = null)
    {
        // Piped or captured output (scripts, CI, logs) is not wrapped at 80 columns mid-sentence.
        if (console is null && Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = 200;
        var app = new CommandApp();
        app.Configure(c =>
        {
            c.SetApplicationName("handoff");
            if (console is not null)
                c.ConfigureConsole(console);
            c.PropagateExceptions();
            c.AddBranch<DemoSettings>("demo", b =>
            {
                b.SetDescription("Run the Acme demo on SQLite under ./data: apply the workspace, ingest its HR data, print what happened, then serve the web app.");
                b.SetDefaultCommand<DemoCommand>();
                b.AddCommand<GenerateCommand>("generate").WithDescription("Generate Acme-shaped HR files for N people (deterministic per seed).");
            });
            c.AddCommand<ServeCommand>("serve").WithDescription("Run the server: the web app and API, webhooks, health, background workers.");
            c.AddCommand<NodesCommand>("nodes").WithDescription("The nodes serving this database (heartbeats) and who holds each cluster job.");
            c.AddBranch("users", b =>
            {
                b.SetDescription("Web app accounts and their roles.");
                b.AddCommand<UsersAddCommand>("add").WithDescription("Create a local account with roles; prints a one-time password.");
                b.AddCommand<UsersListCommand>("list").WithDescription("List accounts with roles and lockout.");
                b.AddCommand<UsersRolesCommand>("roles").WithDescription("Replace an account's roles (audited).");
                b.AddCommand<UsersResetPasswordCommand>("reset-password").WithDescription("Set a new one-time password and lift a lockout.");
            });
            c.AddCommand<ApplyCommand>("apply").WithDescription("Validate and apply a workspace folder (systems, dictionary, charter).");
            c.AddCommand<ExportCommand>("export").WithDescription("Write the applied workspace back as YAML.");
            c.AddCommand<SyncCommand>("sync").WithDescription("Read a source system (CSV drop folder or one file) into people.");
            c.AddCommand<TickCommand>("tick").WithDescription("Apply future-dated changes that are due and start/termination dates that arrived.");
            c.AddBranch("dictionary", b =>
            {
                b.SetDescription("Data dictionary versions and sign-off.");
                b.AddCommand<DictionaryShowCommand>("show").WithDescription("Show a dictionary version (default: the one in effect).");
                b.AddCommand<DictionaryVersionsCommand>("versions").WithDescription("List versions with their status and signatures.");
                b.AddCommand<DictionaryProposeCommand>("propose").WithDescription("Propose a new dictionary version from a YAML file.");
                b.AddCommand<DictionaryApproveCommand>("approve").WithDescription("Sign a proposed version for your side (HR or IT).");
                b.AddCommand<DictionaryDiffCommand>("diff").WithDescription("Show what changed between two versions.");
            });
            c.AddBranch("people", b =>
            {
                b.SetDescription("Canonical people.");
                b.AddCommand<PeopleListCommand>("list").WithDescription("List people.");
                b.AddCommand<PeopleShowCommand>("show").WithDescription("Show a person with every value's provenance and their timeline.");
            });
            c.AddBranch("backlog", b =>
            {
                b.SetDescription("Candidate workflows scored by HR and IT, ranked jointly; governance checkpoints of live workflows.");
                b.AddCommand<BacklogAddCommand>("add").WithDescription("Add a candidate workflow (--reads: the canonical fields it would depend on).");
                b.AddCommand<BacklogScoreCommand>("score").WithDescription("Score a candidate: --hr VALUE,VOLUME,PAIN as an HR member or --it EFFORT,RISK,AVAILABILITY as an IT member.");
                b.AddCommand<BacklogListCommand>("list").WithDescription("The backlog, best joint rank first, with dependency warnings.");
                b.AddCommand<BacklogCheckpointCommand>("checkpoint").WithDescription("Record a live workflow's 30-, 60- or 90-day review.");
            });
            c.AddBranch("feedback", b =>
            {
                b.SetDescription("Feedback reports and their SLA clock.");
                b.AddCommand<FeedbackCheckCommand>("check").WithDescription("One pass of the SLA clock: reminders, breaches, escalations.");
            });
            c.AddBranch("workflow", b =>
            {
                b.SetDescription("Joiner / mover / leaver workflows: versions, sign-off, on-demand runs.");
                b.AddCommand<WorkflowValidateCommand>("validate").WithDescription("Check workflow YAML against the dictionary, the systems and least privilege.");
                b.AddCommand<WorkflowProposeCommand>("propose").WithDescription("Propose a new version from a YAML file (or every file of a folder).");
                b.AddCommand<WorkflowApproveCommand>("approve").WithDescription("Sign a proposed version (HR for logic; HR and IT when it widens permissions).");
                b.AddCommand<WorkflowActivateCommand>("activate").WithDescription("Make an approved version the one that runs; the previous one is retired.");
                b.AddCommand<WorkflowRetireCommand>("retire").WithDescription("Stop a workflow from starting new runs.");
                b.AddCommand<WorkflowDiffCommand>("diff").WithDescription("What changed between two versions (WORKFLOW@vN).");
                b.AddCommand<WorkflowListCommand>("list").WithDescription("Every version with its status and signatures.");
                b.AddCommand<WorkflowShowCommand>("show").WithDescription("A version's YAML and status.");
                b.AddCommand<WorkflowRunCommand>("run").WithDescription("Run the active version now for one person or a filter (with a cap).");
                b.AddCommand<WorkflowCatalogCommand>("catalog").WithDescription("The step types, what they write and their inputs.");
                b.AddCommand<WorkflowSchemaCommand>("schema").WithDescription("Print the JSON Schema of workflow YAML (for editors).");
            });
            c.AddBranch("process", b =>
            {
                b.SetDescription("Process audit: current-state process maps, their cost, and field-mismatch discovery.");
                b.AddCommand<ProcessImportCommand>("import").WithDescription("Import or replace process maps from a YAML file or folder.");
                b.AddCommand<ProcessListCommand>("list").WithDescription("Process maps with manual hours, cost and projected saving a year.");
                b.AddCommand<ProcessShowCommand>("show").WithDescription("A process's steps with their cost figures and its data handoffs.");
                b.AddCommand<ProcessExportCommand>("export").WithDescription("A process map as YAML, or its steps as CSV (--csv).");
                b.AddCommand<ProcessDeleteCommand>("delete").WithDescription("Remove a process map (audited).");
                b.AddCommand<ProcessRateCommand>("rate").WithDescription("Show or set the hourly rate of the cost model.");
                b.AddCommand<ProcessDiscoverCommand>("discover").WithDescription("Suggest which fields of two or more CSV extracts carry the same data point; --accept N proposes it to the dictionary.");
            });
            c.AddBranch("kpi", b =>
            {
                b.SetDescription("The six KPIs (and custom ones): baselines, targets, 30/60/90-day actuals after go-live.");
                b.AddCommand<KpiListCommand>("list").WithDescription("Every KPI with baseline, target, 30/60/90 actuals, the last 30 days and status.");
                b.AddCommand<KpiShowCommand>("show").WithDescription("One KPI: how the last 30 days were computed, its checkpoints and monthly trend.");
                b.AddCommand<KpiSnapshotCommand>("snapshot").WithDescription("Freeze every 30/60/90-day checkpoint reached since go-live (idempotent).");
                b.AddCommand<KpiObserveCommand>("observe").WithDescription("Record a manual observation (day-one tickets, an incident, a custom KPI) or --baseline.");
                b.AddCommand<KpiAddCustomCommand>("add-custom").WithDescription("Add a custom KPI fed by manual observations.");
            });
            // Not under `review`: that branch is the review queue (`handoff review list` lists review items).
            c.AddBranch("monthly-review", b =>
            {
                b.SetDescription("The monthly HR–IT review: KPIs, findings, incidents, feedback and backlog as an archived HTML page and PDF.");
                b.AddCommand<MonthlyReviewGenerateCommand>("generate").WithDescription("Generate a new version of a month's review (default: last month); --out DIR writes the files.");
                b.AddCommand<MonthlyReviewListCommand>("list").WithDescription("Archived reviews: every month and version with its checksums.");
                b.AddCommand<MonthlyReviewShowCommand>("show").WithDescription("A stored review; --pdf FILE / --html FILE write its files.");
                b.AddCommand<MonthlyReviewScheduleCommand>("schedule").WithDescription("Show or set when the server generates last month's review (cron, UTC).");
            });
            c.AddCommand<SimulateCommand>("simulate").WithDescription("Run a workflow with no side effects for a person, a filter or N generated people; print the writes it would make.");
            c.AddBranch("runs", b =>
            {
                b.SetDescription("Workflow runs: history, retry, cancel.");
                b.AddCommand<RunsListCommand>("list").WithDescription("Recent runs.");
                b.AddCommand<RunsShowCommand>("show").WithDescription("A run with each step's status, attempts, inputs and outputs (sensitive values redacted).");
                b.AddCommand<RunsRetryCommand>("retry").WithDescription("Run a failed run again from the step it stopped at (or --step).");
                b.AddCommand<RunsCancelCommand>("cancel").WithDescription("Cancel a run that has not finished.");
                b.AddCommand<RunsExportCommand>("export").WithDescription("Run history as CSV, one line per step.");
            });
            c.AddBranch("approvals", b =>
            {
                b.SetDescription("Approval steps waiting for a person.");
                b.AddCommand<ApprovalsListCommand>("list").WithDescription("Open and decided approvals.");
                b.AddCommand<ApprovalsApproveCommand>("approve").WithDescription("Approve (you need the role the step asks for).");
                b.AddCommand<ApprovalsRejectCommand>("reject").WithDescription("Reject: the step fails.");
            });
            c.AddBranch("staged", b =>
            {
                b.SetDescription("Disables and deletes held because a target's threshold was passed.");
                b.AddCommand<StagedListCommand>("list").WithDescription("Held writes.");
                b.AddCommand<StagedReleaseCommand>("release").WithDescription("Execute held writes (one, or all of --system).");
                b.AddCommand<StagedDiscardCommand>("discard").WithDescription("Drop held writes; their steps fail.");
            });
            c.AddCommand<ReconcileCommand>("reconcile").WithDescription("Compare a target's accounts with people and links: in sync, drifted, orphan, unmanaged, missing; repair enforce drift (--dry-run writes nothing; --list, --show REPORT).");
            c.AddCommand<FindingsCommand>("findings").WithDescription("Data-quality findings: sources that disagree.");
            c.AddBranch("review", b =>
            {
                b.SetDescription("The review queue: what Handoff will not guess.");
                b.AddCommand<ReviewListCommand>("list").WithDescription("List review items.");
                b.AddCommand<ReviewResolveCommand>("resolve").WithDescription("Decide a review item.");
            });
            c.AddBranch("deliveries", b =>
            {
                b.SetDescription("Source deliveries (files, webhooks, SCIM requests) and the ones the delivery guard holds.");
                b.AddCommand<DeliveriesListCommand>("list").WithDescription("List deliveries, newest first: what was applied, what is held and why.")
                    .WithExample("deliveries", "list", "--status", "held");
                b.AddCommand<DeliveryShowCommand>("show").WithDescription("What a held delivery would do: columns, counts, examples.").WithExample("deliveries", "show", "12");
                b.AddCommand<DeliveryAcceptCommand>("accept").WithDescription("Apply a held delivery (as of its own time: newer facts stay).").WithExample("deliveries", "accept", "12", "--as", "ivan");
                b.AddCommand<DeliveryRejectCommand>("reject").WithDescription("Reject a held delivery: nothing of it applies, ever.").WithExample("deliveries", "reject", "12", "--as", "ivan", "--reason", "truncated export");
            });
            c.AddBranch("uat", b =>
            {
                b.SetDescription("Scenario packs: deliveries plus their expected outcome, run through the real pipeline and engine on a throwaway database; HR's and IT's acceptance test (docs/uat.md).");
                b.AddCommand<Uat.UatRunCommand>("run").WithDescription("Run a pack (or --all packs of a folder); print every expectation PASS/FAIL with the first difference; exit 0 only when all pass.")
                    .WithExample("uat", "run", "--all", "samples/acme/uat");
                b.AddCommand<Uat.UatSignCommand>("sign").WithDescription("Run a pack and, only if it passes, record your acceptance (uat.signed with the pack's SHA-256) in the audit log.")
                    .WithExample("uat", "sign", "samples/acme/uat/rehire", "--as", "alice");
                b.AddCommand<Uat.UatListCommand>("list").WithDescription("Packs with their hash, last result and who signed their current content (from the audit log).");
            });
            c.AddBranch("quarantine", b =>
            {
                b.SetDescription("Rows that could not be used.");
                b.AddCommand<QuarantineListCommand>("list").WithDescription("List quarantined rows with their place and reason.");
                b.AddCommand<QuarantineRetryCommand>("retry").WithDescription("Retry a system's quarantined rows after the source was fixed.");
            });
            c.AddBranch("audit", b =>
            {
                b.SetDescription("The tamper-evident audit log.");
                b.AddCommand<AuditVerifyCommand>("verify").WithDescription("Walk the hash chain and its signed checkpoints; name the first entry edited, deleted, inserted or reordered.");
                b.AddCommand<AuditExportCommand>("export").WithDescription("Export entries as CSV or JSON lines (streamed).");
                b.AddCommand<AuditCheckpointCommand>("checkpoint").WithDescription("Sign a checkpoint at the last entry now (one is signed every 1,000 entries anyway).");
                b.AddCommand<AuditCompletenessCommand>("completeness").WithDescription("Compare what changed in a period with what was logged.");
            });
            c.AddBranch("retention", b =>
            {
                b.SetDescription("Retention of terminated workers' data.");
                b.AddCommand<RetentionRunCommand>("run").WithDescription("Pseudonymize or delete what the dictionary's retention policies say is due (--dry-run lists it).");
            });
            c.AddBranch("sandbox", b =>
            {
                b.SetDescription("Sandbox target systems stored in Handoff's database: contents and fault injection.");
                b.AddCommand<SandboxListCommand>("list").WithDescription("List a sandbox system's objects (username, state, groups) and its active faults.");
                b.AddCommand<SandboxFaultCommand>("fault").WithDescription("Make a sandbox system fail: --mode down, slow, schema-violation or conflict; optionally --count N, --for 60s, --operation create.");
                b.AddCommand<SandboxClearCommand>("clear").WithDescription("Remove a sandbox system's injected faults.");
            });
            c.AddBranch("drift", b =>
            {
                b.SetDescription("Schema drift and health of connected systems.");
                b.AddCommand<DriftCheckCommand>("check").WithDescription("Read targets' schemas (or SYSTEM's), record what changed, run the health rules, list open system findings.");
            });
            c.AddBranch("system", b =>
            {
                b.SetDescription("Findings and quarantine of connected systems.");
                b.AddCommand<SystemFindingsCommand>("findings").WithDescription("Open system findings (drift, error spike, volume, credentials, sync age) and quarantined systems.");
                b.AddCommand<SystemAckCommand>("ack").WithDescription("Acknowledge a system finding (drift and volume findings close).");
                b.AddCommand<SystemReleaseCommand>("release").WithDescription("Lift a system's quarantine; runs waiting on it resume (audited).");
            });
            c.AddCommand<SyncsCommand>("syncs").WithDescription("Recent syncs with their counts.");
            c.AddBranch("keys", b =>
            {
                b.SetDescription("The key ring that encrypts sensitive values at rest.");
                b.AddCommand<KeysStatusCommand>("status").WithDescription("Key ids, the current key, how many values each encrypts.");
                b.AddCommand<KeysRotateCommand>("rotate").WithDescription("Add a new current key, re-encrypt every value, remove keys nothing uses (resumable).");
            });
            c.AddBranch("tokens", b =>
            {
                b.SetDescription("API tokens for inbound systems (webhooks, SCIM).");
                b.AddCommand<TokensCreateCommand>("create").WithDescription("Create a token for one system and scope(s); shown once.");
                b.AddCommand<TokensListCommand>("list").WithDescription("List tokens (never their text).");
                b.AddCommand<TokensRevokeCommand>("revoke").WithDescription("Revoke a token now.");
            });
        });
        try
        {
            return await app.RunAsync(args);
        }
        catch (CommandAppException e)
        {
            (console ?? AnsiConsole.Console).MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 2;
        }
        catch (HandoffCliException e)
        {
            (console ?? AnsiConsole.Console).MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }
}

/// <summary>An error to print as a one-line message (no stack trace), with exit code 1.</summary>
public sealed class HandoffCliException(string message) : Exception(message);
