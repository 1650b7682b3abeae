namespace Dpr.Fabric.Simulation;

/// <summary>A decoupler control register (DFX Decoupler or a GPIO output register): it only stores its bits.</summary>
public sealed class SimulatedDecouplers(ulong baseAddress) : SimulatedRegisters(baseAddress, 0x1000)
{
    public bool IsSet(ulong registerAddress, uint mask) => (Read32((long)(registerAddress - BaseAddress)) & mask) != 0;
}
