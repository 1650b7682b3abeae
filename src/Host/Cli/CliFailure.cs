namespace Dpr.Host.Cli;

/// <summary>An expected failure of a verb: its message goes to stderr and its code is the exit code; no stack trace.</summary>
public sealed class CliFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
