namespace Dpr.Fabric.Boards;

/// <summary>How the board writes configuration frames.</summary>
public enum PortKind
{
    /// <summary>The Zynq processor configuration access port, through the Linux fpga_manager (PYNQ's path).</summary>
    Pcap,

    /// <summary>The internal configuration access port, driven from the fabric.</summary>
    Icap,
}
