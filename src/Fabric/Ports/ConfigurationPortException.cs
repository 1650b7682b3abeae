namespace Dpr.Fabric.Ports;

/// <summary>A configuration write that did not complete. The region manager records it as a failed swap.</summary>
public sealed class ConfigurationPortException(PortFailure failure, bool regionStateUnknown, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public PortFailure Failure { get; } = failure;

    /// <summary>True when some frames may have been written: the partition must be reloaded before it runs anything.</summary>
    public bool RegionStateUnknown { get; } = regionStateUnknown;
}
