using System.Globalization;
using System.Text;

namespace Handoff.Bench;

public static class Report
{
    public static string Markdown(Machine machine, IReadOnlyList<PhaseResult> results)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Ingestion benchmark");
        sb.AppendLine();
        sb.AppendLine(machine.ToString());
        sb.AppendLine("- data: generated Acme HRIS workers.csv (23 columns), seed 42, defect rate 0.01; see bench/README.md");
        sb.AppendLine();
        sb.AppendLine("| size | provider | phase | records | changes | seconds | records/s | changes/s | peak MB | growth MB | allocated MB |");
        sb.AppendLine("|-----:|----------|-------|--------:|--------:|--------:|----------:|----------:|--------:|----------:|-------------:|");
        foreach (var r in results)
        {
            sb.Append(c, $"| {r.Size:N0} | {r.Provider} | {r.Phase} | {r.Records:N0} | {r.Changes:N0} | {r.Elapsed.TotalSeconds:F2} | ");
            sb.Append(c, $"{r.RecordsPerSecond:N0} | {r.ChangesPerSecond:N0} | {r.PeakMb:N0} | {r.GrowthMb:N0} | {r.AllocatedMb:N0} |");
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
