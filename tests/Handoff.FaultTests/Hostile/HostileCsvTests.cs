using System.Globalization;
using System.Text;
using Handoff.Data.Tests;
using Handoff.FaultTests.Support;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Handoff.FaultTests.Hostile;

/// <summary>
/// Malformed and adversarial HRIS rows (bad quoting, NULs, huge fields, invalid UTF-8, formula
/// injection, wrong field counts, RFC 4514 specials and non-ASCII in names) in one CSV drop, taken
/// through the real sync pipeline (reader, dictionary, quarantine, correlation). Asserts: no exception,
/// every quarantined row names file:line, and every good row beside the bad ones becomes a person.
/// </summary>
public sealed class HostileCsvTests(ITestOutputHelper output)
{
    private const string Header = "Employee_ID,Applicant_ID,Legal_First_Name,Legal_Last_Name,Preferred_Name,Work_Email,Personal_Email,Birth_Date,Employment_Begin_Date,Termination_Date,Department,Cost_Center,Job_Title,Manager_ID,Worker_Type,Time_Type,Location,Country,Time_Zone,Mobile_Phone,National_ID,Leave_Status,Effective_Date";

    private static string Row(string id, string first, string last, string begin = "01/04/2027", string department = "Engineering", string type = "Regular") =>
        $"{id},,{first},{last},,,,,{begin},,{department},CC-1100,Engineer,,{type},Full_Time,Boston,US,America/New_York,,,N,";

    private static string Quote(string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static byte[] Hostile(Random r, int id)
    {
        var i = id.ToString(CultureInfo.InvariantCulture);
        return r.Next(14) switch
        {
            0 => Encoding.UTF8.GetBytes($"{i},,\"unterminated,Quote,,,,,01/04/2027,,Engineering,CC,Engineer,,Regular,Full_Time,Boston,US,America/New_York,,,N,"),
            1 => Encoding.UTF8.GetBytes(Row(i, "Nul\0Byte", "Row")),
            2 => Encoding.UTF8.GetBytes(Row(i, Quote(new string('A', r.Next(100_000, 400_000))), "Huge")),
            3 => [.. Encoding.UTF8.GetBytes($"{i},,"), 0xC3, 0x28, 0xFF, 0xFE, .. Encoding.UTF8.GetBytes(",Bad,,,,,01/04/2027,,Engineering,CC,Engineer,,Regular,Full_Time,Boston,US,America/New_York,,,N,")],
            4 => Encoding.UTF8.GetBytes(Row(i, "=cmd|' /C calc'!A0", "+SUM(1)")),
            5 => Encoding.UTF8.GetBytes($"{i},too,few"),
            6 => Encoding.UTF8.GetBytes(Row(i, "x", "y") + ",extra,fields,here"),
            7 => Encoding.UTF8.GetBytes(Row(i, Quote("Ann, \"Jr\" + <Ltd>; #1 \\ =x"), Quote("O'Brien, III"))),
            8 => Encoding.UTF8.GetBytes(Row(i, "Zoë", "Ångström-北京")),
            9 => Encoding.UTF8.GetBytes(Row(i, "Bad", "Date", begin: "2027-13-45")),
            10 => Encoding.UTF8.GetBytes(Row("", "No", "Key")),
            11 => Encoding.UTF8.GetBytes(Row(i, "{{ person.national_id }}", "${jndi:ldap://x}")),
            12 => Encoding.UTF8.GetBytes(Row(i + "\u202e", "Bidi", "Key", type: "Regular\u0007")),
            _ => Encoding.UTF8.GetBytes(Row(i, Quote("multi\nline"), "Name")),
        };
    }

    [Fact]
    public async Task Hostile_rows_are_quarantined_by_file_and_line_and_the_good_rows_become_people()
    {
        var report = new Report(output, "hostile-csv");
        var seed = FaultScale.Seed();
        var r = new Random(seed);
        var rows = FaultScale.Pick(2_000, 10_000);
        var spine = await DataSpine.StartAsync(TestDatabases.Sqlite);
        var file = Path.Combine(Path.GetTempPath(), $"handoff-hostile-{Guid.NewGuid():N}.csv");
        var good = new List<string>();
        await using (var stream = File.Create(file))
        {
            stream.Write(Encoding.UTF8.GetBytes(Header + "\n"));
            for (var n = 0; n < rows; n++)
            {
                var id = 700_000 + n;
                if (n % 5 == 0)
                {
                    good.Add(id.ToString(CultureInfo.InvariantCulture));
                    stream.Write(Encoding.UTF8.GetBytes(Row(good[^1], "Good", "Row" + n)));
                }
                else
                {
                    stream.Write(Hostile(r, id));
                }
                stream.Write("\n"u8);
            }
        }

        var sync = await spine.SyncCsvAsync("hris", file);
        report.Line($"seed {seed}: {rows} rows ({good.Count} good): read {sync.Read}, created {sync.Created}, rejected {sync.Rejected}, held {sync.Held}");

        await using var db = spine.Db();
        var quarantined = await db.Quarantine.AsNoTracking().ToListAsync();
        var unplaced = quarantined.Where(q => q.Line <= 0 || string.IsNullOrEmpty(q.File) || string.IsNullOrEmpty(q.Reason)).ToList();
        Assert.True(unplaced.Count == 0, "quarantined rows without file:line or reason: " + string.Join("; ", unplaced.Take(5).Select(q => $"{q.File}:{q.Line} {q.Reason}")));
        var keys = (await db.PersonKeys.AsNoTracking().Where(k => k.Rule == "employee_id").Select(k => k.Value).ToListAsync()).ToHashSet();
        var missing = good.Where(g => !keys.Contains(g)).ToList();
        report.Line($"quarantined {quarantined.Count} (each with file:line and reason, e.g. \"{quarantined.FirstOrDefault()?.File}:{quarantined.FirstOrDefault()?.Line} {quarantined.FirstOrDefault()?.Reason}\"); good rows missing {missing.Count}");
        Assert.True(missing.Count == 0, $"{missing.Count} good rows did not become people, e.g. {string.Join(", ", missing.Take(5))}");
        Assert.True(quarantined.Count > 0, "nothing was quarantined: the corpus did not reach the quarantine");
    }
}
