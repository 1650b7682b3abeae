namespace Dpr.Fabric.Mmio;

/// <summary>An access outside a window, misaligned, or to a window that is gone.</summary>
public sealed class MmioException(ulong address, string message) : Exception($"{message} (address 0x{address:X8})")
{
    public ulong Address { get; } = address;
}
