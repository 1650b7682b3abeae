namespace Dpr.Fabric.Sem;

/// <summary>A line of SEM monitor output that claims to be a report but does not fit its format.</summary>
public sealed class SemReportException(int line, string text, string problem)
    : Exception($"SEM output line {line} '{text}': {problem}")
{
    /// <summary>1-based line number in the monitor output.</summary>
    public int Line { get; } = line;

    public string Text { get; } = text;

    public string Problem { get; } = problem;
}
