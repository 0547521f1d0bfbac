using System.Globalization;
using System.Text;

namespace Handoff.Core.Governance;

/// <summary>
/// A process map as a Mermaid flowchart: the trigger, the steps in order (owner, system, minutes),
/// and the data handoffs between systems labelled with their method — manual ones (e-mail,
/// spreadsheet, re-entry, file drop) drawn dashed, so the places automation pays off stand out.
/// Labels are quoted and stripped of Mermaid syntax, so a step name cannot inject diagram code.
/// </summary>
public static class ProcessAuditDiagram
{
    public static string ToMermaid(ProcessMap map)
    {
        var sb = new StringBuilder();
        // Steps top to bottom (long labels stay legible); the systems side by side in their own box.
        sb.Append("flowchart TB\n");
        sb.Append("  trigger([\"").Append(Label(map.Trigger)).Append("\"])\n");
        var previous = "trigger";
        foreach (var s in map.Steps)
        {
            var node = "step_" + Node(s.Id);
            var automated = s.EffectiveAutomationShare switch
            {
                1m => " · automated",
                > 0m => $" · {(s.EffectiveAutomationShare * 100m).ToString("0", CultureInfo.InvariantCulture)}% automated",
                _ => "",
            };
            sb.Append("  ").Append(node).Append("[\"").Append(Label(s.Name)).Append("<br/>")
                .Append(Label($"{s.OwnerRole} · {s.System} · {ProcessAuditYaml.Format(s.MinutesPerExecution)} min × {ProcessAuditYaml.Format(s.MonthlyVolume)}/month{automated}"))
                .Append("\"]\n");
            sb.Append("  ").Append(previous).Append(" --> ").Append(node).Append('\n');
            previous = node;
        }
        if (map.Handoffs.Count > 0)
        {
            sb.Append("  subgraph handoffs [\"Data handoffs\"]\n    direction LR\n");
            foreach (var system in map.Handoffs.SelectMany(h => new[] { h.From, h.To }).Distinct())
                sb.Append("    sys_").Append(Node(system)).Append("[(\"").Append(Label(system)).Append("\")]\n");
            foreach (var h in map.Handoffs)
            {
                var arrow = h.Method == HandoffMethod.Api ? "-->" : "-.->";
                sb.Append("    sys_").Append(Node(h.From)).Append(' ').Append(arrow).Append("|\"").Append(Label(MethodLabel(h.Method)))
                    .Append("\"| sys_").Append(Node(h.To)).Append('\n');
            }
            sb.Append("  end\n");
        }
        return sb.ToString();
    }

    /// <summary>How a method reads in the page: "manual re-entry", "file drop".</summary>
    public static string MethodLabel(HandoffMethod method) => method switch
    {
        HandoffMethod.ManualReentry => "manual re-entry",
        HandoffMethod.FileDrop => "file drop",
        HandoffMethod.Api => "API",
        _ => method.ToString().ToLowerInvariant(),
    };

    // Node ids: letters, digits and '_' only.
    private static string Node(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_'));

    // Inside a quoted Mermaid label only '"' ends the label; '#' starts an entity and '<' '>' would be
    // HTML, so all four are written as Mermaid entities.
    private static string Label(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '"' => "#quot;",
                '#' => "#35;",
                '<' => "#lt;",
                '>' => "#gt;",
                '\n' or '\r' => " ",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
