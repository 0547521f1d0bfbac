using System.Globalization;

namespace Handoff.Bench;

/// <summary>The command line: <c>[--sizes 10000,100000] [--providers sqlite,postgres] [--postgres "Host=…"]
/// [--work DIR] [--results DIR]</c>.</summary>
public sealed record BenchOptions(
    IReadOnlyList<int> Sizes,
    IReadOnlyList<string> Providers,
    string? PostgresServer,
    string WorkDirectory,
    string ResultsDirectory,
    int? BatchSize = null)
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public const string Usage = """
        usage: dotnet run -c Release --project bench/Handoff.Bench -- [options]
          --sizes 10000,100000        people (HRIS rows) per run; 1000000 works too (default 10000,100000)
          --providers sqlite,postgres which databases (default sqlite, plus postgres when a server is given)
          --postgres "Host=…"         PostgreSQL server to create throwaway databases on
                                      (default: env HANDOFF_BENCH_POSTGRES)
          --work DIR                  generated data and SQLite files (default: $TMPDIR/handoff-bench)
          --results DIR               where ingestion-<date>.md is written (default: bench/results)
          --batch N                   records per transaction (default: SourceSync's own, 1000)
        """;

    public static BenchOptions? Parse(string[] args)
    {
        var sizes = new List<int> { 10_000, 100_000 };
        List<string>? providers = null;
        var postgres = Environment.GetEnvironmentVariable("HANDOFF_BENCH_POSTGRES");
        var work = Path.Combine(Path.GetTempPath(), "handoff-bench");
        var results = Path.Combine(RepositoryRoot(), "bench", "results");
        int? batch = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--sizes" when value is not null:
                    sizes = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(s => int.Parse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture))];
                    break;
                case "--providers" when value is not null:
                    providers = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => p.ToLowerInvariant())];
                    if (providers.Any(p => p is not (Sqlite or Postgres)))
                        return null;
                    break;
                case "--postgres" when value is not null:
                    postgres = value;
                    break;
                case "--work" when value is not null:
                    work = Path.GetFullPath(value);
                    break;
                case "--batch" when value is not null:
                    batch = int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
                    break;
                case "--results" when value is not null:
                    results = Path.GetFullPath(value);
                    break;
                default:
                    return null;
            }
            i++;
        }
        providers ??= postgres is null ? [Sqlite] : [Sqlite, Postgres];
        if (sizes.Count == 0 || sizes.Any(s => s <= 0))
            return null;
        return new BenchOptions(sizes, providers, postgres, work, results, batch);
    }

    /// <summary>The folder holding Handoff.slnx, looked for above the current directory, then above the binary.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Handoff.slnx")))
                    return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }

    public static string SamplesWorkspace => Path.Combine(RepositoryRoot(), "samples", "acme");
}
