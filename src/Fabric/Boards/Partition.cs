using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Boards;

/// <summary>A reconfigurable partition: the frames its Pblock owns.</summary>
public sealed record Partition(string Name, IReadOnlyList<ColumnRange> Frames)
{
    public bool Contains(FrameAddress far) => Frames.Any(r => r.Contains(far));
}
