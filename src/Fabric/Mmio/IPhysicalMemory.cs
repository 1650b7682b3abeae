namespace Dpr.Fabric.Mmio;

/// <summary>
/// The physical address space of a board: <c>/dev/mem</c> on the board, the simulated peripherals
/// and DDR in simulation. Drivers map what they need through it and never know which.
/// </summary>
public interface IPhysicalMemory
{
    /// <summary>
    /// A window that covers <paramref name="length"/> bytes at <paramref name="address"/>. Its
    /// <see cref="IMemoryWindow.BaseAddress"/> may lie below <paramref name="address"/> (a simulated
    /// peripheral is one window), so callers compute offsets from it. <see cref="MmioException"/> if
    /// nothing is there.
    /// </summary>
    IMemoryWindow Map(ulong address, long length);
}
