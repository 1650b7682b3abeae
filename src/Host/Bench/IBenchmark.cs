using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// A <c>dpr bench NAME</c> verb. <see cref="Run"/> measures, computes the goals from its own
/// figures and returns them; printing and the JSON file are the command's job.
/// </summary>
public interface IBenchmark
{
    string Name { get; }

    string Description { get; }

    /// <summary>Other names the verb answers to (the name an issue gave it, say).</summary>
    IReadOnlyList<string> Aliases => [];

    /// <param name="quick">A smaller run that finishes within a minute.</param>
    /// <param name="console">For progress only; the report is rendered by the caller.</param>
    BenchReport Run(bool quick, IAnsiConsole console);
}
