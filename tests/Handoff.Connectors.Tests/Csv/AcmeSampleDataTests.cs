using Handoff.Connectors.Csv;
using Handoff.Core.Sources;

namespace Handoff.Connectors.Tests.Csv;

/// <summary>The hand-written Acme files (samples/acme/data) read as the demo reads them; the
/// expected counts are those documented in samples/acme/data/README.md.</summary>
public sealed class AcmeSampleDataTests
{
    private static string DataDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Handoff.slnx")))
            dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("Handoff.slnx not found"), "samples", "acme", "data");
    }

    private static async Task<List<SourceItem>> ReadAll(CsvSourceOptions options)
    {
        var items = new List<SourceItem>();
        await foreach (var item in new CsvSourceReader(options).ReadAsync(CancellationToken.None))
            items.Add(item);
        return items;
    }

    [Theory]
    [InlineData("ats", null, null, 16, new int[0])]
    [InlineData("hris", null, null, 34, new[] { 26 })]
    [InlineData("payroll", ";", "windows-1252", 26, new int[0])]
    public async Task Acme_files_read_with_the_documented_record_and_unreadable_counts(
        string system, string? delimiter, string? encoding, int records, int[] unreadableLines)
    {
        var items = await ReadAll(new CsvSourceOptions(Path.Combine(DataDirectory(), system), delimiter, encoding));

        Assert.Equal(records, items.OfType<NativeRecord>().Count());
        Assert.Equal(unreadableLines, items.OfType<UnreadableRow>().Select(u => u.Line));
    }

    [Fact]
    public async Task Acme_names_keep_their_diacritics_in_every_encoding()
    {
        var data = DataDirectory();
        var hris = await ReadAll(new CsvSourceOptions(Path.Combine(data, "hris")));
        var payroll = await ReadAll(new CsvSourceOptions(Path.Combine(data, "payroll"), ";", "windows-1252"));

        var zoe = hris.OfType<NativeRecord>().Single(r => r.Values["Employee_ID"] == "100131");
        Assert.Equal("Zoë", zoe.Values["Legal_First_Name"]);
        Assert.Equal("O'Brien-Núñez", zoe.Values["Legal_Last_Name"]);
        Assert.Contains(payroll.OfType<NativeRecord>(), r => r.Values["Name"] == "Müller, Jürgen");
        Assert.Contains(hris.OfType<NativeRecord>(), r => r.Values["Legal_Last_Name"] == "Smith, Jr.");
    }
}
