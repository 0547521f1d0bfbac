using System.Globalization;
using CsvHelper;
using Handoff.Core.Demo;

namespace Handoff.Bench;

/// <summary>
/// The generated Acme workspace of one size, kept between runs (same seed, same bytes): the
/// sample's YAML with <c>data/</c> generated for N people, and the files the re-syncs read.
/// </summary>
public sealed record BenchData(int Size, string WorkspaceDirectory, string Workers, string OnePercent, string TenthPercent, string WellFormed, int OnePercentChanged, int TenthPercentChanged)
{
    public const int Seed = 42;
    public const double DefectRate = 0.01;

    public static BenchData Prepare(string workDirectory, int size)
    {
        var ws = Path.Combine(workDirectory, $"acme-{size}");
        var variants = Path.Combine(ws, "variants");
        var workers = Path.Combine(ws, "data", AcmeDataGenerator.HrisFile);
        var onePercent = Path.Combine(variants, "workers-1pct.csv");
        var tenthPercent = Path.Combine(variants, "workers-0.1pct.csv");
        var wellFormed = Path.Combine(variants, "workers-wellformed.csv");
        var done = Path.Combine(ws, "prepared.txt");
        if (File.Exists(done))
        {
            var counts = File.ReadAllText(done).Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            return new BenchData(size, ws, workers, onePercent, tenthPercent, wellFormed, counts[0], counts[1]);
        }

        Console.Error.WriteLine($"generating Acme data for {size:N0} people (seed {Seed}, defect rate {DefectRate}) in {ws}");
        if (Directory.Exists(ws))
            Directory.Delete(ws, recursive: true);
        Directory.CreateDirectory(variants);
        foreach (var yaml in Directory.GetFiles(BenchOptions.SamplesWorkspace, "*.yaml"))
            File.Copy(yaml, Path.Combine(ws, Path.GetFileName(yaml)));
        AcmeDataGenerator.Generate(Path.Combine(ws, "data"), size, Seed, DefectRate);
        // 1 % changed against the initial import; 0.1 % changed against the 1 % file, so that each
        // re-sync differs from what the database holds by exactly its share.
        var one = AcmeDataGenerator.RewriteWithChanges(workers, onePercent, 0.01, Seed + 1);
        var tenth = AcmeDataGenerator.RewriteWithChanges(onePercent, tenthPercent, 0.001, Seed + 2);
        WriteWellFormed(workers, wellFormed);
        File.WriteAllText(done, $"{one},{tenth}");
        return new BenchData(size, ws, workers, onePercent, tenthPercent, wellFormed, one, tenth);
    }

    /// <summary>The workers file without the rows whose field count is wrong (the generator's
    /// malformed-row defect): PostgreSQL's COPY refuses the whole file for one such row.</summary>
    private static void WriteWellFormed(string source, string target)
    {
        var readerOptions = CsvReaderOptions.Default with { Separator = ',', HasHeader = true, DetectSeparatorHint = false };
        using var reader = CsvReader.FromFile(source, readerOptions);
        reader.ReadHeader();
        var header = reader.Headers.ToArray();
        var writerOptions = CsvWriterOptions.Default with
        {
            Separator = ',',
            NewLine = "\n",
            Injection = CsvInjection.None,
            FormatProvider = CultureInfo.InvariantCulture,
        };
        using var writer = CsvWriter.Create(new FileStream(target, FileMode.Create, FileAccess.Write), writerOptions);
        writer.WriteHeader(header);
        while (reader.Read())
        {
            if (reader.FieldCount != header.Length)
                continue;
            for (var c = 0; c < reader.FieldCount; c++)
                writer.WriteField(reader.GetString(c));
            writer.EndRecord();
        }
    }
}
