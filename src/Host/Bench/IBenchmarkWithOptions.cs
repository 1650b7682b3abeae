using System.CommandLine;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>A benchmark with options of its own besides <c>--quick</c> and <c>--json</c> (<c>dpr bench crash --cycles N</c>).</summary>
public interface IBenchmarkWithOptions : IBenchmark
{
    /// <summary>Added to the benchmark's subcommand; read back from the parse result in <see cref="Run(bool, ParseResult, IAnsiConsole)"/>.</summary>
    IReadOnlyList<Option> Options { get; }

    BenchReport Run(bool quick, ParseResult parse, IAnsiConsole console);
}
