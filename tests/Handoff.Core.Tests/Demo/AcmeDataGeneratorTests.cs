using System.Text;
using CsvHelper;
using Handoff.Core.Demo;

namespace Handoff.Core.Tests.Demo;

public sealed class AcmeDataGeneratorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("handoff-gen-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name) => Path.Combine(_root, name);

    private static byte[] Bytes(string dir, string file) => File.ReadAllBytes(Path.Combine(dir, file));

    private static string[] Files { get; } = [AcmeDataGenerator.AtsFile, AcmeDataGenerator.HrisFile, AcmeDataGenerator.PayrollFile];

    private static long CountRecords(string path, char separator, Encoding? encoding = null)
    {
        using var reader = CsvReader.FromFile(path, CsvReaderOptions.Default with { Separator = separator, Encoding = encoding });
        long n = 0;
        while (reader.Read())
            n++;
        return n;
    }

    [Fact]
    public void Same_seed_writes_identical_bytes_and_another_seed_does_not()
    {
        AcmeDataGenerator.Generate(Dir("a"), 2000, seed: 7, defectRate: 0.05);
        AcmeDataGenerator.Generate(Dir("b"), 2000, seed: 7, defectRate: 0.05);
        AcmeDataGenerator.Generate(Dir("c"), 2000, seed: 8, defectRate: 0.05);

        foreach (var file in Files)
        {
            Assert.Equal(Bytes(Dir("a"), file), Bytes(Dir("b"), file));
            Assert.NotEqual(Bytes(Dir("a"), file), Bytes(Dir("c"), file));
        }
    }

    [Fact]
    public void Files_have_the_sample_columns_encodings_and_reported_row_counts()
    {
        var report = AcmeDataGenerator.Generate(Dir("g"), 3000, seed: 42, defectRate: 0);

        Assert.Equal(3000, report.People);
        Assert.Equal(3000, report.Rows[AcmeDataGenerator.HrisFile]);
        var hris = Bytes(Dir("g"), AcmeDataGenerator.HrisFile);
        Assert.Equal([0xEF, 0xBB, 0xBF], hris[..3]);
        Assert.StartsWith("Employee_ID,Applicant_ID,Legal_First_Name,", Encoding.UTF8.GetString(hris, 3, 200));
        Assert.StartsWith("candidate_id,first_name,last_name,personal_email,start_date,job_title,department,offer_status\n",
            Encoding.UTF8.GetString(Bytes(Dir("g"), AcmeDataGenerator.AtsFile)));
        var payroll = Bytes(Dir("g"), AcmeDataGenerator.PayrollFile);
        Assert.StartsWith("EmpNo;Name;Salary;Currency;Pay_Group;Cost_Centre;Start\r\n", Encoding.Latin1.GetString(payroll));

        Assert.Equal(report.Rows[AcmeDataGenerator.HrisFile], CountRecords(Path.Combine(Dir("g"), AcmeDataGenerator.HrisFile), ','));
        Assert.Equal(report.Rows[AcmeDataGenerator.AtsFile], CountRecords(Path.Combine(Dir("g"), AcmeDataGenerator.AtsFile), ','));
        Assert.Equal(report.Rows[AcmeDataGenerator.PayrollFile], CountRecords(Path.Combine(Dir("g"), AcmeDataGenerator.PayrollFile), ';'));
        // Most workers are active and on payroll; new and recent hires have offers.
        Assert.InRange(report.Rows[AcmeDataGenerator.PayrollFile], 2000, 2900);
        Assert.InRange(report.Rows[AcmeDataGenerator.AtsFile], 300, 1000);
        Assert.Equal(0, report.DefectivePeople);
    }

    [Fact]
    public void Defect_rate_is_roughly_honoured_and_every_kind_appears()
    {
        var report = AcmeDataGenerator.Generate(Dir("d"), 20000, seed: 3, defectRate: 0.02);

        Assert.InRange(report.DefectivePeople, 320, 480); // 400 expected
        Assert.All(Enum.GetValues<DefectKind>(), kind => Assert.InRange(report.Defects[kind], 30, 110));
        var transfers = report.Defects[DefectKind.FutureDatedTransfer];
        Assert.Equal(20000 + transfers, report.Rows[AcmeDataGenerator.HrisFile]);
    }

    [Fact]
    public void Rewrite_changes_exactly_one_percent_of_rows_and_nothing_else()
    {
        AcmeDataGenerator.Generate(Dir("r"), 5000, seed: 11, defectRate: 0);
        var source = Path.Combine(Dir("r"), AcmeDataGenerator.HrisFile);
        var copy = Path.Combine(Dir("r"), "changed", "workers.csv");

        var changed = AcmeDataGenerator.RewriteWithChanges(source, copy, 0.01, seed: 5);

        Assert.Equal(50, changed);
        var before = File.ReadAllLines(source);
        var after = File.ReadAllLines(copy);
        Assert.Equal(before.Length, after.Length);
        Assert.Equal(50, before.Zip(after).Count(p => p.First != p.Second));

        var again = Path.Combine(Dir("r"), "again", "workers.csv");
        AcmeDataGenerator.RewriteWithChanges(source, again, 0.01, seed: 5);
        Assert.Equal(File.ReadAllBytes(copy), File.ReadAllBytes(again));
    }
}
