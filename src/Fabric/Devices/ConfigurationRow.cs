using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Devices;

/// <summary>
/// One (block type, half, row) segment of a device's frame space, with the frame count of each of
/// its columns, as listed in prjxray-db's part.json.
/// </summary>
public sealed record ConfigurationRow(BlockType BlockType, bool Bottom, int Row, IReadOnlyList<int> ColumnFrames)
{
    public int Frames => ColumnFrames.Sum();

    public FrameAddress Address(int column, int minor) => FrameAddress.Create(BlockType, Bottom, Row, column, minor);

    public bool Contains(FrameAddress far) => far.BlockType == BlockType && far.IsBottom == Bottom && far.Row == Row;

    public override string ToString() => $"{BlockType} {(Bottom ? 'B' : 'T')}{Row}";
}
