namespace Dpr.Fabric.Drivers;

/// <summary>A <c>.hwh</c> file that cannot be read, or lacks what a driver needs.</summary>
public sealed class HardwareHandoffException(string source, string problem) : Exception($"{source}: {problem}")
{
    public string File { get; } = source;
}
