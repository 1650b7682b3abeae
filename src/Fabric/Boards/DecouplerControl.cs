using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Boards;

/// <summary>
/// Decouples a partition before its frames are rewritten and recouples it after, by setting and
/// clearing its bit in the decoupler's register (read-modify-write, since the Composable overlay
/// shares one GPIO register between four partitions).
/// </summary>
public sealed class DecouplerControl(IMemoryWindow window, Decoupler decoupler)
{
    private long Offset => (long)(decoupler.RegisterAddress - window.BaseAddress);

    public bool IsDecoupled => (window.Read32(Offset) & decoupler.Mask) != 0;

    public void Decouple() => window.Write32(Offset, window.Read32(Offset) | decoupler.Mask);

    public void Recouple() => window.Write32(Offset, window.Read32(Offset) & ~decoupler.Mask);
}
