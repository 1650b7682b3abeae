namespace Dpr.Fabric.Bitstreams;

/// <summary>FAR bits 25:23 (FORMAT-NOTES §7).</summary>
public enum BlockType
{
    /// <summary>Interconnect and logic configuration.</summary>
    CLB_IO_CLK = 0,

    /// <summary>Block RAM content.</summary>
    BLOCK_RAM = 1,

    /// <summary>Written by every partial as a per-column mask (FORMAT-NOTES §9); not in the part database.</summary>
    CFG_CLB = 2,
}
