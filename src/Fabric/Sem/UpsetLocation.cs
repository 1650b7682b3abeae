using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Fabric.Sem;

/// <summary>
/// Where an upset is: in a reconfigurable partition (reload its module) or in the static design
/// (<see cref="Partition"/> null). An upset the controller could not locate (<see cref="Frame"/> null)
/// counts as static: only reconfiguring the whole device is sure to repair it.
/// </summary>
public sealed record UpsetLocation(FrameAddress? Frame, Partition? Partition)
{
    public bool IsStatic => Partition is null;

    public override string ToString() =>
        $"{(Frame is { } f ? $"{f} ({f.Describe()})" : "an unlocated frame")} in {(Partition is { } p ? $"partition '{p.Name}'" : "the static design")}";
}
