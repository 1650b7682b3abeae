using System.CommandLine;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary><c>dpr bench NAME [--quick] [--json PATH]</c>, one subcommand per benchmark.</summary>
public static class BenchCommand
{
    public static Command Create(IEnumerable<IBenchmark> benchmarks)
    {
        var bench = new Command("bench", "Measure a part of dpr and check it against the issue's goals.");
        foreach (var benchmark in benchmarks)
        {
            var quick = new Option<bool>("--quick") { Description = "A smaller run that finishes within a minute." };
            var json = new Option<FileInfo?>("--json") { Description = "Also write the report as JSON to this path." };
            var command = new Command(benchmark.Name, benchmark.Description) { quick, json };
            foreach (var alias in benchmark.Aliases)
            {
                command.Aliases.Add(alias);
            }
            var own = benchmark as IBenchmarkWithOptions;
            foreach (var option in own?.Options ?? [])
            {
                command.Options.Add(option);
            }
            command.SetAction(parse =>
            {
                var console = Cli.InspectCommand.ConsoleFor(parse.InvocationConfiguration.Output);
                var report = own is not null ? own.Run(parse.GetValue(quick), parse, console) : benchmark.Run(parse.GetValue(quick), console);
                report.Render(console);
                if (parse.GetValue(json) is { } path)
                {
                    path.Directory?.Create();
                    File.WriteAllText(path.FullName, report.ToJson() + "\n");
                    console.MarkupLineInterpolated($"wrote [bold]{path.FullName}[/]");
                }
                return 0;
            });
            bench.Subcommands.Add(command);
        }
        return bench;
    }
}
