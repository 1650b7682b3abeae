namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// A frame address register value: block type 25:23, bottom half 22, row 21:17, column 16:7,
/// minor 6:0 (UG470 via prjxray; FORMAT-NOTES §7).
/// </summary>
public readonly record struct FrameAddress(uint Value)
{
    public BlockType BlockType => (BlockType)((Value >> 23) & 0x7);

    public bool IsBottom => ((Value >> 22) & 1) != 0;

    public int Row => (int)((Value >> 17) & 0x1F);

    public int Column => (int)((Value >> 7) & 0x3FF);

    public int Minor => (int)(Value & 0x7F);

    /// <summary>Bits 31:26 are reserved and written as 0 by Vivado.</summary>
    public bool HasReservedBits => (Value & 0xFC000000) != 0;

    public static FrameAddress Create(BlockType blockType, bool bottom, int row, int column, int minor) =>
        new(((uint)blockType << 23) | (bottom ? 1u << 22 : 0) | ((uint)row << 17) | ((uint)column << 7) | (uint)minor);

    /// <summary>"T0", "B1": half and row as the notes write them.</summary>
    public string RowName => $"{(IsBottom ? 'B' : 'T')}{Row}";

    public string Describe() => $"{BlockType} {RowName} column {Column} minor {Minor}";

    public override string ToString() => $"0x{Value:X8}";
}
