using Handoff.Core.Workflows;
using Handoff.Core.Workspace;

namespace Handoff.Core.Tests.Workflows;

public class WorkflowLoaderTests
{
    private static readonly WorkspaceDefinition Acme = LoadAcme();

    private static WorkspaceDefinition LoadAcme()
    {
        var result = WorkspaceLoader.Load(TestWorkspace.AcmeSample);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Workspace!;
    }

    private const string Valid = """
        id: onboard
        name: Onboard
        trigger: { date: start_date, offset: -7d, at: "09:00" }
        scope: 'worker_type eq "employee"'
        permissions:
          read: [employee_id, first_name, last_name, start_date, worker_type]
          write: { directory: [account.create], servicedesk: [ticket.create] }
        steps:
          - id: account
            uses: directory.create_account
            with:
              username: '{{ first_name | slug: "" }}.{{ last_name | slug: "" }}'
          - id: laptop
            uses: ticketing.create_ticket
            with: { title: 'Laptop for {{ first_name }}', due: '{{ start_date | add_days: -3 }}' }
        """;

    private static IReadOnlyList<string> Errors(string yaml) =>
        WorkflowLoader.Load(yaml, "wf.yaml", Acme).Errors.Select(e => e.ToString()).ToList();

    [Fact]
    public void Every_shipped_workflow_is_valid_against_the_acme_workspace()
    {
        var files = Directory.GetFiles(Path.Combine(TestWorkspace.AcmeSample, "workflows"), "*.yaml");
        Assert.True(files.Length >= 9, "the nine templates of the issue ship in samples/acme/workflows");
        foreach (var file in files)
        {
            var result = WorkflowLoader.LoadFile(file, Acme);
            Assert.True(result.Succeeded, file + ":\n" + string.Join("\n", result.Errors));
        }
    }

    [Fact]
    public void A_valid_workflow_loads_with_its_trigger_and_steps()
    {
        var result = WorkflowLoader.Load(Valid, "wf.yaml", Acme);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var w = result.Workflow!;
        Assert.Equal(TriggerKind.Date, w.Trigger.Kind);
        Assert.Equal(-7, w.Trigger.OffsetDays);
        Assert.Equal(new TimeOnly(9, 0), w.Trigger.At);
        Assert.Equal(["account", "laptop"], w.Steps.Select(s => s.Id));
    }

    [Fact]
    public void Unknown_step_type_is_reported_with_line_column_and_the_known_types()
    {
        var errors = Errors(Valid.Replace("uses: directory.create_account", "uses: directory.create_acount"));
        var error = Assert.Single(errors);
        Assert.StartsWith("wf.yaml:10:11:", error);
        Assert.Contains("unknown step type \"directory.create_acount\"", error);
        Assert.Contains("directory.create_account", error);
    }

    [Fact]
    public void Unknown_input_names_the_step_type_and_its_inputs()
    {
        var errors = Errors(Valid.Replace("username:", "user_name:"));
        Assert.Contains(errors, e => e.StartsWith("wf.yaml:12:7:", StringComparison.Ordinal) && e.Contains("unknown input \"user_name\" for directory.create_account") && e.Contains("username"));
        Assert.Contains(errors, e => e.Contains("needs input \"username\""));
    }

    [Fact]
    public void Template_that_does_not_parse_is_an_error_at_its_input()
    {
        var errors = Errors(Valid.Replace("'Laptop for {{ first_name }}'", "'Laptop for {{ first_name }'"));
        var error = Assert.Single(errors);
        Assert.StartsWith("wf.yaml:15:", error);
        Assert.Contains("step \"laptop\" (ticketing.create_ticket), input \"title\"", error);
    }

    [Fact]
    public void Unknown_filter_in_a_template_lists_the_known_filters()
    {
        var error = Assert.Single(Errors(Valid.Replace("| slug: \"\" }}.", "| slugg }}.")));
        Assert.Contains("slugg", error);
        Assert.Contains("normalize_diacritics", error);
    }

    [Fact]
    public void A_field_that_is_not_in_the_dictionary_is_an_error_with_a_suggestion()
    {
        var errors = Errors(Valid.Replace("'Laptop for {{ first_name }}'", "'Laptop for {{ firstname }}'"));
        Assert.Contains(errors, e => e.Contains("reads \"firstname\", which is not a field of the dictionary") && e.Contains("did you mean first_name"));
    }

    [Fact]
    public void Scope_filter_syntax_error_names_the_column()
    {
        var error = Assert.Single(Errors(Valid.Replace("worker_type eq \"employee\"", "worker_type equals \"employee\"")));
        Assert.StartsWith("wf.yaml:4:", error);
        Assert.Contains("scope:", error);
        Assert.Contains("comparison operator", error);
    }

    [Fact]
    public void Reading_an_undeclared_field_is_refused_with_step_and_field()
    {
        var errors = Errors(Valid.Replace("'Laptop for {{ first_name }}'", "'Laptop for {{ first_name }} in {{ department }}'"));
        var error = Assert.Single(errors);
        Assert.Contains("step \"laptop\" (ticketing.create_ticket), input \"title\" reads \"department\", which permissions.read does not declare", error);
    }

    [Fact]
    public void Defaults_count_as_reads_too()
    {
        // create_account's display_name default reads first_name and last_name; its anchor default reads employee_id.
        var errors = Errors(Valid.Replace("read: [employee_id, first_name, last_name, start_date, worker_type]", "read: [first_name, last_name, start_date, worker_type]"));
        Assert.Contains(errors, e => e.Contains("input \"anchor\" (its default) reads \"employee_id\""));
    }

    [Fact]
    public void A_write_the_permissions_do_not_grant_is_refused_with_the_operation()
    {
        var errors = Errors(Valid.Replace("write: { directory: [account.create], servicedesk: [ticket.create] }", "write: { directory: [account.create] }"));
        var error = Assert.Single(errors);
        Assert.Contains("step \"laptop\" (ticketing.create_ticket) performs \"ticket.create\" on servicedesk, which permissions.write does not grant", error);
    }

    [Fact]
    public void A_canonical_write_needs_the_dictionary_to_authorize_the_workflow()
    {
        var yaml = """
            id: not-pre-hire
            trigger: { manual: true }
            permissions:
              read: [first_name]
              write: { canonical: [work_email] }
            steps:
              - id: mail
                uses: set_field
                with: { field: work_email, value: '{{ first_name }}@acme.example' }
            """;
        var error = Assert.Single(Errors(yaml));
        Assert.Contains("step \"mail\" (set_field) writes \"work_email\", but the dictionary does not authorize workflow:not-pre-hire to write it", error);
        Assert.Contains("workflow:pre-hire", error);
    }

    [Fact]
    public void Several_systems_of_a_kind_need_a_target()
    {
        var yaml = """
            id: chat
            trigger: { event: person.active }
            permissions: { read: [first_name, last_name, employee_id], write: { slack: [account.create] } }
            steps:
              - id: a
                uses: app.create_account
                target: directory
                with: { username: x }
            """;
        var error = Assert.Single(Errors(yaml));
        Assert.Contains("target \"directory\" is a directory system, this step writes to a app system", error);
    }

    [Theory]
    [InlineData("trigger: { date: start_date, offset: -200d }", "outside -180d")]
    [InlineData("trigger: { date: start_date, offset: 3h }", "whole days")]
    [InlineData("trigger: { event: person.hired }", "unknown event \"person.hired\"")]
    [InlineData("trigger: { event: person.active, fields: [department] }", "only applies to the person.changed event")]
    [InlineData("trigger: { schedule: \"61 * * * *\" }", "is not a cron expression")]
    [InlineData("trigger: { event: person.active, date: start_date }", "exactly one of event, date, schedule, manual")]
    [InlineData("trigger: { date: department }", "not a date")]
    public void Bad_triggers_are_explained(string trigger, string expected)
    {
        var yaml = Valid.Replace("trigger: { date: start_date, offset: -7d, at: \"09:00\" }", trigger).Replace("read: [", "read: [department, ");
        Assert.Contains(Errors(yaml), e => e.Contains(expected, StringComparison.Ordinal) && e.StartsWith("wf.yaml:3:", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_top_level_key_and_bad_role_are_both_reported()
    {
        var yaml = Valid + """

              - id: ok
                uses: approval
                with: { role: it_boss, timeout: 3 days }
            schedule: nightly
            """;
        var errors = Errors(yaml);
        Assert.Contains(errors, e => e.Contains("unknown key \"schedule\" in the workflow"));
        Assert.Contains(errors, e => e.Contains("unknown role \"it_boss\"") && e.Contains("it_operator"));
        Assert.Contains(errors, e => e.Contains("\"3 days\" is not a duration"));
    }

    [Fact]
    public void A_reference_to_a_later_step_is_an_error()
    {
        var yaml = Valid.Replace("'Laptop for {{ first_name }}'", "'Laptop for {{ first_name }}'").Replace(
            "username: '{{ first_name | slug: \"\" }}.{{ last_name | slug: \"\" }}'", "username: '{{ steps.laptop.ticket }}'");
        Assert.Contains(Errors(yaml), e => e.Contains("steps.laptop is not an earlier step"));
    }

    [Fact]
    public void Widening_is_what_one_permission_set_grants_beyond_another()
    {
        var before = new WorkflowPermissions(["first_name"], new Dictionary<string, IReadOnlyList<string>> { ["directory"] = ["account.create"] });
        var logicOnly = new WorkflowPermissions(["first_name"], new Dictionary<string, IReadOnlyList<string>> { ["directory"] = ["account.create"] });
        var wider = new WorkflowPermissions(["first_name", "national_id"], new Dictionary<string, IReadOnlyList<string>> { ["directory"] = ["account.create", "account.delete"] });
        Assert.Empty(logicOnly.Beyond(before));
        Assert.Equal(["read national_id", "write directory: account.delete"], wider.Beyond(before));
        Assert.Empty(before.Beyond(wider));
    }

    [Fact]
    public void The_committed_json_schema_is_current()
    {
        var path = Path.Combine(TestWorkspace.RepositoryRoot, "schemas", "workflow.schema.json");
        Assert.True(File.Exists(path), "schemas/workflow.schema.json is missing: run `handoff workflow schema > schemas/workflow.schema.json`");
        Assert.Equal(WorkflowJsonSchema.Generate(), File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void The_json_schema_lists_every_step_type_and_its_inputs()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(WorkflowJsonSchema.Generate());
        var uses = doc.RootElement.GetProperty("properties").GetProperty("steps").GetProperty("items").GetProperty("properties").GetProperty("uses").GetProperty("enum");
        Assert.Equal(StepCatalog.Steps.Count, uses.GetArrayLength());
        Assert.Contains("directory.create_account", uses.EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void The_catalogue_has_every_step_the_issue_names()
    {
        string[] wanted =
        [
            "directory.create_account", "directory.update_account", "directory.enable", "directory.disable", "directory.set_expiry", "directory.move",
            "directory.add_to_groups", "directory.remove_from_groups", "directory.reset_password", "directory.delete", "app.create_account",
            "ticketing.create_ticket", "mail.send", "approval", "wait", "set_field",
        ];
        foreach (var type in wanted)
            Assert.NotNull(StepCatalog.Find(type));
    }
}
