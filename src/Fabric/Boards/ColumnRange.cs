using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Boards;

/// <summary>Whole configuration columns <see cref="FirstColumn"/>..<see cref="LastColumn"/> of one row: a piece of a Pblock.</summary>
public sealed record ColumnRange(BlockType BlockType, bool Bottom, int Row, int FirstColumn, int LastColumn)
{
    public bool Contains(FrameAddress far) =>
        far.BlockType == BlockType && far.IsBottom == Bottom && far.Row == Row
        && far.Column >= FirstColumn && far.Column <= LastColumn;

    public override string ToString() => $"{BlockType} {(Bottom ? 'B' : 'T')}{Row} columns {FirstColumn}-{LastColumn}";
}
