namespace Dpr.Fabric.Boards;

/// <summary>
/// The register bit that isolates a partition from the static design while it is rewritten: 1
/// decouples, 0 couples. A DFX Decoupler with its AXI4-Lite control has one register at offset 0,
/// bit 0 (Xilinx embeddedsw <c>xprd_hw.h</c>: <c>XPRD_CTRL_OFFSET 0x000</c>,
/// <c>XPRD_CTRL_DECOUPLER_MASK 0x1</c>); the Composable overlay drives its decouplers from bits of
/// an AXI GPIO output register instead.
/// </summary>
public sealed record Decoupler(ulong RegisterAddress, int Bit)
{
    public uint Mask => 1u << Bit;
}
