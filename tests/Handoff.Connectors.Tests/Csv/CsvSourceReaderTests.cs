using System.Text;
using Handoff.Connectors.Csv;
using Handoff.Core.Sources;
using Handoff.Core.Workspace;

namespace Handoff.Connectors.Tests.Csv;

public sealed class CsvSourceReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("handoff-csv-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text) => WriteBytes(name, Encoding.UTF8.GetBytes(text));

    private string WriteBytes(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static async Task<List<SourceItem>> ReadAll(CsvSourceOptions options)
    {
        var items = new List<SourceItem>();
        await foreach (var item in new CsvSourceReader(options).ReadAsync(CancellationToken.None))
            items.Add(item);
        return items;
    }

    private static List<NativeRecord> Records(IEnumerable<SourceItem> items) => items.OfType<NativeRecord>().ToList();

    [Fact]
    public async Task Utf8_file_without_bom_is_read_with_header_names_as_keys()
    {
        var path = Write("a.csv", "id,name\n1,Zoë\n2,José\n");

        var records = Records(await ReadAll(new CsvSourceOptions(path)));

        Assert.Equal(2, records.Count);
        Assert.Equal("Zoë", records[0].Values["name"]);
        Assert.Equal("José", records[1].Values["name"]);
        Assert.Equal(["id", "name"], records[0].Values.Keys);
        Assert.Equal("a.csv", records[0].File);
        Assert.Equal(2, records[0].Line);
    }

    [Fact]
    public async Task Utf8_byte_order_mark_is_not_part_of_the_first_header_name()
    {
        var path = WriteBytes("bom.csv", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("Employee_ID,Name\r\n7,Björn\r\n")]);
        Assert.Equal(0xEF, File.ReadAllBytes(path)[0]);

        var record = Assert.Single(Records(await ReadAll(new CsvSourceOptions(path))));

        Assert.Equal("7", record.Values["Employee_ID"]);
        Assert.Equal("Björn", record.Values["Name"]);
    }

    [Fact]
    public async Task Windows_1252_bytes_are_decoded_when_configured()
    {
        // "EmpNo;Name\n1;Ren\xE9 M\xFCller\n": é is 0xE9 and ü is 0xFC in windows-1252.
        var path = WriteBytes("pay.csv", [.. "EmpNo;Name\n1;Ren"u8, 0xE9, .. " M"u8, 0xFC, .. "ller\n"u8]);

        var record = Assert.Single(Records(await ReadAll(new CsvSourceOptions(path, ";", "windows-1252"))));
        var viaAlias = Assert.Single(Records(await ReadAll(new CsvSourceOptions(path, ";", "cp1252"))));

        Assert.Equal("René Müller", record.Values["Name"]);
        Assert.Equal("René Müller", viaAlias.Values["Name"]);
    }

    [Fact]
    public async Task Unknown_encoding_is_refused_by_name()
    {
        var path = Write("a.csv", "id\n1\n");

        var ex = await Assert.ThrowsAsync<SourceFormatException>(() => ReadAll(new CsvSourceOptions(path, Encoding: "ebcdic-42")));

        Assert.Contains("ebcdic-42", ex.Message);
    }

    [Theory]
    [InlineData(",", ",")]
    [InlineData(";", ";")]
    [InlineData("\t", "\t")]
    [InlineData("\t", "\\t")]
    [InlineData("\t", "tab")]
    [InlineData(",", null)]
    [InlineData(";", null)]
    [InlineData("\t", null)]
    public async Task Each_delimiter_is_read_configured_or_detected(string delimiter, string? configured)
    {
        // A comma in a value forces quoting only where the comma is the delimiter.
        var name = delimiter == "," ? "\"Smith, Jr.\"" : "Smith, Jr.";
        var path = Write("d.csv", $"id{delimiter}name{delimiter}dept\n1{delimiter}{name}{delimiter}R&D\n");

        var record = Assert.Single(Records(await ReadAll(new CsvSourceOptions(path, configured))));

        Assert.Equal("1", record.Values["id"]);
        Assert.Equal("Smith, Jr.", record.Values["name"]);
        Assert.Equal("R&D", record.Values["dept"]);
    }

    [Fact]
    public async Task Quoted_newlines_and_doubled_quotes_keep_following_line_numbers_right()
    {
        var path = Write("q.csv",
            "id,note,name\n" +                 // line 1
            "1,\"two\nlines\",Ann\n" +          // lines 2-3
            "2,\"say \"\"hi\"\"\",Bob\n" +      // line 4
            "3,\"a\r\nb\r\nc\",Cy\n" +         // lines 5-7
            "4,,Dee\n");                       // line 8

        var records = Records(await ReadAll(new CsvSourceOptions(path)));

        Assert.Equal([2, 4, 5, 8], records.Select(r => r.Line));
        Assert.Equal("two\nlines", records[0].Values["note"]);
        Assert.Equal("say \"hi\"", records[1].Values["note"]);
        Assert.Null(records[3].Values["note"]);
        Assert.Equal("Dee", records[3].Values["name"]);
    }

    [Fact]
    public async Task Row_with_wrong_field_count_is_quarantined_and_neighbours_are_read()
    {
        var path = Write("m.csv", "id,name,dept\n1,Ann,HR\n2,Bob\n3,Cy,IT\n");

        var items = await ReadAll(new CsvSourceOptions(path));

        Assert.Equal([2, 3, 4], items.Select(i => i.Line));
        var bad = Assert.IsType<UnreadableRow>(items[1]);
        Assert.Equal("2,Bob", bad.Raw);
        Assert.Contains("2 fields", bad.Reason);
        Assert.Equal(["1", "3"], Records(items).Select(r => r.Values["id"]));
    }

    [Fact]
    public async Task Stray_quote_in_unquoted_field_is_quarantined_and_neighbours_are_read()
    {
        var path = Write("s.csv", "id,name\n1,Ann\n2,O\"Neil\n3,Cy\n");

        var items = await ReadAll(new CsvSourceOptions(path));

        Assert.Equal([2, 3, 4], items.Select(i => i.Line));
        var bad = Assert.IsType<UnreadableRow>(items[1]);
        Assert.Equal("2,O\"Neil", bad.Raw);
    }

    [Fact]
    public async Task Unterminated_quote_in_the_middle_sets_aside_only_its_line()
    {
        var path = Write("u.csv",
            "id,name,title\n" +
            "1,Ann,Clerk\n" +
            "2,\"Bob,Clerk\n" +                 // never closed
            "3,Cy,Clerk\n" +
            "4,\"Smith, Jr.\",Clerk\n" +
            "5,Dee,Clerk\n");

        var items = await ReadAll(new CsvSourceOptions(path));

        Assert.Equal([2, 3, 4, 5, 6], items.Select(i => i.Line));
        var bad = Assert.IsType<UnreadableRow>(items[1]);
        Assert.Equal("2,\"Bob,Clerk", bad.Raw);
        Assert.Equal(["1", "3", "4", "5"], Records(items).Select(r => r.Values["id"]));
        Assert.Equal("Smith, Jr.", Records(items)[2].Values["name"]);
    }

    [Fact]
    public async Task Unterminated_quote_on_the_last_line_is_quarantined()
    {
        var path = Write("u.csv", "id,name\r\n1,Ann\r\n2,\"Bob\r\n");

        var items = await ReadAll(new CsvSourceOptions(path));

        Assert.Equal([2, 3], items.Select(i => i.Line));
        Assert.IsType<UnreadableRow>(items[1]);
    }

    [Fact]
    public async Task Binary_file_is_refused()
    {
        var path = WriteBytes("x.csv", [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00, 0x41, 0x2C, 0x42, 0x0A]);

        var ex = await Assert.ThrowsAsync<SourceFormatException>(() => ReadAll(new CsvSourceOptions(path)));

        Assert.Contains("x.csv", ex.Message);
        Assert.Contains("binary", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\uFEFF")]
    [InlineData("\n\n")]
    public async Task Empty_file_is_refused(string content)
    {
        var path = Write("empty.csv", content);

        var ex = await Assert.ThrowsAsync<SourceFormatException>(() => ReadAll(new CsvSourceOptions(path)));

        Assert.Contains("empty.csv", ex.Message);
    }

    [Theory]
    [InlineData("id,name,ID\n1,a,2\n", "more than once")]
    [InlineData("id,,name\n1,a,b\n", "no name")]
    [InlineData("1,Ann,ann@example.com\n2,Bob,bob@example.com\n", "no header")]
    [InlineData("Dear colleagues this is a letter!\nRegards\n", "not delimited")]
    public async Task Bad_header_is_refused(string content, string reason)
    {
        var path = Write("h.csv", content);

        var ex = await Assert.ThrowsAsync<SourceFormatException>(() => ReadAll(new CsvSourceOptions(path)));

        Assert.Contains("h.csv", ex.Message);
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public async Task Single_named_column_is_accepted()
    {
        var path = Write("one.csv", "Employee_ID\n1\n2\n");

        Assert.Equal(2, Records(await ReadAll(new CsvSourceOptions(path))).Count);
    }

    [Fact]
    public async Task Drop_folder_reads_matching_files_in_ordinal_name_order()
    {
        Write("b.csv", "id\nb1\n");
        Write("A.csv", "id\nA1\n");
        Write("a.csv", "id\na1\na2\n");
        Write("notes.txt", "not read");

        var records = Records(await ReadAll(new CsvSourceOptions(_folder)));

        Assert.Equal(["A1", "a1", "a2", "b1"], records.Select(r => r.Values["id"]));
        Assert.Equal(["A.csv", "a.csv", "a.csv", "b.csv"], records.Select(r => r.File));
    }

    [Fact]
    public void Options_from_system_resolve_the_path_against_the_workspace()
    {
        var system = new SystemDefinition("payroll", "ADP", SystemKind.Payroll, "csv", SystemOwner.Hr,
            new Dictionary<string, string> { ["path"] = "data/payroll", ["delimiter"] = ";", ["encoding"] = "windows-1252" });

        var options = CsvSourceOptions.FromSystem(system, "/srv/acme");

        Assert.Equal(new CsvSourceOptions("/srv/acme/data/payroll", ";", "windows-1252", "*.csv"), options);
    }
}
