using System.Globalization;
using Handoff.Bench;

// Ingestion benchmark: initial import and re-syncs of the generated Acme HRIS file, per size and
// provider. See bench/README.md for what each figure means.
if (args.Length > 0 && args[0] == "workflows")
    return await WorkflowBench.MainAsync(args[1..]);
if (args.Length > 0 && args[0] == "ldap")
    return await LdapBenchmark.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "scale")
    return await ScaleBenchmark.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "latency")
    return await LatencyBenchmark.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "reconcile")
    return await ReconcileBenchmark.RunAsync(args[1..]);

// `scim` first: the SCIM server benchmark (creates/s through /Users and /Bulk, filtered GETs at N users).
var scim = args.Length > 0 && args[0] == "scim";
var options = BenchOptions.Parse(scim ? args[1..] : args);
if (options is null)
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (options.Providers.Contains(BenchOptions.Postgres))
{
    var problem = await PostgresServer.CheckAsync(options.PostgresServer);
    if (problem is not null)
    {
        Console.Error.WriteLine($"PostgreSQL was requested but is not reachable: {problem}");
        Console.Error.WriteLine("Give a server with --postgres \"Host=…;Username=…\" or HANDOFF_BENCH_POSTGRES, or run with --providers sqlite.");
        return 3;
    }
}

var machine = await Machine.DescribeAsync(options);
Console.WriteLine(machine);
if (scim)
{
    var users = options.Sizes[^1];
    var lines = new List<ScimBenchmark.Line>();
    foreach (var provider in options.Providers)
    {
        Console.Error.WriteLine($"== SCIM server, {users:N0} users on {provider}");
        lines.AddRange(await ScimBenchmark.RunAsync(provider, users, options));
    }
    var scimReport = ScimBenchmark.Markdown(machine, users, lines);
    Console.WriteLine(scimReport);
    var scimFile = Path.Combine(options.ResultsDirectory, $"scim-{DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.md");
    Directory.CreateDirectory(options.ResultsDirectory);
    await File.WriteAllTextAsync(scimFile, scimReport);
    Console.Error.WriteLine($"written to {scimFile}");
    return 0;
}
var results = new List<PhaseResult>();
foreach (var size in options.Sizes)
{
    var data = BenchData.Prepare(options.WorkDirectory, size);
    foreach (var provider in options.Providers)
    {
        Console.Error.WriteLine($"== {size:N0} people on {provider}");
        results.AddRange(await IngestionBenchmark.RunAsync(data, provider, options));
    }
}

var report = Report.Markdown(machine, results);
Console.WriteLine();
Console.WriteLine(report);
var file = Path.Combine(options.ResultsDirectory, $"ingestion-{DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.md");
Directory.CreateDirectory(options.ResultsDirectory);
await File.WriteAllTextAsync(file, report);
Console.Error.WriteLine($"written to {file}");
return 0;
