using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Fabric.Sem;

/// <summary>Maps an upset frame to the partition of a board that owns it, or to the static design.</summary>
public sealed class UpsetLocator(Board board)
{
    public Board Board { get; } = board;

    public UpsetLocation Locate(FrameAddress? frame) =>
        new(frame, frame is { } f ? Board.Partitions.FirstOrDefault(p => p.Contains(f)) : null);

    public UpsetLocation Locate(UpsetReport upset) => Locate(upset.Frame);
}
