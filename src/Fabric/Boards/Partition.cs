using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Boards;

/// <summary>
/// A reconfigurable partition: the frames its Pblock owns, the decoupler that isolates it during a
/// write, where its module's registers appear, and the kinds of module it can host.
/// </summary>
/// <param name="DmaAddress">The AXI DMA (PG021) that streams this partition's module input and output; null if none.</param>
/// <param name="Hosts">Module kinds (<c>convolution</c>, <c>opaque</c>) or module names this partition accepts.</param>
/// <param name="FpgaRegion">The device-tree path of this partition's <c>fpga-region</c>, for the <c>overlay</c> port; null when the profile does not say.</param>
/// <param name="Mask">The CFG_CLB mask burst its partials carry; null when the profile records none (then no partial fits).</param>
public sealed record Partition(
    string Name,
    IReadOnlyList<ColumnRange> Frames,
    Decoupler? Decoupler = null,
    ulong ModuleAddress = 0,
    uint ModuleSpan = 0,
    IReadOnlyList<string>? Hosts = null,
    ulong? DmaAddress = null,
    MaskBurst? Mask = null,
    string? FpgaRegion = null)
{
    public bool Contains(FrameAddress far)
    {
        foreach (var range in Frames)
        {
            if (range.Contains(far))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when the module's kind or its name is listed in <see cref="Hosts"/> (no list: anything).</summary>
    public bool CanHost(string kind, string name) =>
        Hosts is null || Hosts.Any(h => string.Equals(h, kind, StringComparison.OrdinalIgnoreCase) || string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
}
