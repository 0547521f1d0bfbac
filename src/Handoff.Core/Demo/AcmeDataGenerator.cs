using System.Globalization;
using System.Text;
using Bogus;
using CsvHelper;

namespace Handoff.Core.Demo;

/// <summary>The kinds of data defect the generator plants, one per affected person.</summary>
public enum DefectKind
{
    /// <summary>The ATS start date is a week later than the HRIS Employment_Begin_Date.</summary>
    StartDateMismatch,

    /// <summary>A second HRIS row for the worker, effective in the future, with another department.</summary>
    FutureDatedTransfer,

    /// <summary>A date that does not convert: Birth_Date 31/02/yyyy or Employment_Begin_Date yyyy-13-01.</summary>
    UnconvertibleDate,

    /// <summary>An HRIS row with the wrong number of fields (a field missing, or a name with an unquoted comma).</summary>
    MalformedRow,

    /// <summary>A second ATS candidate for the same person and personal e-mail.</summary>
    DuplicateCandidate,

    /// <summary>Payroll books the worker on another cost center than the HRIS.</summary>
    CostCenterMismatch,
}

/// <summary>What <see cref="AcmeDataGenerator.Generate"/> wrote.</summary>
/// <param name="People">Workers generated (HRIS employees).</param>
/// <param name="Rows">Data rows (header excluded) per file, keyed by the path relative to the data directory.</param>
/// <param name="Defects">People affected per defect kind (every kind is listed, zero included).</param>
public sealed record GenerationReport(int People, IReadOnlyDictionary<string, long> Rows, IReadOnlyDictionary<DefectKind, int> Defects)
{
    /// <summary>People with a planted defect.</summary>
    public int DefectivePeople => Defects.Values.Sum();
}

/// <summary>
/// Writes Acme-shaped source files (ATS offers, HRIS workers, payroll) for any number of people, with
/// the same columns, delimiters and encodings as the hand-written files in samples/acme/data, for
/// demos and benchmarks. Output is byte-identical for the same arguments: every random choice comes
/// from one seeded Bogus randomizer, nothing reads the clock or the current culture, and people are
/// streamed to disk one at a time, so a million people never sit in memory.
/// </summary>
public static class AcmeDataGenerator
{
    /// <summary>"Today" of the Acme demo story, the default reference date.</summary>
    public static DateOnly DemoToday { get; } = new(2026, 11, 27);

    public const string AtsFile = "ats/offers.csv";
    public const string HrisFile = "hris/workers.csv";
    public const string PayrollFile = "payroll/payroll.csv";

    internal static readonly string[] AtsColumns =
        ["candidate_id", "first_name", "last_name", "personal_email", "start_date", "job_title", "department", "offer_status"];

    internal static readonly string[] HrisColumns =
    [
        "Employee_ID", "Applicant_ID", "Legal_First_Name", "Legal_Last_Name", "Preferred_Name", "Work_Email",
        "Personal_Email", "Birth_Date", "Employment_Begin_Date", "Termination_Date", "Department", "Cost_Center",
        "Job_Title", "Manager_ID", "Worker_Type", "Time_Type", "Location", "Country", "Time_Zone", "Mobile_Phone",
        "National_ID", "Leave_Status", "Effective_Date",
    ];

    internal static readonly string[] PayrollColumns = ["EmpNo", "Name", "Salary", "Currency", "Pay_Group", "Cost_Centre", "Start"];

    private sealed record Department(string Name, string CostCenter, string[] Titles);

    private sealed record Location(string City, string Country, string TimeZone, string Currency, string PayGroup, string PhonePrefix);

    private static readonly Department[] Departments =
    [
        new("Engineering", "CC-1100", ["Software Engineer", "Senior Software Engineer", "Staff Software Engineer", "Engineering Manager", "QA Engineer", "DevOps Engineer"]),
        new("Sales", "CC-2100", ["Account Executive", "Sales Development Rep", "Account Manager", "Sales Engineer", "Sales Manager"]),
        new("Finance", "CC-3100", ["Accountant", "Financial Analyst", "Payroll Specialist", "Financial Controller"]),
        new("People", "CC-4100", ["Recruiter", "HR Business Partner", "People Operations Coordinator", "Learning Specialist"]),
        new("Marketing", "CC-5100", ["Marketing Designer", "Content Marketing Manager", "Product Marketing Manager", "Marketing Analyst"]),
        new("Operations", "CC-6100", ["Office Manager", "Operations Analyst", "Facilities Coordinator"]),
        new("IT", "CC-7100", ["Service Desk Analyst", "IT Systems Administrator", "Security Engineer", "IT Manager"]),
    ];

    private static readonly Location[] Locations =
    [
        new("Boston", "US", "America/New_York", "USD", "US-BIWEEKLY", "+1 617 555 "),
        new("Austin", "US", "America/Chicago", "USD", "US-BIWEEKLY", "+1 512 555 "),
        new("London", "GB", "Europe/London", "GBP", "UK-MONTHLY", "+44 7700 9"),
        new("Berlin", "DE", "Europe/Berlin", "EUR", "DE-MONTHLY", "+49 151 23"),
        new("Madrid", "ES", "Europe/Madrid", "EUR", "ES-MONTHLY", "+34 612 3"),
        new("Dublin", "IE", "Europe/Dublin", "EUR", "IE-MONTHLY", "+353 85 12"),
    ];

    // Names that break naive exporters: diacritics (all in windows-1252, the payroll encoding),
    // apostrophes, a comma that needs quoting.
    private static readonly string[] AwkwardFirstNames = ["José", "Zoë", "Björn", "Renée", "Iñaki", "Siobhán", "Chloé", "Jürgen", "Tomás", "Lucía"];
    private static readonly string[] AwkwardLastNames = ["O'Neil", "García", "Müller", "Smith, Jr.", "O'Brien-Núñez", "Lefèvre", "Muñoz", "D'Souza", "Fernández", "Ibáñez"];
    private static readonly string[] OpenOfferStatuses = ["pending", "declined", "withdrawn"];

    /// <summary>
    /// Writes <c>ats/offers.csv</c>, <c>hris/workers.csv</c> and <c>payroll/payroll.csv</c> under
    /// <paramref name="workspaceDataDirectory"/> (creating the folders, replacing the files).
    /// </summary>
    /// <param name="workspaceDataDirectory">The workspace's data folder (samples/acme/data).</param>
    /// <param name="people">Number of HRIS workers.</param>
    /// <param name="seed">Same seed, same bytes.</param>
    /// <param name="defectRate">Probability, per person, of one planted defect (see <see cref="DefectKind"/>).</param>
    /// <param name="today">The reference date for start and termination dates; <see cref="DemoToday"/> when null
    /// (not the clock, so that output does not depend on the day it runs).</param>
    public static GenerationReport Generate(string workspaceDataDirectory, int people, int seed, double defectRate = 0.02, DateOnly? today = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(people);
        ArgumentOutOfRangeException.ThrowIfLessThan(defectRate, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(defectRate, 1);
        var now = today ?? DemoToday;
        var faker = new Faker("en") { Random = new Randomizer(seed) };
        var random = faker.Random;

        using var ats = Open(workspaceDataDirectory, AtsFile, ',', "\n", byteOrderMark: false, encoding: null);
        using var hris = Open(workspaceDataDirectory, HrisFile, ',', "\n", byteOrderMark: true, encoding: null);
        using var payroll = Open(workspaceDataDirectory, PayrollFile, ';', "\r\n", byteOrderMark: false, encoding: Windows1252());
        ats.WriteHeader(AtsColumns);
        hris.WriteHeader(HrisColumns);
        payroll.WriteHeader(PayrollColumns);

        long atsRows = 0, hrisRows = 0, payrollRows = 0;
        var defects = Enum.GetValues<DefectKind>().ToDictionary(k => k, _ => 0);
        var candidates = 500000;
        var row = new string?[HrisColumns.Length];

        for (var i = 0; i < people; i++)
        {
            DefectKind? defect = random.Double() < defectRate ? random.Enum<DefectKind>() : null;
            var id = (100001 + i).ToString(CultureInfo.InvariantCulture);

            var first = random.Double() < 0.03 ? random.ArrayElement(AwkwardFirstNames) : faker.Name.FirstName();
            var last = random.Double() < 0.03 ? random.ArrayElement(AwkwardLastNames) : faker.Name.LastName();
            var preferred = random.Double() < 0.08 ? PreferredName(first, random) : null;
            var department = random.ArrayElement(Departments);
            var location = random.ArrayElement(Locations);

            var workerType = random.Double() switch { < 0.06 => "Contingent", < 0.10 => "Intern", _ => "Regular" };
            var state = random.Double() switch { < 0.04 => "pre_hire", < 0.10 => "terminated", < 0.22 => "recent", _ => "active" };
            if (defect == DefectKind.CostCenterMismatch)
            {
                // Only a worker on payroll can disagree with it.
                workerType = "Regular";
                state = "active";
            }

            var begin = state switch
            {
                "pre_hire" => now.AddDays(random.Int(1, 75)),
                "recent" => now.AddDays(-random.Int(1, 365)),
                _ => now.AddDays(-random.Int(366, 15 * 365)),
            };
            DateOnly? termination = state == "terminated"
                ? begin.AddDays(random.Int(60, Math.Max(60, now.DayNumber - begin.DayNumber - 1)))
                : null;
            if (termination >= now)
                termination = now.AddDays(-1);
            var age = workerType == "Intern" ? random.Int(19, 24) : random.Int(21, 63);
            var birth = begin.AddYears(-age).AddDays(-random.Int(0, 364));
            var title = workerType == "Intern" ? department.Name + " Intern" : random.ArrayElement(department.Titles);
            var timeType = workerType == "Intern" || random.Double() < 0.08 ? "Part_Time" : "Full_Time";
            var onLeave = state is "active" && random.Double() < 0.02;
            var manager = i == 0 ? null : (100001 + random.Int(0, Math.Min(i, 1000) - 1)).ToString(CultureInfo.InvariantCulture);
            var personalEmail = $"{Ascii(first)}.{Ascii(last)}{random.Int(1, 999)}@{random.ArrayElement(new[] { "gmail.com", "outlook.com", "yahoo.com", "icloud.com" })}";
            var phone = location.PhonePrefix + random.ReplaceNumbers("## ##");
            var nationalId = NationalId(location.Country, random);

            var hasOffer = state is "pre_hire" or "recent" || defect is DefectKind.StartDateMismatch or DefectKind.DuplicateCandidate;
            var candidateId = hasOffer ? "C-" + (candidates++).ToString(CultureInfo.InvariantCulture) : null;

            row[0] = id;
            row[1] = candidateId;
            row[2] = first;
            row[3] = last;
            row[4] = preferred;
            row[5] = $"{Ascii(first)}.{Ascii(last)}.{id}@acme.example";
            row[6] = personalEmail;
            row[7] = Us(birth);
            row[8] = Us(begin);
            row[9] = termination is { } t ? Us(t) : null;
            row[10] = department.Name;
            row[11] = department.CostCenter;
            row[12] = title;
            row[13] = manager;
            row[14] = workerType;
            row[15] = timeType;
            row[16] = location.City;
            row[17] = location.Country;
            row[18] = location.TimeZone;
            row[19] = phone;
            row[20] = nationalId;
            row[21] = onLeave ? "Y" : "N";
            row[22] = null;

            if (defect == DefectKind.UnconvertibleDate)
            {
                if (random.Bool())
                    row[7] = $"31/02/{birth.Year}";
                else
                    row[8] = $"{begin.Year}-13-01";
            }

            if (defect == DefectKind.MalformedRow)
            {
                if (random.Bool())
                {
                    // An exporter that dropped the last column.
                    WriteRecord(hris, row.AsSpan(0, row.Length - 1));
                }
                else
                {
                    // An exporter that did not quote a name with a comma: one field too many.
                    var split = new string?[row.Length + 1];
                    row.AsSpan(0, 3).CopyTo(split);
                    split[3] = last.Replace(",", "", StringComparison.Ordinal);
                    split[4] = "Jr.";
                    row.AsSpan(4).CopyTo(split.AsSpan(5));
                    WriteRecord(hris, split);
                }
            }
            else
            {
                WriteRecord(hris, row);
            }
            hrisRows++;

            if (defect == DefectKind.FutureDatedTransfer)
            {
                var target = Departments[(Array.IndexOf(Departments, department) + random.Int(1, Departments.Length - 1)) % Departments.Length];
                row[10] = target.Name;
                row[11] = target.CostCenter;
                row[12] = random.ArrayElement(target.Titles);
                row[22] = Us(now.AddDays(random.Int(1, 60)));
                WriteRecord(hris, row);
                hrisRows++;
            }

            if (candidateId is not null)
            {
                var start = defect == DefectKind.StartDateMismatch ? begin.AddDays(7) : begin;
                WriteRecord(ats, candidateId, first, last, personalEmail, Iso(start), title, department.Name, "accepted");
                atsRows++;
                if (defect == DefectKind.DuplicateCandidate)
                {
                    var duplicate = "C-" + (candidates++).ToString(CultureInfo.InvariantCulture);
                    WriteRecord(ats, duplicate, first, last, personalEmail, Iso(start), title, department.Name, "pending");
                    atsRows++;
                }
            }

            // Candidates who never became workers: open, declined and withdrawn offers.
            if (random.Double() < 0.03)
            {
                var candidateFirst = faker.Name.FirstName();
                var candidateLast = faker.Name.LastName();
                var offered = random.ArrayElement(Departments);
                WriteRecord(ats, "C-" + (candidates++).ToString(CultureInfo.InvariantCulture), candidateFirst, candidateLast,
                    $"{Ascii(candidateFirst)}.{Ascii(candidateLast)}{random.Int(1, 999)}@gmail.com",
                    Iso(now.AddDays(random.Int(7, 90))), random.ArrayElement(offered.Titles), offered.Name,
                    random.ArrayElement(OpenOfferStatuses));
                atsRows++;
            }

            var onPayroll = workerType != "Contingent" && begin <= now && (termination is null || termination >= now);
            if (onPayroll)
            {
                var salary = workerType == "Intern" ? random.Int(30, 45) * 1000 : random.Int(40, 220) * 1000;
                var costCenter = defect == DefectKind.CostCenterMismatch
                    ? department.CostCenter[..^3] + "2" + department.CostCenter[^2..]
                    : department.CostCenter;
                WriteRecord(payroll, id, $"{last}, {first}", salary.ToString("F2", CultureInfo.InvariantCulture),
                    location.Currency, location.PayGroup, costCenter, begin.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture));
                payrollRows++;
            }

            if (defect is { } kind)
                defects[kind]++;
        }

        return new GenerationReport(people,
            new Dictionary<string, long> { [AtsFile] = atsRows, [HrisFile] = hrisRows, [PayrollFile] = payrollRows },
            defects);
    }

    /// <summary>
    /// Copies an HRIS workers file, changing <c>Job_Title</c> in exactly round(N × <paramref name="changedShare"/>)
    /// of its N data rows, chosen deterministically from <paramref name="seed"/> (for the re-sync benchmark:
    /// a second import in which that share of the people changed).
    /// </summary>
    /// <returns>The number of rows changed.</returns>
    public static int RewriteWithChanges(string hrisFile, string outFile, double changedShare, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(changedShare, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(changedShare, 1);
        var readerOptions = CsvReaderOptions.Default with { Separator = ',', HasHeader = true, DetectSeparatorHint = false };

        // First pass: count the rows, so that exactly the requested number can be picked while streaming.
        long total = 0;
        using (var counter = CsvReader.FromFile(hrisFile, readerOptions))
        {
            while (counter.Read())
                total++;
        }
        var toChange = (long)Math.Round(total * changedShare, MidpointRounding.AwayFromZero);

        var random = new Random(seed);
        using var reader = CsvReader.FromFile(hrisFile, readerOptions);
        reader.ReadHeader();
        var header = reader.Headers.ToArray();
        var titleColumn = Array.IndexOf(header, "Job_Title");
        if (titleColumn < 0)
            throw new InvalidDataException($"{hrisFile} has no Job_Title column.");

        using var writer = Open(Path.GetDirectoryName(Path.GetFullPath(outFile))!, Path.GetFileName(outFile), ',', "\n", byteOrderMark: true, encoding: null);
        writer.WriteHeader(header);
        long seen = 0;
        var changed = 0;
        while (reader.Read())
        {
            // Selection sampling (Knuth's algorithm S): picks exactly toChange rows in one pass.
            var pick = changed < toChange && random.NextDouble() * (total - seen) < toChange - changed;
            seen++;
            for (var c = 0; c < reader.FieldCount; c++)
            {
                var value = reader.GetString(c);
                writer.WriteField(pick && c == titleColumn ? ChangedTitle(value) : value);
            }
            writer.EndRecord();
            if (pick)
                changed++;
        }
        return changed;
    }

    private static string ChangedTitle(string title) =>
        title.StartsWith("Senior ", StringComparison.Ordinal) ? "Lead " + title[7..] : "Senior " + title;

    private static CsvWriter Open(string directory, string relativePath, char separator, string newLine, bool byteOrderMark, Encoding? encoding)
    {
        var path = Path.Combine(directory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = CsvWriterOptions.Default with
        {
            Separator = separator,
            NewLine = newLine,
            WriteByteOrderMark = byteOrderMark,
            // Malformed rows (a defect kind) have another field count on purpose.
            ValidateFieldCount = false,
            Injection = CsvInjection.None,
            FormatProvider = CultureInfo.InvariantCulture,
        };
        if (encoding is null)
            return CsvWriter.Create(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read), options);
        return CsvWriter.Create(new StreamWriter(path, append: false, encoding), options);
    }

    private static void WriteRecord(CsvWriter writer, params ReadOnlySpan<string?> fields)
    {
        foreach (var field in fields)
            writer.WriteField(field ?? "");
        writer.EndRecord();
    }

    private static Encoding Windows1252()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(1252);
    }

    private static string Us(DateOnly date) => date.ToString("MM/dd/yyyy", CultureInfo.InvariantCulture);

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string PreferredName(string first, Randomizer random) =>
        random.Int(0, 3) switch
        {
            0 => first.Length > 3 ? first[..3] : first,
            1 => first + "+Marie",
            _ => first,
        };

    /// <summary>A name as e-mail addresses spell it: lower case ASCII letters only.</summary>
    private static string Ascii(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.Normalize(NormalizationForm.FormD))
        {
            if (char.IsAsciiLetter(c))
                builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    private static string NationalId(string country, Randomizer random) => country switch
    {
        "US" => random.ReplaceNumbers("###-##-####"),
        "GB" => "QQ " + random.ReplaceNumbers("## ## ##") + " C",
        "DE" => random.ReplaceNumbers("###########"),
        "ES" => random.ReplaceNumbers("########") + random.ArrayElement(new[] { "T", "R", "W", "A", "G", "M" }),
        _ => random.ReplaceNumbers("#######") + random.ArrayElement(new[] { "T", "W" }),
    };
}
