using Handoff.Core.Dictionary;
using Handoff.Core.Workspace;

namespace Handoff.Core.Tests.Workspace;

public class WorkspaceLoaderTests
{
    private const string Dict = WorkspaceLoader.DictionaryFile;
    private const string Sys = WorkspaceLoader.SystemsFile;

    [Fact]
    public void Acme_sample_loads_without_errors()
    {
        var result = WorkspaceLoader.Load(TestWorkspace.AcmeSample);

        Assert.Empty(result.Errors);
        var ws = result.Workspace!;
        Assert.Equal(["ats", "hris", "payroll", "directory", "slack", "servicedesk", "mail", "hr-scim"], ws.Systems.Select(s => s.Id));
        Assert.Equal(26, ws.Dictionary.Fields.Count);
        Assert.Equal(5, ws.Dictionary.Correlation.Count);
        Assert.Equal(5, ws.Charter.Members.Count);
        Assert.Equal(";", ws.FindSystem("payroll")!.Setting("delimiter"));
        Structural.AssertEqual(LifecycleRules.Default, ws.Dictionary.Lifecycle);
        Assert.True(ws.Dictionary.Correlation[3].SuggestOnly);
        Assert.Equal("first_name+last_name+birth_date", ws.Dictionary.Correlation[3].Name);
    }

    [Fact]
    public void Acme_conflict_forms_and_defaults_are_read()
    {
        var d = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!.Dictionary;

        var start = d.FindField("start_date")!;
        Assert.Equal(ConflictRuleKind.SystemOfRecord, start.Conflict.Kind);
        Assert.Equal(["ats", "payroll"], start.Conflict.Priority);
        Assert.Equal("dd.MM.yyyy", start.BindingFor("payroll")!.Format);

        var employeeId = d.FindField("employee_id")!;
        Assert.Equal(ConflictRuleKind.SystemOfRecord, employeeId.Conflict.Kind);
        Assert.Empty(employeeId.Conflict.Priority);
        Assert.False(employeeId.Required);
        Assert.Equal(WriteStrength.OnCreate, employeeId.BindingFor("directory")!.Strength);
        Assert.Equal(WriteStrength.Enforce, employeeId.BindingFor("hris")!.Strength);

        Assert.Equal(ConflictRuleKind.Priority, d.FindField("first_name")!.Conflict.Kind);
        Assert.Equal(["hris", "ats"], d.FindField("first_name")!.Conflict.Priority);
        Assert.Equal(ConflictRuleKind.MostRecent, d.FindField("personal_email")!.Conflict.Kind);
        Assert.Equal("contractor", d.FindField("worker_type")!.BindingFor("hris")!.Map["Contingent"]);
        Assert.Equal("filetime", d.FindField("termination_date")!.BindingFor("directory")!.Converter);
    }

    [Fact]
    public void Source_positions_are_filled()
    {
        var ws = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!;

        Assert.Equal(new SourceSpan(Sys, 4, 5), ws.Systems[0].At);
        Assert.Equal(new SourceSpan(Dict, 4, 5), ws.Dictionary.Fields[0].At);
        Assert.Equal(new SourceSpan(Dict, 11, 13), ws.Dictionary.Fields[0].Bindings[0].At);
        Assert.Equal(new SourceSpan(Dict, 245, 5), ws.Dictionary.Correlation[0].At);
        Assert.Equal(new SourceSpan(WorkspaceLoader.CharterFile, 8, 7), ws.Charter.Members[0].At);
    }

    [Fact]
    public void Defaults_are_restored_when_keys_are_left_out()
    {
        var result = TestWorkspace.Load(
            systems: """
                systems:
                  - { id: hris, kind: hris, connector: sandbox, owner: hr }
                """,
            dictionary: """
                fields:
                  - { name: nickname, type: string, classification: personal, bindings: { hris: { field: Nick } } }
                """);

        Assert.Empty(result.Errors);
        var ws = result.Workspace!;
        Assert.Equal("hris", ws.Systems[0].Name);
        var field = ws.Dictionary.Fields[0];
        Assert.Equal("nickname", field.Label);
        Assert.False(field.Required);
        Assert.Equal(ConflictRuleKind.SystemOfRecord, field.Conflict.Kind);
        Assert.Empty(field.Conflict.Priority);
        Assert.Equal(WriteStrength.Enforce, field.Bindings[0].Strength);
        Assert.Same(LifecycleRules.Default, ws.Dictionary.Lifecycle);
        Assert.Same(Charter.Empty, ws.Charter);
    }

    [Fact]
    public void Workspace_without_any_file_is_an_error()
    {
        var result = TestWorkspace.Load();

        Assert.Null(result.Workspace);
        Assert.Contains("expected at least one of systems.yaml", Assert.Single(result.Errors).Message);
    }

    [Fact]
    public void Unknown_key_is_reported_with_line_and_allowed_keys()
    {
        var result = TestWorkspace.Load(systems: """
            systems:
              - id: hris
                kind: hris
                connecter: csv
                connector: sandbox
                owner: hr
            """);

        ErrorAssert.Single(result, Sys, 4, 5, "unknown key \"connecter\" in system; allowed keys: id, name, kind, connector, owner, config");
    }

    [Fact]
    public void Creates_people_must_be_a_boolean()
    {
        var result = TestWorkspace.Load(systems: """
            systems:
              - id: payroll
                kind: payroll
                connector: csv
                owner: hr
                config: { path: data, key: EmpNo, creates_people: sometimes }
            """);

        ErrorAssert.Single(result, Sys, 6, 55, "creates_people: expected true or false, found \"sometimes\"");
    }

    [Fact]
    public void Error_renders_as_file_line_column_message()
    {
        Assert.Equal("dictionary.yaml:3:7: boom", new WorkspaceError("dictionary.yaml", 3, 7, "boom").ToString());
    }

    [Fact]
    public void Duplicate_key_is_reported_at_the_second_occurrence()
    {
        var result = TestWorkspace.Load(systems: """
            systems:
              - id: hris
                kind: hris
                connector: sandbox
                owner: hr
                kind: ats
            """);

        ErrorAssert.Single(result, Sys, 6, 5, "duplicate key \"kind\" in system");
    }

    [Fact]
    public void Retention_policies_are_checked_for_periods_fields_and_actions()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: salary
                type: number
                classification: sensitive
            retention:
              - name: keep-pay
                fields: [salary, bonus]
                after: 7 yrs
                action: shred
            """);

        ErrorAssert.Has(result, Dict, 7, 22, "retention names field \"bonus\", which is not defined");
        ErrorAssert.Has(result, Dict, 8, 12, "\"7 yrs\" is not a period");
        ErrorAssert.Has(result, Dict, 9, 13, "unknown action \"shred\"; expected one of pseudonymize, delete");
    }

    [Fact]
    public void Retention_picks_the_most_specific_policy_for_a_field()
    {
        var d = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!.Dictionary;
        var salary = d.FindField("salary")!;
        var name = d.FindField("first_name")!;
        Assert.Equal("us-payroll-7y", d.RetentionFor(salary, "US")!.Name);
        Assert.Equal("de-ie-personal-6m", d.RetentionFor(salary, "IE")!.Name);
        Assert.Equal("personal-2y", d.RetentionFor(name, "US")!.Name);
        Assert.Equal("de-ie-personal-6m", d.RetentionFor(name, "de")!.Name);
        Assert.Null(d.RetentionFor(d.FindField("department")!, "US"));
    }

    [Fact]
    public void Duplicate_key_in_a_binding_map_is_reported()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: kind
                type: enum
                values: [a, b]
                classification: internal
                bindings:
                  hris: { field: Kind, map: { A: a, A: b } }
            """);

        ErrorAssert.Single(result, Dict, 7, 41, "duplicate key \"A\" in map");
    }

    [Fact]
    public void List_where_a_mapping_was_expected_is_reported()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: nickname
                type: string
                classification: personal
                bindings:
                  - hris
            """);

        ErrorAssert.Single(result, Dict, 6, 7, "expected a mapping for bindings, found a list");
    }

    [Fact]
    public void Mapping_where_a_scalar_was_expected_is_reported()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: { first: nickname }
                type: string
                classification: personal
            """);

        ErrorAssert.Single(result, Dict, 2, 11, "expected a scalar for field name, found a mapping");
    }

    [Fact]
    public void Non_boolean_for_required_says_true_or_false_expected()
    {
        var result = TestWorkspace.Load(dictionary: """
            fields:
              - name: nickname
                type: string
                classification: personal
                required: maybe
            """);

        ErrorAssert.Single(result, Dict, 5, 15, "expected true or false for required, found \"maybe\"");
    }

    [Theory]
    [InlineData("type: strin", "classification: public", 3, 11, "unknown field type \"strin\"; expected one of string, date, datetime, email, enum, number, bool, reference")]
    [InlineData("type: string", "classification: secret", 4, 21, "unknown classification \"secret\"; expected one of public, internal, personal, sensitive")]
    public void Unknown_field_enum_value_lists_allowed_values(string typeLine, string classificationLine, int line, int column, string message)
    {
        var result = TestWorkspace.Load(dictionary: $"""
            fields:
              - name: nickname
                {typeLine}
                {classificationLine}
            """);

        ErrorAssert.Single(result, Dict, line, column, message);
    }

    [Fact]
    public void Unknown_system_kind_and_owner_list_allowed_values()
    {
        var result = TestWorkspace.Load(systems: """
            systems:
              - id: hris
                kind: erp
                connector: sandbox
                owner: finance
            """);

        ErrorAssert.Has(result, Sys, 3, 11, "unknown system kind \"erp\"; expected one of ats, hris, payroll, directory, app, ticketing, mail, other");
        ErrorAssert.Has(result, Sys, 5, 12, "unknown owner \"finance\"; expected one of hr, it");
        Assert.Equal(2, result.Errors.Count);
    }

    [Fact]
    public void Unknown_strength_and_side_list_allowed_values()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems,
            dictionary: """
                fields:
                  - name: title
                    type: string
                    classification: internal
                    bindings:
                      directory: { field: title, strength: always }
                """,
            charter: """
                charter:
                  members:
                    - { id: ann, side: finance }
                """);

        ErrorAssert.Has(result, Dict, 6, 44, "unknown strength \"always\"; expected one of enforce, on_create, if_empty");
        ErrorAssert.Has(result, WorkspaceLoader.CharterFile, 3, 24, "unknown side \"finance\"; expected one of hr, it");
        Assert.Equal(2, result.Errors.Count);
    }

    [Fact]
    public void Missing_required_keys_are_reported_for_system_field_and_binding()
    {
        var result = TestWorkspace.Load(
            systems: """
                systems:
                  - id: hris
                    kind: hris
                    owner: hr
                """,
            dictionary: """
                fields:
                  - name: nickname
                    classification: personal
                    bindings:
                      hris: { format: x }
                """);

        ErrorAssert.Has(result, Sys, 2, 5, "missing required key \"connector\" in system");
        ErrorAssert.Has(result, Dict, 2, 5, "missing required key \"type\" in field");
        ErrorAssert.Has(result, Dict, 5, 13, "missing required key \"field\" in binding hris of field nickname");
    }

    [Fact]
    public void Binding_to_an_unknown_system_is_reported()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: nickname
                type: string
                classification: personal
                bindings:
                  hirs: { field: Nick }
            """);

        ErrorAssert.Single(result, Dict, 6, 7, "binding system \"hirs\" of field nickname is not a system id; known systems: hris, directory");
    }

    [Fact]
    public void System_of_record_writers_priority_and_fallback_must_be_systems()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: a
                type: string
                classification: internal
                system_of_record: workday
                writers: [hris, ats]
                conflict: { priority: [payroll] }
              - name: b
                type: string
                classification: internal
                conflict: { system_of_record: { fallback: [hris, adp] } }
            """);

        ErrorAssert.Has(result, Dict, 5, 23, "system_of_record \"workday\" of field a is not a system id");
        ErrorAssert.Has(result, Dict, 6, 21, "writer \"ats\" of field a is not a system id");
        ErrorAssert.Has(result, Dict, 7, 28, "priority entry \"payroll\" of field a is not a system id");
        ErrorAssert.Has(result, Dict, 11, 54, "fallback entry \"adp\" of field b is not a system id");
        Assert.Equal(4, result.Errors.Count);
    }

    [Fact]
    public void Correlation_and_lifecycle_must_name_existing_fields()
    {
        var result = TestWorkspace.Load(dictionary: """
            fields:
              - { name: employee_id, type: string, classification: internal }
            correlation:
              - match: [employee_id, email]
            lifecycle:
              start_date: hire_date
            """);

        ErrorAssert.Has(result, Dict, 4, 26, "correlation names field \"email\", which is not defined in the dictionary");
        ErrorAssert.Has(result, Dict, 6, 15, "lifecycle start_date names field \"hire_date\"");
        Assert.Equal(2, result.Errors.Count);
    }

    [Fact]
    public void Duplicate_system_ids_and_field_names_are_reported()
    {
        var result = TestWorkspace.Load(
            systems: """
                systems:
                  - { id: hris, kind: hris, connector: sandbox, owner: hr }
                  - { id: hris, kind: ats, connector: sandbox, owner: hr }
                """,
            dictionary: """
                fields:
                  - { name: a, type: string, classification: internal }
                  - { name: a, type: date, classification: internal }
                """);

        ErrorAssert.Has(result, Sys, 3, 11, "duplicate system id \"hris\"");
        ErrorAssert.Has(result, Dict, 3, 13, "duplicate field name \"a\"");
        Assert.Equal(2, result.Errors.Count);
    }

    [Fact]
    public void Ids_must_be_lower_case_identifiers()
    {
        var result = TestWorkspace.Load(
            systems: """
                systems:
                  - { id: Workday HRIS, kind: hris, connector: sandbox, owner: hr }
                """,
            dictionary: """
                fields:
                  - { name: 1st_name, type: string, classification: personal }
                """);

        ErrorAssert.Has(result, Sys, 2, 11, "\"Workday HRIS\" is not a valid system id");
        ErrorAssert.Has(result, Dict, 2, 13, "\"1st_name\" is not a valid field name");
        Assert.Equal(2, result.Errors.Count);
    }

    [Fact]
    public void Enum_needs_values_and_map_targets_must_be_values()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: worker_type
                type: enum
                classification: internal
              - name: time_type
                type: enum
                values: [full_time, part_time]
                classification: internal
                bindings:
                  hris: { field: Time_Type, map: { FT: full_time, PT: parttime } }
            """);

        ErrorAssert.Has(result, Dict, 2, 5, "field worker_type has type enum and needs a non-empty \"values\" list");
        ErrorAssert.Has(result, Dict, 10, 59, "map target \"parttime\" is not one of the values of field time_type: full_time, part_time");
        Assert.Equal(2, result.Errors.Count);
    }

    [Fact]
    public void Format_is_only_for_dates_and_must_be_a_valid_pattern()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: nickname
                type: string
                classification: personal
                bindings:
                  hris: { field: Nick, format: MM/dd/yyyy }
              - name: start_date
                type: date
                classification: internal
                bindings:
                  hris: { field: Start, format: MM/yyyy }
            """);

        ErrorAssert.Has(result, Dict, 6, 28, "\"format\" is only allowed for date and datetime fields, not string");
        ErrorAssert.Has(result, Dict, 11, 37, "\"MM/yyyy\" is not a valid .NET date pattern");
        Assert.Equal(2, result.Errors.Count);
    }

    [Fact]
    public void Unknown_converter_lists_the_converters()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: termination_date
                type: date
                classification: internal
                bindings:
                  directory: { field: accountExpires, converter: ticks }
            """);

        ErrorAssert.Single(result, Dict, 6, 54, "unknown converter \"ticks\"; expected one of iso, filetime, generalized_time, unix_seconds");
    }

    [Fact]
    public void Connector_must_exist_and_its_config_keys_must_fit()
    {
        var result = TestWorkspace.Load(systems: """
            systems:
              - id: hris
                kind: hris
                connector: csv
                owner: hr
                config:
                  path: data/hris
                  separator: ";"
              - id: hr2
                kind: hris
                connector: sftp
                owner: hr
            """);

        ErrorAssert.Has(result, Sys, 8, 7, "unknown config key \"separator\" for connector csv; allowed keys: path, key, delimiter");
        ErrorAssert.Has(result, Sys, 7, 7, "missing required config key \"key\" for connector csv");
        ErrorAssert.Has(result, Sys, 11, 16, "unknown connector \"sftp\"; expected one of csv, webhook");
        Assert.Equal(3, result.Errors.Count);
    }

    [Fact]
    public void Required_config_key_missing_without_config_points_at_the_system()
    {
        var result = TestWorkspace.Load(systems: """
            systems:
              - { id: hris, kind: hris, connector: rest, owner: hr }
            """);

        ErrorAssert.Single(result, Sys, 2, 5, "missing required config key \"url\" for connector rest");
    }

    [Fact]
    public void Yaml_syntax_error_is_reported_with_its_position()
    {
        var result = TestWorkspace.Load(dictionary: """
            fields:
              - name: a
                type: [string
            """);

        // The parser notices the unclosed flow list only at the end of the input.
        ErrorAssert.Single(result, Dict, 4, 1, "YAML syntax error: While parsing a flow sequence");
    }

    [Fact]
    public void Aliases_are_resolved()
    {
        var result = TestWorkspace.Load(TestWorkspace.TwoSystems, """
            fields:
              - name: a
                type: string
                classification: &cls internal
                bindings: &b { hris: { field: A } }
              - name: b
                type: string
                classification: *cls
                bindings: *b
            """);

        Assert.Empty(result.Errors);
        Assert.Equal(Classification.Internal, result.Workspace!.Dictionary.Fields[1].Classification);
        Assert.Equal("A", result.Workspace.Dictionary.Fields[1].Bindings[0].Native);
    }

    [Fact]
    public void Alias_expansion_bomb_is_refused()
    {
        var lines = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i <= 9; i++)
            lines.Add($"a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]");
        lines.Add("fields: *a9");

        var result = TestWorkspace.Load(dictionary: string.Join("\n", lines));

        ErrorAssert.Single(result, Dict, 5, 45, "more than 100,000 nodes");
    }

    [Fact]
    public void Several_errors_across_files_are_all_reported()
    {
        var result = TestWorkspace.Load(
            systems: """
                systems:
                  - { id: hris, kind: hris, connector: sandbox, owner: hr, colour: blue }
                """,
            dictionary: """
                fields:
                  - name: a
                    type: text
                    classification: internal
                    required: sometimes
                    bindings:
                      ats: { field: A }
                """,
            charter: """
                charter:
                  members:
                    - { id: ann, side: hr, approver: yes }
                """);

        Assert.Null(result.Workspace);
        ErrorAssert.Has(result, Sys, 2, 60, "unknown key \"colour\"");
        ErrorAssert.Has(result, Dict, 3, 11, "unknown field type \"text\"");
        ErrorAssert.Has(result, Dict, 5, 15, "expected true or false");
        ErrorAssert.Has(result, Dict, 7, 7, "binding system \"ats\"");
        ErrorAssert.Has(result, WorkspaceLoader.CharterFile, 3, 38, "expected true or false for approver, found \"yes\"");
        Assert.Equal(5, result.Errors.Count);
    }

    [Fact]
    public void A_mistake_in_a_system_or_field_does_not_cascade_into_its_references()
    {
        var result = TestWorkspace.Load(
            systems: """
                systems:
                  - { id: hris, kind: erp, connector: sandbox, owner: hr }
                """,
            dictionary: """
                fields:
                  - { name: employee_id, type: text, classification: internal, bindings: { hris: { field: Id } } }
                correlation:
                  - match: [employee_id]
                """);

        ErrorAssert.Has(result, Sys, 2, 23, "unknown system kind \"erp\"");
        ErrorAssert.Has(result, Dict, 2, 32, "unknown field type \"text\"");
        Assert.Equal(2, result.Errors.Count);
    }
}
