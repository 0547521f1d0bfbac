using Handoff.Connectors.Csv;
using Handoff.Core.Demo;
using Handoff.Core.Sources;

namespace Handoff.Connectors.Tests.Csv;

/// <summary>Generated demo files read back by the CSV reader: every planted malformed row is
/// quarantined, and nothing else is.</summary>
public sealed class GeneratedDataTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("handoff-gen-csv-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static async Task<(int Records, int Unreadable)> Count(CsvSourceOptions options)
    {
        int records = 0, unreadable = 0;
        await foreach (var item in new CsvSourceReader(options).ReadAsync(CancellationToken.None))
        {
            if (item is NativeRecord)
                records++;
            else
                unreadable++;
        }
        return (records, unreadable);
    }

    [Fact]
    public async Task Generated_files_read_with_exactly_the_planted_malformed_rows_quarantined()
    {
        var report = AcmeDataGenerator.Generate(_folder, 5000, seed: 9, defectRate: 0.1);
        var malformed = report.Defects[DefectKind.MalformedRow];
        Assert.True(malformed > 0);

        var hris = await Count(new CsvSourceOptions(Path.Combine(_folder, "hris")));
        var ats = await Count(new CsvSourceOptions(Path.Combine(_folder, "ats")));
        var payroll = await Count(new CsvSourceOptions(Path.Combine(_folder, "payroll"), ";", "windows-1252"));

        Assert.Equal((report.Rows[AcmeDataGenerator.HrisFile] - malformed, malformed), (hris.Records, hris.Unreadable));
        Assert.Equal((report.Rows[AcmeDataGenerator.AtsFile], 0), (ats.Records, ats.Unreadable));
        Assert.Equal((report.Rows[AcmeDataGenerator.PayrollFile], 0), (payroll.Records, payroll.Unreadable));
    }
}
