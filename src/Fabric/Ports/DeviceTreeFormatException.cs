namespace Dpr.Fabric.Ports;

/// <summary>A blob that is not a flattened device tree, with the byte offset where reading stopped.</summary>
public sealed class DeviceTreeFormatException(long offset, string message) : Exception($"{message} (at byte {offset})")
{
    public long Offset { get; } = offset;
}
