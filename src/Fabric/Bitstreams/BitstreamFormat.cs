namespace Dpr.Fabric.Bitstreams;

/// <summary>How the configuration stream was stored; told apart by content, never by file name.</summary>
public enum BitstreamFormat
{
    /// <summary>Vivado <c>.bit</c>: a TLV header, then the big-endian stream.</summary>
    Bit,

    /// <summary>PYNQ / fpga_manager <c>.bin</c>: no header, every 32-bit word byte-swapped.</summary>
    Bin,

    /// <summary>The big-endian stream alone (Vivado <c>-bin_file</c>, a <c>.bit</c> payload).</summary>
    Raw,
}
