namespace Dpr.Fabric.Boards;

/// <summary>A board profile cannot be derived from these files: <see cref="File"/> is the one at fault, <see cref="Outcome"/> how (a wrong device, a bad CRC, frames that make no partition).</summary>
public sealed class BoardDerivationException(string file, VerdictOutcome outcome, string problem) : Exception($"{file}: {problem}")
{
    public string File { get; } = file;

    public VerdictOutcome Outcome { get; } = outcome;
}
