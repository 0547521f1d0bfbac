using System.Globalization;
using Bogus;
using Handoff.Core.Dictionary;

namespace Handoff.Core.Workflows;

/// <summary>A generated person for simulation: canonical values as the dictionary types them, and
/// which deliberate defect (if any) the generator put in.</summary>
public sealed record SimulatedPerson(string Id, string Name, string State, IReadOnlyDictionary<string, string?> Values, string? Defect);

/// <summary>
/// Realistic fake workers for simulating a workflow before any real system is connected: names with
/// diacritics and apostrophes, shared names (username collisions), very long names (the 20-character
/// sAMAccountName), and a share of deliberate defects (a missing last name, a missing manager, a
/// start date in the past). Deterministic per seed.
/// </summary>
public static class SimulatedPopulation
{
    private static readonly string[] Departments = ["Sales", "Engineering", "Finance", "People", "Support", "Legal", "Marketing"];
    private static readonly string[] Countries = ["US", "DE", "IE", "FR", "GB"];
    private static readonly Dictionary<string, string> Zones = new()
    {
        ["US"] = "America/New_York",
        ["DE"] = "Europe/Berlin",
        ["IE"] = "Europe/Dublin",
        ["FR"] = "Europe/Paris",
        ["GB"] = "Europe/London",
    };

    public static IReadOnlyList<SimulatedPerson> Generate(DictionaryDefinition dictionary, int count, int seed, DateOnly today, double defectRate = 0.1)
    {
        var faker = new Faker { Random = new Randomizer(seed) };
        var people = new List<SimulatedPerson>(count);
        for (var i = 0; i < count; i++)
        {
            var first = faker.Name.FirstName();
            var last = faker.Name.LastName();
            string? defect = null;
            var roll = faker.Random.Double();
            if (roll < defectRate)
            {
                switch (faker.Random.Int(0, 4))
                {
                    case 0:
                        last = "";
                        defect = "missing last name";
                        break;
                    case 1:
                        (first, last) = ("Zoë", "O'Brien-Núñez");
                        defect = "diacritics and apostrophe";
                        break;
                    case 2:
                        (first, last) = ("Maximilian-Alexander", "Wolfeschlegelsteinhausen");
                        defect = "name longer than 20 characters";
                        break;
                    case 3:
                        (first, last) = ("John", "Smith");
                        defect = "common name (username collision)";
                        break;
                    default:
                        defect = "start date in the past";
                        break;
                }
            }
            var country = faker.PickRandom(Countries);
            var start = defect == "start date in the past" ? today.AddDays(-faker.Random.Int(30, 400)) : today.AddDays(faker.Random.Int(1, 60));
            var employeeId = (100000 + i).ToString(CultureInfo.InvariantCulture);
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var field in dictionary.Fields)
            {
                values[field.Name] = field.Name switch
                {
                    "employee_id" => employeeId,
                    "first_name" => first,
                    "last_name" => last.Length == 0 ? null : last,
                    "preferred_name" => null,
                    "work_email" => null,
                    "personal_email" => $"{HrSlug(first)}.{HrSlug(last)}{i}@example.net",
                    "start_date" => start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    "termination_date" => null,
                    "department" => faker.PickRandom(Departments),
                    "country" => country,
                    "time_zone" => Zones[country],
                    "job_title" => faker.Name.JobTitle(),
                    "worker_type" => "employee",
                    "manager_id" => defect is null && i > 0 ? (100000 + faker.Random.Int(0, i - 1)).ToString(CultureInfo.InvariantCulture) : null,
                    _ when field.Name == dictionary.Lifecycle.OfferStatus => Accepted(dictionary, drawn: Value(field, faker, today)),
                    _ => Value(field, faker, today),
                };
            }
            people.Add(new SimulatedPerson($"generated-{i + 1}", $"{first} {last}".Trim(), "pre_hire", values, defect));
        }
        return people;
    }

    /// <summary>Generated people are hired (pre_hire): their offer was accepted — a random declined or
    /// withdrawn one would put them out of a lifecycle workflow's scope. The random value is still
    /// drawn (and dropped), so a seed keeps giving the same population.</summary>
    private static string? Accepted(DictionaryDefinition dictionary, string? drawn) =>
        dictionary.Lifecycle.AcceptedOfferValues.FirstOrDefault() ?? drawn;

    private static string HrSlug(string s) => new(s.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray());

    private static string? Value(FieldDefinition field, Faker faker, DateOnly today) => field.Type switch
    {
        FieldType.Enum when field.Values.Count > 0 => faker.PickRandom(field.Values.ToList()),
        FieldType.Date => today.AddDays(-faker.Random.Int(7000, 20000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        FieldType.Bool => "false",
        FieldType.Number => faker.Random.Int(40000, 150000).ToString(CultureInfo.InvariantCulture),
        FieldType.Email => faker.Internet.Email(),
        _ => field.Classification == Classification.Sensitive ? null : faker.Lorem.Word(),
    };
}
