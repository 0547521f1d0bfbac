namespace Handoff.Core.Workspace;

/// <summary>The connector types a system may use and the configuration keys each accepts.</summary>
public static class ConnectorCatalog
{
    public sealed record ConnectorType(string Name, bool IsSource, IReadOnlyList<string> Required, IReadOnlyList<string> Optional)
    {
        /// <summary>Every connector also takes the health keys (credentials_expire, max_sync_age, quarantine_*; see docs/governance.md).</summary>
        public IEnumerable<string> AllKeys => Required.Concat(Optional).Concat(Governance.SystemHealthSettings.Keys);
    }

    // reconcile: cron of the scheduled reconciliation (e.g. "0 2 * * *"), reconcile_time_zone its zone
    // (default UTC); anchor_field: the canonical field written as the account's anchor (default employee_id).
    private static readonly string[] TargetKeys = ["threshold_count", "threshold_share", "threshold_window", "max_concurrency", "reconcile", "reconcile_time_zone", "anchor_field",
        "reconcile_groups", "reconcile_groups_managed", "reconcile_groups_strength"];

    /// <summary>How a source's deliveries are read and guarded (docs/sources.md).</summary>
    public static readonly string[] SourceKeys = ["delivery", "as_of", "file_time", "guard", "guard_share", "guard_minimum"];

    public static IReadOnlyList<ConnectorType> Types { get; } =
    [
        // key: the native column that identifies a record in that system (Employee_ID, candidate_id).
        // effective_from: native column holding the date a row takes effect (future-dated changes).
        // creates_people: whether a record that matches no one creates a person (default: true for
        // ats and hris systems, false otherwise — a payroll row for an unknown worker is held for review).
        // delivery: snapshot (each file is the whole population; the default for a drop folder) or changes;
        // as_of: native column with the time a row's facts are as of (orders facts; older never overwrites newer);
        // file_time: name (the export time is in the file name, e.g. workers-2026-11-27.csv; else: when received);
        // guard / guard_share / guard_minimum: the delivery guard (docs/sources.md): off, the share (0.2), from how many people (10).
        new("csv", true, ["path", "key"], ["delimiter", "encoding", "effective_from", "pattern", "webhook_secret_env", "creates_people", .. SourceKeys]),
        // secret_env / webhook_secret_env: name of the environment variable holding the HMAC secret
        // for POST /hooks/{system} (never the secret itself).
        new("webhook", true, ["key", "secret_env"], ["effective_from", "creates_people", "as_of"]),
        new("scim-server", true, [], ["key", "as_of"]),
        new("rest", true, ["url"], ["key", "token_env"]),
        // Targets. threshold_count / threshold_share / threshold_window: disables and deletes beyond
        // these in the window are held for an approver; max_concurrency: writes in flight at once.
        // dialect: active-directory or openldap; people_ou / group_ou: containers relative to base_dn;
        // start_tls: upgrade ldap:// before binding; upn_suffix: AD userPrincipalName domain; ou_by: native
        // attribute whose value picks ou=VALUE under people_ou; rdn: uid or cn (OpenLDAP); page_size,
        // timeout_seconds; groups_must_exist / create_containers: refuse missing groups / OUs instead of creating them.
        new("ldap", false, ["url", "base_dn"], ["bind_dn", "password_env", "dialect", "people_ou", "group_ou", "start_tls", "upn_suffix", "ou_by",
            "rdn", "page_size", "timeout_seconds", "groups_must_exist", "create_containers", .. TargetKeys]),
        // url: the app's SCIM base (https://app.example/scim/v2); token_env: the bearer token's variable;
        // update: patch (default) or put (apps without PATCH); page_size: users per page when reading;
        // retries / max_wait_seconds: in-process retries of 429 / 5xx and the longest Retry-After waited for.
        new("scim-client", false, ["url"], ["token_env", "token_url", "client_id_env", "client_secret_env", "scope", "token_auth", "update", "page_size", "retries", "max_wait_seconds", .. TargetKeys]),
        // url: the base address; secret_env: HMAC secret to sign bodies with; token_env: a bearer token.
        // With kind: ticketing — ticket_path (appended to url, default tickets), ticket_body (Liquid JSON
        // over title/body/queue/due), ticket_id (JSON pointer to the id in the answer, default /id),
        // retries (on 429/5xx, default 3).
        new("http", false, ["url"], ["token_env", "secret_env", "ticket_path", "ticket_body", "ticket_id", "retries", .. TargetKeys]),
        // starttls: required (default), when_available or none; username + password_env: SMTP AUTH;
        // templates: mail template folder (relative to the workspace); ca_file: a PEM CA to trust besides
        // the machine's store; timeout_seconds (default 30).
        new("smtp", false, [], ["host", "port", "from", "starttls", "tls", "security", "username", "password_env", "templates", "ca_file", "timeout_seconds", .. TargetKeys]),
        // kind: active-directory, openldap, scim-app, ticketing or mail (the real system it stands in for).
        // groups: comma-separated groups that exist from the start; groups_must_exist: true refuses others
        // (default: created on first use).
        new("sandbox", false, [], ["kind", "base_dn", "domain", "groups", "groups_must_exist", .. TargetKeys]),
    ];

    public static ConnectorType? Find(string name) => Types.FirstOrDefault(t => t.Name == name);
}
