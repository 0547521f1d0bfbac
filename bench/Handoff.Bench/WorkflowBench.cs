using System.Globalization;

namespace Handoff.Bench;

/// <summary><c>workflows [--people 10000] [--rate 50] [--seconds 20] [--providers sqlite,postgres] [--postgres "Host=…"]</c>.</summary>
public static class WorkflowBench
{
    public static async Task<int> MainAsync(string[] args)
    {
        var people = 10_000;
        var rate = 50.0;
        var seconds = 20;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--people" when i + 1 < args.Length:
                    people = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--rate" when i + 1 < args.Length:
                    rate = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--seconds" when i + 1 < args.Length:
                    seconds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }
        var options = BenchOptions.Parse([.. rest]);
        if (options is null)
        {
            Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Handoff.Bench -- workflows [--people 10000] [--rate 50] [--seconds 20] [--providers sqlite,postgres] [--postgres \"Host=…\"]");
            return 2;
        }
        var machine = await Machine.DescribeAsync(options);
        Console.WriteLine(machine);
        var results = new List<WorkflowBenchmark.Result>();
        foreach (var provider in options.Providers)
        {
            Console.Error.WriteLine($"== workflows, {people:N0} new hires on {provider}");
            results.AddRange(await WorkflowBenchmark.RunAsync(provider, options, people, rate, TimeSpan.FromSeconds(seconds)));
        }
        var report = WorkflowBenchmark.Markdown(machine, results, people);
        Console.WriteLine(report);
        Directory.CreateDirectory(options.ResultsDirectory);
        var file = Path.Combine(options.ResultsDirectory, $"workflows-{DateTime.UtcNow:yyyy-MM-dd}.md");
        await File.WriteAllTextAsync(file, report);
        Console.Error.WriteLine($"written to {file}");
        return 0;
    }
}
