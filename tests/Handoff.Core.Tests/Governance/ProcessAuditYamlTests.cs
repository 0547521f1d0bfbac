using Handoff.Core.Governance;

namespace Handoff.Core.Tests.Governance;

public class ProcessAuditYamlTests
{
    private static string Sample => File.ReadAllText(Path.Combine(TestWorkspace.AcmeSample, "processes", "onboarding.yaml"));

    [Fact]
    public void The_sample_loads_with_its_steps_and_handoffs()
    {
        var result = ProcessAuditYaml.Load(Sample, "onboarding.yaml");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var map = result.Map!;
        Assert.Equal("onboarding", map.Id);
        Assert.Equal(6, map.Steps.Count);
        Assert.Equal("onboard", map.FindStep("it_ticket")!.AutomatedBy);
        Assert.Equal(0.9m, map.FindStep("hris_entry")!.AutomationShare);
        Assert.Contains(map.Handoffs, h => h.From == "ats" && h.To == "hris" && h.Method == HandoffMethod.ManualReentry);
        Assert.Contains(map.Handoffs, h => h.Method == HandoffMethod.Spreadsheet && h.Step == "payroll_sheet");
    }

    [Fact]
    public void Export_then_import_gives_back_the_same_map()
    {
        var map = ProcessAuditYaml.Load(Sample, "onboarding.yaml").Map!;
        var yaml = ProcessAuditYaml.ToYaml(map);
        var again = ProcessAuditYaml.Load(yaml, "export.yaml");
        Assert.True(again.Succeeded, string.Join("\n", again.Errors) + "\n" + yaml);
        Assert.Equal(map.Steps, again.Map!.Steps);
        Assert.Equal(map.Handoffs, again.Map.Handoffs);
        Assert.Equal((map.Id, map.Name, map.Trigger, map.Description), (again.Map.Id, again.Map.Name, again.Map.Trigger, again.Map.Description));
        Assert.Equal(yaml, ProcessAuditYaml.ToYaml(again.Map));
    }

    [Fact]
    public void Text_that_looks_like_yaml_keywords_or_numbers_round_trips_as_text()
    {
        var map = new ProcessMap("p", "yes", "12: on", "a \"quoted\" #hash", [new ProcessStep("s", "1.5", "no", "null", 1m, 2m, 0m, 0m)], []);
        var again = ProcessAuditYaml.Load(ProcessAuditYaml.ToYaml(map), "x.yaml");
        Assert.True(again.Succeeded, string.Join("\n", again.Errors));
        Assert.Equal(map.Steps, again.Map!.Steps);
        Assert.Equal(("yes", "12: on", "a \"quoted\" #hash"), (again.Map.Name, again.Map.Trigger, again.Map.Description));
    }

    [Fact]
    public void Every_error_names_file_line_column_and_the_allowed_values()
    {
        const string yaml = """
            id: onboarding
            name: Onboarding
            trigger: offer accepted
            colour: blue
            steps:
              - id: rekey
                name: Re-key
                owner_role: HR
                system: hris
                minutes: 15 min
                monthly_volume: 40
                error_rate: 1.5
                automated_by: onboard
                automation_share: 0.5
            handoffs:
              - from: ats
                to: hris
                method: fax
              - from: ats
                to: hris
                method: email
                step: nowhere
            """;
        var result = ProcessAuditYaml.Load(yaml, "onboarding.yaml");
        Assert.False(result.Succeeded);
        var errors = result.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("onboarding.yaml:4:1: unknown key \"colour\"", StringComparison.Ordinal) && e.Contains("allowed keys: id, name, trigger, description, steps, handoffs", StringComparison.Ordinal));
        Assert.Contains("onboarding.yaml:10:14: expected a number for step rekey minutes, found \"15 min\"", errors);
        Assert.Contains("onboarding.yaml:12:17: step rekey error_rate must be between 0 and 1, found 1.5", errors);
        Assert.Contains(errors, e => e.StartsWith("onboarding.yaml:14:5: step rekey has both automated_by and automation_share", StringComparison.Ordinal));
        Assert.Contains("onboarding.yaml:18:13: unknown handoff method \"fax\"; expected one of email, spreadsheet, manual_reentry, api, file_drop", errors);
        Assert.Contains(errors, e => e.StartsWith("onboarding.yaml:22:11: handoff step \"nowhere\" is not a step of this process; steps: rekey", StringComparison.Ordinal));
        Assert.Equal(6, errors.Count);
    }

    [Fact]
    public void Missing_required_keys_are_reported()
    {
        var result = ProcessAuditYaml.Load("id: p\nsteps:\n  - id: s\n    name: S\n", "p.yaml");
        var errors = result.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("p.yaml:1:1: missing required key \"name\" in the process map", errors);
        Assert.Contains("p.yaml:1:1: missing required key \"trigger\" in the process map", errors);
        Assert.Contains("p.yaml:3:5: missing required key \"minutes\" in a step", errors);
    }

    [Fact]
    public void Csv_export_has_one_row_per_step_with_its_cost_figures()
    {
        var map = ProcessAuditYaml.Load(Sample, "onboarding.yaml").Map!;
        var lines = ProcessAuditYaml.StepsToCsv(map, ProcessCostSettings.Default).TrimEnd('\n').Split('\n');
        Assert.Equal(7, lines.Length);
        Assert.StartsWith("process,step,name,owner_role,system,minutes,monthly_volume,error_rate", lines[0], StringComparison.Ordinal);
        // hris_entry: 25 min × 40 = 16.67 h a month, 200 h a year, $2,740 labour, 40 × 0.05 × 180 × 12 = $4,320 errors,
        // saving 0.9 × (2,740 + 4,320) = $6,354.
        Assert.Equal("onboarding,hris_entry,Re-key the new hire into the HRIS,HR operations specialist,hris,25,40,0.05,180,,0.9,16.67,200,2740,4320,6354,13.7", lines[2]);
    }

    [Fact]
    public void A_step_name_that_looks_like_a_spreadsheet_formula_is_not_exported_as_one()
    {
        var map = new ProcessMap("p", "P", "t", null, [new ProcessStep("s", "=HYPERLINK(\"http://x\")", "HR", "hris", 1m, 1m, 0m, 0m)], []);
        var row = ProcessAuditYaml.StepsToCsv(map, ProcessCostSettings.Default).Split('\n')[1];
        Assert.DoesNotContain(",=HYPERLINK", row, StringComparison.Ordinal);
        Assert.DoesNotContain(",\"=HYPERLINK", row, StringComparison.Ordinal);
    }

    [Fact]
    public void The_diagram_draws_steps_in_order_and_manual_handoffs_dashed()
    {
        var map = ProcessAuditYaml.Load(Sample, "onboarding.yaml").Map!;
        var mermaid = ProcessAuditDiagram.ToMermaid(map);
        Assert.StartsWith("flowchart TB\n", mermaid, StringComparison.Ordinal);
        Assert.Contains("trigger --> step_export_offer\n", mermaid, StringComparison.Ordinal);
        Assert.Contains("step_create_accounts --> step_payroll_sheet\n", mermaid, StringComparison.Ordinal);
        Assert.Contains("sys_ats -.->|\"manual re-entry\"| sys_hris", mermaid, StringComparison.Ordinal);
        Assert.Contains("sys_hris -.->|\"spreadsheet\"| sys_payroll", mermaid, StringComparison.Ordinal);
        Assert.Contains("90% automated", mermaid, StringComparison.Ordinal);
    }

    [Fact]
    public void Diagram_labels_cannot_inject_mermaid_or_html()
    {
        var map = new ProcessMap("p", "P", "x\"] --> evil[\"<script>", null, [new ProcessStep("s", "a#b", "HR", "hris", 1m, 1m, 0m, 0m)], []);
        var mermaid = ProcessAuditDiagram.ToMermaid(map);
        Assert.DoesNotContain("<script>", mermaid, StringComparison.Ordinal);
        Assert.Contains("trigger([\"x#quot;] --#gt; evil[#quot;#lt;script#gt;\"])", mermaid, StringComparison.Ordinal);
        Assert.Contains("a#35;b", mermaid, StringComparison.Ordinal);
    }
}
