using System.Globalization;
using Handoff.Core.Governance;
using Handoff.Core.Workspace;

namespace Handoff.Core.Tests.Governance;

/// <summary>
/// Three generated extracts of the same 40 people, as an ATS, an HRIS and a directory write them:
/// different column names, different date formats, three start dates that the HRIS has differently
/// and two people whose first name the HRIS has in its legal form. Decoy columns (offer date, birth
/// date, account creation date) must not be mistaken for the start date.
/// </summary>
public sealed class ProcessAuditFieldDiscoveryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "handoff-discover-" + Guid.NewGuid().ToString("N"));
    private static readonly string[] FirstNames = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon"];
    private static readonly string[] LastNames = ["Smith", "Okafor", "Nguyen", "Garcia", "Kowalski", "Haddad", "Larsen", "Rossi", "Tanaka", "Weber", "Moreau"];
    private static readonly string[] Titles = ["Engineer", "Analyst", "Designer", "Recruiter", "Accountant", "Nurse"];

    /// <summary>Employee ids whose HRIS start date differs from the ATS's, and the two ids whose first name differs.</summary>
    private static readonly string[] StartDateDiffers = ["E1005", "E1017", "E1031"];
    private static readonly string[] FirstNameDiffers = ["E1002", "E1020"];

    public ProcessAuditFieldDiscoveryTests()
    {
        Directory.CreateDirectory(_dir);
        var ats = new List<string> { "hris_id,First Name,Last Name,Start Date,Offer Date,Job Title,Country" };
        var hris = new List<string> { "Employee_ID;Legal_First_Name;Legal_Last_Name;Employment_Begin_Date;Birth_Date;Business_Title;Country_Code" };
        var ad = new List<string> { "employeeID,givenName,sn,accountActivationDate,whenCreated,title" };
        var start = new DateOnly(2026, 1, 5);
        for (var i = 0; i < 40; i++)
        {
            var id = $"E{1000 + i}";
            var first = FirstNames[i % FirstNames.Length];
            var last = LastNames[(i * 7) % LastNames.Length];
            var title = Titles[(i * 5) % Titles.Length];
            var day = start.AddDays(i * 3);
            var hrisDay = StartDateDiffers.Contains(id) ? day.AddDays(7) : day;
            var hrisFirst = FirstNameDiffers.Contains(id) ? first + "a" : first;
            var offer = day.AddDays(-30 - i);
            var birth = new DateOnly(1980 + i % 20, 1 + i % 12, 1 + i % 27);
            ats.Add($"{id},{first},{last},{day.ToString("MM/dd/yyyy", CultureInfo.InvariantCulture)},{offer.ToString("MM/dd/yyyy", CultureInfo.InvariantCulture)},{title},US");
            // The HRIS writes upper-case ids, extra spaces and ISO dates; the key still correlates.
            hris.Add($"{id.ToLowerInvariant()};  {hrisFirst} ;{last.ToUpperInvariant()};{hrisDay:yyyy-MM-dd};{birth:yyyy-MM-dd};{title};US");
            ad.Add($"{id},{hrisFirst},{last},{hrisDay:yyyy-MM-dd}T09:00:00Z,{day.AddDays(-14):yyyy-MM-dd}T16:30:00Z,{title}");
        }
        // Rows only one side has do not correlate and do not count.
        ats.Add("E9999,Zed,Nobody,01/01/2026,12/01/2025,Engineer,US");
        File.WriteAllLines(Path.Combine(_dir, "ats.csv"), ats);
        File.WriteAllLines(Path.Combine(_dir, "hris.csv"), hris);
        File.WriteAllLines(Path.Combine(_dir, "directory.csv"), ad);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private List<ExtractTable> Tables() =>
    [
        ExtractTable.ReadCsv(Path.Combine(_dir, "ats.csv"), "hris_id"),
        ExtractTable.ReadCsv(Path.Combine(_dir, "hris.csv"), "Employee_ID"),
        ExtractTable.ReadCsv(Path.Combine(_dir, "directory.csv"), "employeeID"),
    ];

    private static readonly HashSet<string> TruePairs =
    [
        "ats.First Name=hris.Legal_First_Name", "ats.Last Name=hris.Legal_Last_Name", "ats.Start Date=hris.Employment_Begin_Date", "ats.Job Title=hris.Business_Title",
        "ats.First Name=directory.givenName", "ats.Last Name=directory.sn", "ats.Start Date=directory.accountActivationDate", "ats.Job Title=directory.title",
        "hris.Legal_First_Name=directory.givenName", "hris.Legal_Last_Name=directory.sn", "hris.Employment_Begin_Date=directory.accountActivationDate", "hris.Business_Title=directory.title",
    ];

    private static string Pair(FieldMatchSuggestion s) => $"{s.LeftSystem}.{s.LeftField}={s.RightSystem}.{s.RightField}";

    [Fact]
    public void The_fields_that_carry_the_same_data_point_rank_first()
    {
        var suggestions = ProcessAuditFieldDiscovery.Discover(Tables());
        var top = suggestions.Take(TruePairs.Count).Select(Pair).ToHashSet();
        Assert.True(TruePairs.SetEquals(top), "top suggestions: " + string.Join(", ", suggestions.Select(s => $"{Pair(s)} {s.Confidence}")));
        Assert.All(suggestions.Skip(TruePairs.Count), s => Assert.True(s.Confidence < suggestions[TruePairs.Count - 1].Confidence));
        // The decoys are not suggested at all; a country that is "US" everywhere proves little, so the
        // pair of country columns (the same data point by name) is at most a weak suggestion.
        Assert.DoesNotContain(suggestions, s => s.LeftField is "Offer Date" || s.RightField is "Birth_Date" or "whenCreated");
        Assert.All(suggestions.Where(s => s.LeftField == "Country"), s => Assert.True(s.Confidence <= 0.5));
    }

    [Fact]
    public void Start_dates_in_three_formats_are_compared_as_dates_and_the_disagreeing_records_listed()
    {
        var s = ProcessAuditFieldDiscovery.Discover(Tables()).Single(x => Pair(x) == "ats.Start Date=hris.Employment_Begin_Date");
        Assert.Equal(40, s.Compared);
        Assert.Equal(37, s.Agreeing);
        Assert.True(s.IsDate);
        Assert.Equal("MM/dd/yyyy", s.LeftDatePattern);
        Assert.Equal("yyyy-MM-dd", s.RightDatePattern);
        Assert.Equal(StartDateDiffers, s.Disagreements.Select(d => d.Key.ToUpperInvariant()).Order());
        var e1005 = s.Disagreements.Single(d => d.Key == "E1005");
        Assert.Equal(("01/20/2026", "2026-01-27"), (e1005.LeftValue, e1005.RightValue));
        // 0.75 × 37/40 + 0.25 × name similarity: values carry it although the names share only "start date".
        Assert.InRange(s.Confidence, 0.75 * 37 / 40, 1.0);

        var ad = ProcessAuditFieldDiscovery.Discover(Tables()).Single(x => Pair(x) == "hris.Employment_Begin_Date=directory.accountActivationDate");
        Assert.Equal((40, 40), (ad.Compared, ad.Agreeing));
        Assert.Empty(ad.Disagreements);
    }

    [Fact]
    public void Names_differing_in_case_and_spaces_agree_and_real_differences_are_listed()
    {
        var suggestions = ProcessAuditFieldDiscovery.Discover(Tables());
        var last = suggestions.Single(x => Pair(x) == "ats.Last Name=hris.Legal_Last_Name");
        Assert.Equal(40, last.Agreeing);
        var first = suggestions.Single(x => Pair(x) == "ats.First Name=hris.Legal_First_Name");
        Assert.Equal(38, first.Agreeing);
        Assert.Equal(FirstNameDiffers, first.Disagreements.Select(d => d.Key).Order());
        Assert.Equal(("Chloe", "  Chloea "), (first.Disagreements[0].LeftValue, first.Disagreements[0].RightValue));
    }

    [Theory]
    [InlineData("Start Date", "Employment_Begin_Date", 0.5, 1.0)]
    [InlineData("Legal_First_Name", "givenName", 0.5, 1.0)]
    [InlineData("dept", "Department", 1.0, 1.0)]
    [InlineData("Start Date", "Birth_Date", 0.0, 0.7)]
    public void Name_similarity_folds_tokens_and_synonyms(string a, string b, double min, double max)
    {
        Assert.InRange(ProcessAuditFieldDiscovery.NameSimilarity(a, b), min, max);
    }

    [Theory]
    [InlineData("03/02/2026", "date:2026-03-02")]
    [InlineData("2026-03-02", "date:2026-03-02")]
    [InlineData("2.3.2026", "date:2026-03-02")]
    [InlineData("2 Mar 2026", "date:2026-03-02")]
    [InlineData("2026-03-02T09:00:00Z", "date:2026-03-02")]
    [InlineData("  Mary   Ann ", "mary ann")]
    [InlineData("0042.50", "number:42.5")]
    public void Values_are_normalised_before_comparison(string raw, string normalised)
    {
        Assert.Equal(normalised, ProcessAuditFieldDiscovery.Normalise(raw).Value);
    }

    [Fact]
    public void A_key_column_missing_from_the_header_names_the_file_and_its_columns()
    {
        var path = Path.Combine(_dir, "ats.csv");
        var e = Assert.Throws<FieldDiscoveryException>(() => ExtractTable.ReadCsv(path, "Employee_ID"));
        Assert.Equal($"{path}:1: key column \"Employee_ID\" is not in the header; columns: hris_id, First Name, Last Name, Start Date, Offer Date, Job Title, Country", e.Message);
        Assert.Throws<FieldDiscoveryException>(() => ProcessAuditFieldDiscovery.Discover([ExtractTable.ReadCsv(path, "hris_id")]));
    }

    [Fact]
    public void Accepting_binds_the_other_system_to_the_field_already_bound()
    {
        var acme = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!;
        var s = ProcessAuditFieldDiscovery.Discover(Tables()).Single(x => Pair(x) == "hris.Employment_Begin_Date=directory.accountActivationDate");
        var (dictionary, summary) = ProcessAuditFieldDiscovery.Accept(acme.Dictionary, s);
        Assert.Equal("bind directory.accountActivationDate to the field start_date", summary);
        var binding = dictionary.FindField("start_date")!.BindingFor("directory");
        Assert.Equal("accountActivationDate", binding!.Native);
        // The proposal is a valid dictionary for Acme's systems.
        var parsed = WorkspaceLoader.ParseDictionary(WorkspaceWriter.ToYaml(dictionary), "dictionary.yaml", acme.Systems.Select(x => x.Id).ToList());
        Assert.True(parsed.Succeeded, string.Join("\n", parsed.Errors));
    }

    [Fact]
    public void Accepting_a_pair_of_unbound_fields_proposes_a_new_field_with_both_bindings_and_formats()
    {
        var acme = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!;
        var s = new FieldMatchSuggestion("ats", "Offer Date", "payroll", "Offer_Dt", 0.5, 10, 10, 10, 0.9, [], "MM/dd/yyyy", "dd.MM.yyyy");
        var (dictionary, summary) = ProcessAuditFieldDiscovery.Accept(acme.Dictionary, s);
        Assert.Equal("new field offer_date = ats.Offer Date = payroll.Offer_Dt", summary);
        var field = dictionary.FindField("offer_date")!;
        Assert.Equal(Handoff.Core.Dictionary.FieldType.Date, field.Type);
        Assert.Equal("MM/dd/yyyy", field.BindingFor("ats")!.Format);
        Assert.Equal("dd.MM.yyyy", field.BindingFor("payroll")!.Format);
        var parsed = WorkspaceLoader.ParseDictionary(WorkspaceWriter.ToYaml(dictionary), "dictionary.yaml", acme.Systems.Select(x => x.Id).ToList());
        Assert.True(parsed.Succeeded, string.Join("\n", parsed.Errors));
    }

    [Fact]
    public void Accepting_a_pair_that_conflicts_with_an_existing_binding_is_refused_with_the_reason()
    {
        var acme = WorkspaceLoader.Load(TestWorkspace.AcmeSample).Workspace!;
        var s = ProcessAuditFieldDiscovery.Discover(Tables()).Single(x => Pair(x) == "ats.Start Date=hris.Employment_Begin_Date");
        var e = Assert.Throws<FieldDiscoveryException>(() => ProcessAuditFieldDiscovery.Accept(acme.Dictionary, s));
        Assert.Equal("the field start_date already binds ats to start_date, not Start Date: change that binding in the dictionary editor", e.Message);
    }
}
