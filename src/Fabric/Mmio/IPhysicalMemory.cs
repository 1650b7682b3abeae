namespace Dpr.Fabric.Mmio;

/// <summary>
/// The physical address space of a board: <c>/dev/mem</c> on the board, the simulated peripherals
/// and DDR in simulation. Drivers map what they need through it and never know which.
/// </summary>
public interface IPhysicalMemory
{
    /// <summary>A window of <paramref name="length"/> bytes at <paramref name="address"/>; <see cref="MmioException"/> if nothing is there.</summary>
    IMemoryWindow Map(ulong address, long length);
}
